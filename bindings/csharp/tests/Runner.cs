// How the tests start a child .NET program (the push receiver, the
// version-mismatch child): with the runtime the suite itself runs on.
// run-tests.sh sets YTX_CSHARP_RUNNER (a program) and YTX_CSHARP_RUNNER_ARGS
// (arguments before the assembly): "mono" "--debug" for Mono, or the .NET 8
// host "dotnet" "exec --runtimeconfig <file>" for CoreCLR. Unset: Mono.

using System;

internal static partial class YtxTests
{
    /// <summary>The program that runs a .NET assembly here (mono, or the dotnet host).</summary>
    private static string RunnerFile
    {
        get { return System.Environment.GetEnvironmentVariable("YTX_CSHARP_RUNNER") ?? "mono"; }
    }

    /// <summary>The arguments for <see cref="RunnerFile"/> that run <paramref name="assembly"/> with <paramref name="args"/>.</summary>
    private static string RunnerArgs(string assembly, string args)
    {
        string before = System.Environment.GetEnvironmentVariable("YTX_CSHARP_RUNNER_ARGS") ?? "--debug";
        return (before.Length > 0 ? before + " " : "") + "\"" + assembly + "\"" + (args.Length > 0 ? " " + args : "");
    }

    /// <summary>True when the suite runs on CoreCLR (.NET Core / .NET 5+), not Mono.</summary>
    private static bool OnCoreClr
    {
        get { return Type.GetType("Mono.Runtime") == null; }
    }
}
