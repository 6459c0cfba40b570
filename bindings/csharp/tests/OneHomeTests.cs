// One home for every rule (issue 14): each table the binding holds (result
// codes, delivery states, log levels, option names, the version) is compared,
// entry by entry, with include/ytx.h and with what the loaded library says, so
// changing one entry on either side fails here. What the binding does not hold
// (defaults, base URLs, the status-code table, the time rule, the Sign
// redaction) is read from the library, and these tests check it is.
// Also: the native library's version check, and exact leak counts.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Ytx;

internal static partial class YtxTests
{
    private static void RunOneHomeTests()
    {
        Run("drift: YtxResultCode equals ytx.h's enum ytx_result and ytx_result_name", TestDriftResultCodes);
        Run("drift: YtxDelivery equals ytx.h's enum ytx_delivery and ytx_delivery_name", TestDriftDelivery);
        Run("drift: YtxLogLevel equals ytx.h's enum ytx_log_level", TestDriftLogLevels);
        Run("drift: YtxResolutionStatus equals ytx.h's YTX_RESOLUTION_* and ytx_resolution_status_name", TestDriftResolutionStatus);
        Run("drift: enums cross as uint32_t: every DllImport returning ytx_result/ytx_delivery returns uint", TestDriftEnumWidths);
        Run("one door: only NativeProxy calls NativeMethods; every ytx_outcome crosses as a SafeHandle", TestOneDoor);
        Run("drift: YtxClientOptions' option names are the library's ytx_client_option_name list", TestDriftClientOptions);
        Run("drift: CallbackOptions' 15 fields are ytx_callback_option_name's, in wire order", TestDriftCallbackOptions);
        Run("drift: BindingVersion/BindingVersionNumber equal ytx.h's YTX_VERSION/YTX_VERSION_NUMBER", TestDriftVersion);
        Run("one home: defaults and base URLs come from the library", TestLibraryDefaults);
        Run("one home: the Sign redaction is the library's (no C# copy)", TestLibraryRedaction);
        Run("one home: README's status-code table equals the library's table", TestStatusTableFromLibrary);
        Run("version check: compatibility rule (same major; 0.x same minor)", TestVersionRule);
        Run("version check: a library of another version is refused at first use", TestVersionMismatchChild);
        Run("leaks: calls, errors, queries, pushes free every native object (ytx_live_objects exact)", TestLiveObjectsExact);
    }

    private static string Header()
    {
        return File.ReadAllText(FindUp("YTX_HEADER", Path.Combine("include", "ytx.h")));
    }

    /// <summary>The members of a C enum in ytx.h: NAME → value (at least one).</summary>
    private static Dictionary<string, long> HeaderEnum(string header, string name)
    {
        Match body = Regex.Match(header, @"enum " + name + @"\b[^{;]*\{(.*?)\};", RegexOptions.Singleline);
        Check(body.Success, "enum " + name + " in ytx.h");
        string text = Regex.Replace(body.Groups[1].Value, @"/\*.*?\*/", "", RegexOptions.Singleline);
        var members = Regex.Matches(text, @"\b([A-Z][A-Z0-9_]*)\s*=\s*([0-9]+)")
            .Cast<Match>().ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        Check(members.Count > 0, "enum " + name + " has members");
        return members;
    }

    private static string Snake(string pascal)
    {
        return Regex.Replace(pascal, "(?<=[a-z0-9])([A-Z])", "_$1").ToUpperInvariant();
    }

    /// <summary>C# enum {Name = v} against the header's {PREFIX_NAME = v}, both ways.</summary>
    private static void SameTable(Type csharp, Func<string, string> cName, Dictionary<string, long> header, string what)
    {
        var mine = Enum.GetNames(csharp).ToDictionary(cName, n => Convert.ToInt64(Enum.Parse(csharp, n), CultureInfo.InvariantCulture));
        SameEntries(mine, csharp.Name, header, what);
    }

    /// <summary><paramref name="mine"/> (NAME → value, from <paramref name="who"/>) against the header's, both ways.</summary>
    private static void SameEntries(Dictionary<string, long> mine, string who, Dictionary<string, long> header, string what)
    {
        Check(mine.Count > 0, who + " has members");
        foreach (var kv in header)
        {
            Check(mine.ContainsKey(kv.Key), who + " lacks " + kv.Key + " = " + kv.Value + " of ytx.h's " + what);
            Equal(kv.Value, mine[kv.Key], who + " value of " + kv.Key + " vs ytx.h");
        }
        foreach (var kv in mine)
        {
            Check(header.ContainsKey(kv.Key), who + " has " + kv.Key + " = " + kv.Value + ", which ytx.h's " + what + " lacks");
        }
        Equal(header.Count, mine.Count, "as many " + who + " members as ytx.h's " + what);
    }

    /// <summary>NAME → value of what the library itself names over 0-255 (the ABI's numbers are below 100).</summary>
    private static Dictionary<string, long> LibraryTable(Func<uint, string> nameOf)
    {
        var found = new Dictionary<string, long>();
        for (uint n = 0; n < 256; n++)
        {
            string name = nameOf(n);
            if (name != "YTX_UNKNOWN")
            {
                found[name] = n;
            }
        }
        return found;
    }

    /// <summary>
    /// A C# enum against ytx.h's enum <paramref name="cEnum"/> and against what the library names
    /// (<paramref name="nameOf"/>, its <c>..._name</c> function): the same members, the same values.
    /// </summary>
    private static void SameAsHeaderAndLibrary(Type csharp, Func<string, string> cName, string cEnum, Func<uint, string> nameOf)
    {
        var header = HeaderEnum(Header(), cEnum);
        SameTable(csharp, cName, header, "enum " + cEnum);
        SameEntries(LibraryTable(nameOf), cEnum + "_name", header, "enum " + cEnum);
        foreach (object v in Enum.GetValues(csharp))
        {
            uint n = Convert.ToUInt32(v, CultureInfo.InvariantCulture);
            Equal(cName(v.ToString()), nameOf(n), cEnum + "_name(" + n + ")");
        }
    }

    private static void TestDriftResultCodes()
    {
        SameAsHeaderAndLibrary(typeof(YtxResultCode), n => n == "Ok" ? "YTX_OK" : "YTX_ERR_" + Snake(n), "ytx_result",
            n => YtxLibrary.ResultName((YtxResultCode)n));
        Equal("YTX_UNKNOWN", YtxLibrary.ResultName((YtxResultCode)5), "ytx_result_name(5)");
    }

    private static void TestDriftDelivery()
    {
        SameAsHeaderAndLibrary(typeof(YtxDelivery), n => "YTX_DELIVERY_" + Snake(n), "ytx_delivery",
            n => YtxLibrary.DeliveryName((YtxDelivery)n));
        Equal("YTX_UNKNOWN", YtxLibrary.DeliveryName((YtxDelivery)7), "ytx_delivery_name(7)");
    }

    private static void TestDriftResolutionStatus()
    {
        var defines = Regex.Matches(Header(), @"#define YTX_RESOLUTION_([A-Z_]+) ([0-9]+)")
            .Cast<Match>().ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        Check(defines.Remove("NONE"), "ytx.h defines YTX_RESOLUTION_NONE");
        SameTable(typeof(YtxResolutionStatus), n => Snake(n), defines, "YTX_RESOLUTION_*");
        foreach (YtxResolutionStatus s in Enum.GetValues(typeof(YtxResolutionStatus)))
        {
            Equal("YTX_RESOLUTION_" + Snake(s.ToString()), YtxLibrary.ResolutionStatusName(s), "ytx_resolution_status_name");
        }
    }

    private static void TestDriftLogLevels()
    {
        SameTable(typeof(YtxLogLevel), n => "YTX_LOG_" + Snake(n), HeaderEnum(Header(), "ytx_log_level"), "enum ytx_log_level");
    }

    private static void TestDriftEnumWidths()
    {
        string header = Header();
        foreach (string t in new[] { "ytx_result", "ytx_delivery", "ytx_log_level", "ytx_push_kind", "ytx_call_state", "ytx_resolution_status" })
        {
            Check(Regex.IsMatch(header, @"typedef uint32_t " + t + ";"), t + " is uint32_t in ytx.h");
        }
        Type native = typeof(YtxClient).Assembly.GetType("Ytx.NativeMethods", true);
        var flags = BindingFlags.NonPublic | BindingFlags.Static;
        var returns = Regex.Matches(header, @"^(ytx_result|ytx_delivery|ytx_push_kind|ytx_call_state|ytx_resolution_status) (ytx_[a-z_]+)\(", RegexOptions.Multiline)
            .Cast<Match>().ToList();
        Check(returns.Count >= 15, "ytx.h's functions returning an enum: " + returns.Count);
        int bound = 0;
        foreach (Match m in returns)
        {
            MethodInfo mi = native.GetMethod(m.Groups[2].Value, flags);
            if (mi == null)
            {
                continue; // not bound by this binding
            }
            bound++;
            Equal(typeof(uint), mi.ReturnType, m.Groups[2].Value + " returns " + m.Groups[1].Value + " (uint32_t)");
        }
        Check(bound >= 15, "bound functions returning an enum: " + bound);
        // ... and those taking one (ytx_result_name, ytx_delivery_name) take a uint.
        var takes = Regex.Matches(header, @"^[a-z_ *]+ \*?(ytx_[a-z_]+)\((ytx_result|ytx_delivery|ytx_resolution_status) [a-z_]+\);", RegexOptions.Multiline)
            .Cast<Match>().ToList();
        Check(takes.Count >= 3, "ytx.h's functions taking an enum: " + takes.Count);
        foreach (Match m in takes)
        {
            MethodInfo mi = native.GetMethod(m.Groups[1].Value, flags);
            Check(mi != null, m.Groups[1].Value + " is bound");
            Equal(typeof(uint), mi.GetParameters()[0].ParameterType, m.Groups[1].Value + " takes " + m.Groups[2].Value + " (uint32_t)");
        }
        Check(Regex.IsMatch(header, @"typedef void \(\*ytx_log_callback\)\(void \*user_data, ytx_log_level level,"), "the log callback's level is ytx_log_level");
        Type cb = native.GetNestedType("LogCallback", BindingFlags.NonPublic);
        Equal(typeof(uint), cb.GetMethod("Invoke").GetParameters()[1].ParameterType, "LogCallback's level parameter");
    }

    private static void TestOneDoor()
    {
        // The binding's sources: NativeMethods is named only where it is declared
        // and in the façade (LibGit2Sharp's Proxy.cs idea).
        string src = Path.GetDirectoryName(FindUp("YTX_CSHARP_PROXY", Path.Combine("bindings", "csharp", "src", "NativeProxy.cs")));
        var naming = Directory.GetFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => Regex.IsMatch(File.ReadAllText(f), @"\bNativeMethods\b"))
            .Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Equal("NativeMethods.cs, NativeProxy.cs", string.Join(", ", naming), "the files naming NativeMethods");
        // Every outcome in and out is the SafeHandle; only its ReleaseHandle frees the raw pointer.
        Type native = typeof(YtxClient).Assembly.GetType("Ytx.NativeMethods", true);
        Type outcome = typeof(YtxClient).Assembly.GetType("Ytx.YtxOutcomeHandle", true);
        Check(typeof(SafeHandle).IsAssignableFrom(outcome), "YtxOutcomeHandle is a SafeHandle");
        int seen = 0;
        foreach (MethodInfo m in native.GetMethods(BindingFlags.NonPublic | BindingFlags.Static))
        {
            foreach (ParameterInfo p in m.GetParameters().Where(p => p.Name == "outcome"))
            {
                seen++;
                Type t = p.ParameterType.IsByRef ? p.ParameterType.GetElementType() : p.ParameterType;
                Equal(m.Name == "ytx_outcome_free" ? typeof(IntPtr) : outcome, t, m.Name + "'s outcome parameter");
            }
        }
        Check(seen >= 25, "bound functions taking an outcome: " + seen);
    }

    /// <summary>The names an options object sends, through the internal ToNative.</summary>
    private static List<string> NativeNames(object options)
    {
        var pairs = (List<KeyValuePair<string, string>>)options.GetType()
            .GetMethod("ToNative", BindingFlags.NonPublic | BindingFlags.Instance).Invoke(options, null);
        return pairs.Select(p => p.Key).ToList();
    }

    private static List<string> LibraryList(string method)
    {
        return (List<string>)typeof(YtxLibrary).GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static).Invoke(null, null);
    }

    private static void TestDriftClientOptions()
    {
        var all = new YtxClientOptions
        {
            Environment = YtxEnvironment.Sandbox,
            BaseUrl = "http://x",
            Timeout = TimeSpan.FromSeconds(9),
            ConnectTimeout = TimeSpan.FromSeconds(1),
            Proxy = "http://p:1",
            UseEnvironmentProxy = false,
            PoolIdleTimeout = TimeSpan.FromSeconds(2),
            CaFile = "/x.pem",
            CallbackFuncUrl = "a",
            CallbackAction = "b",
            VoiceCodeFuncUrl = "c",
            VoiceCodeAction = "d",
            MaxRetries = 2,
            RetryBudget = TimeSpan.FromSeconds(5),
            RetryBackoff = TimeSpan.FromMilliseconds(100),
            AutoCustomParm = true,
        };
        List<string> mine = NativeNames(all);
        List<string> library = LibraryList("ClientOptionNames");
        Check(library.Count > 0, "the library lists its client options");
        Equal(library.Count, library.Distinct().Count(), "no duplicates in the library's list");
        Equal(mine.Count, mine.Distinct().Count(), "each option at most once");
        foreach (string n in library)
        {
            Check(mine.Contains(n), "YtxClientOptions cannot set the library's option " + n);
        }
        foreach (string n in mine)
        {
            Check(library.Contains(n), "YtxClientOptions sends " + n + ", which the library does not know");
        }
        // The options the drift test made the binding add reach the library.
        ArgError(() => new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = _baseUrl, CaFile = "/nonexistent/ca.pem" }),
            YtxResultCode.InvalidArgument, "ca_file");
        ArgError(() => new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = _baseUrl, PoolIdleTimeout = TimeSpan.Zero }),
            YtxResultCode.InvalidArgument, "pool_idle_timeout_ms");
        using (var c = new YtxClient(Sid, Token, App,
            new YtxClientOptions { BaseUrl = _baseUrl, PoolIdleTimeout = TimeSpan.FromMilliseconds(1500), UseEnvironmentProxy = false }))
        {
            Equal("0", c.CallbackCall(Src, Dst, 100).StatusCode, "PoolIdleTimeout and UseEnvironmentProxy accepted");
        }
        // Unset options are not sent at all (the library's defaults apply).
        Equal(0, NativeNames(new YtxClientOptions()).Count, "a default YtxClientOptions sends nothing");
    }

    private static void TestDriftCallbackOptions()
    {
        var all = new CallbackOptions
        {
            CustomParm = "p", SrcClid = "1", DstClid = "2", SrcTimeout = 3, DstTimeout = 4,
            SrcHintFile = "a", DstHintFile = "b", RingbackType = RingbackType.Custom, CustomHintFile = "c",
            DstFailHintFile = "d", SrcThreshold = 5, DstThreshold = 6, SrcThresholdFile = "e",
            DstThresholdFile = "f", CallStatusCheck = true,
        };
        Equal(15, typeof(CallbackOptions).GetProperties().Length, "CallbackOptions has 15 properties");
        List<string> mine = NativeNames(all);
        List<string> library = LibraryList("CallbackOptionNames");
        Equal(15, library.Count, "the library's callback fields");
        Equal(string.Join(",", library), string.Join(",", mine), "CallbackOptions' wire names, in the library's order");
        Equal(0, NativeNames(new CallbackOptions()).Count, "unset fields are not sent");
    }

    private static void TestDriftVersion()
    {
        string header = Header();
        Match v = Regex.Match(header, "#define YTX_VERSION \"([^\"]+)\"");
        Match n = Regex.Match(header, @"#define YTX_VERSION_NUMBER ([0-9]+)");
        Check(v.Success && n.Success, "ytx.h defines YTX_VERSION and YTX_VERSION_NUMBER");
        Equal(v.Groups[1].Value, YtxLibrary.BindingVersion, "BindingVersion");
        Equal(int.Parse(n.Groups[1].Value, CultureInfo.InvariantCulture), YtxLibrary.BindingVersionNumber, "BindingVersionNumber");
        Equal(YtxLibrary.BindingVersion, YtxLibrary.Version, "the loaded library's version");
        Equal(YtxLibrary.BindingVersionNumber, YtxLibrary.VersionNumber, "the loaded library's version number");
    }

    private static void TestLibraryDefaults()
    {
        // The binding holds no copy: these are the library's answers.
        Check(YtxClientOptions.DefaultTimeout > TimeSpan.Zero, "a default timeout: " + YtxClientOptions.DefaultTimeout);
        Check(YtxClientOptions.DefaultConnectTimeout > TimeSpan.Zero, "a default connect timeout");
        Check(YtxClientOptions.DefaultConnectTimeout <= YtxClientOptions.DefaultTimeout, "connect within the whole");
        StartsWith(YtxLibrary.ProductionUrl, "http", "production URL");
        StartsWith(YtxLibrary.SandboxUrl, "http", "sandbox URL");
        Check(YtxLibrary.ProductionUrl != YtxLibrary.SandboxUrl, "two environments");
        using (var prod = new YtxClient(Sid, Token, App))
        using (var prodSet = new YtxClient(Sid, Token, App, new YtxClientOptions { Environment = YtxEnvironment.Production }))
        using (var sandbox = new YtxClient(Sid, Token, App, new YtxClientOptions { Environment = YtxEnvironment.Sandbox }))
        using (var custom = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = "https://gw.example.com/ytx/" }))
        {
            Equal(YtxLibrary.ProductionUrl, prod.BaseUrl, "the default is production");
            Equal(YtxLibrary.ProductionUrl, prodSet.BaseUrl, "Production");
            Equal(YtxLibrary.SandboxUrl, sandbox.BaseUrl, "Sandbox");
            Equal("https://gw.example.com/ytx", custom.BaseUrl, "BaseUrl, without its trailing slash");
            StartsWith(prod.PrepareVoiceCode(Dst, Clid, "1").Url, YtxLibrary.ProductionUrl + "/", "sent to production");
            StartsWith(sandbox.PrepareVoiceCode(Dst, Clid, "1").Url, YtxLibrary.SandboxUrl + "/", "sent to sandbox");
        }
        // Order-free options, each once: Environment and BaseUrl together is the
        // library's error, naming both.
        var both = ArgError(() => new YtxClient(Sid, Token, App,
            new YtxClientOptions { BaseUrl = _baseUrl, Environment = YtxEnvironment.Production }), YtxResultCode.InvalidArgument, "base_url");
        Contains(both.Message, "environment", "names environment");
        Contains(both.Message, "base_url", "names base_url");
    }

    private static void TestLibraryRedaction()
    {
        Check(typeof(PreparedRequest).GetMethod("Redact", BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static) == null,
            "PreparedRequest has no redaction of its own");
        using (var client = NewClient())
        {
            PreparedRequest p = client.PrepareCallbackCall(Src, Dst, 100);
            int at = p.Url.IndexOf("Sign=", StringComparison.Ordinal);
            Check(at > 0, "the URL has a Sign");
            string sign = p.Url.Substring(at + 5);
            Equal(p.Url.Substring(0, at) + "Sign=<redacted>", p.RedactedUrl, "RedactedUrl is the library's (Sign=<redacted>)");
            // The library's log line shows the very same redacted URL.
            var lines = new List<string>();
            YtxLog.SetHandler((l, m) => { lock (lines) lines.Add(m); }, YtxLogLevel.Info);
            try
            {
                client.CallbackCall(Src, Dst, 100);
            }
            finally
            {
                YtxLog.Clear();
            }
            Check(lines.Count > 0, "the call logged");
            Check(lines.Any(m => m.Contains("Sign=<redacted>")), "the log's redaction is the same: " + string.Join(" | ", lines));
            NotContains(p.ToString(), sign, "ToString");
        }
    }

    private static void TestStatusTableFromLibrary()
    {
        string readme = File.ReadAllText(FindUp("YTX_CSHARP_README", Path.Combine("bindings", "csharp", "README.md")));
        var rows = Regex.Matches(readme, @"^\| `(-?[0-9]+)` \| (.*) \|\r?$", RegexOptions.Multiline)
            .Cast<Match>().ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
        IReadOnlyList<string> codes = YtxLibrary.StatusCodes;
        Check(codes.Count > 0, "the library's table has rows");
        Check(rows.Count > 0, "the README has the table");
        foreach (string code in codes)
        {
            string explanation = YtxLibrary.ExplainStatusCode(code);
            Check(explanation != null, "the library explains its own code " + code);
            string row;
            Check(rows.TryGetValue(code, out row), "README's table lacks " + code + " (" + explanation + ")");
            Equal(explanation, row, "README row " + code);
        }
        foreach (string code in rows.Keys)
        {
            Check(codes.Contains(code), "README's table has " + code + ", which the library does not explain");
        }
        Check(YtxLibrary.ExplainStatusCode("-424242") == null, "an unknown code has no explanation");
        Check(YtxLibrary.ExplainStatusCode(null) == null, "null has none");
    }

    private static void TestVersionRule()
    {
        MethodInfo compatible = typeof(YtxLibrary).GetMethod("Compatible", BindingFlags.NonPublic | BindingFlags.Static);
        Func<uint, int, bool> c = (f, e) => (bool)compatible.Invoke(null, new object[] { f, e });
        Check(c(100, 100), "0.1.0 serves 0.1.0");
        Check(c(107, 100), "0.1.7 serves 0.1.0 (a patch)");
        Check(!c(200, 100), "0.2.0 does not serve 0.1.0 (0.x minors break)");
        Check(!c(99, 100), "0.0.99 does not serve 0.1.0");
        Check(!c(10100, 100), "1.1.0 does not serve 0.1.0");
        Check(c(10300, 10200), "1.3.0 serves 1.2.0");
        Check(!c(10100, 10200), "1.1.0 does not serve 1.2.0");
        Check(!c(20000, 10200), "2.0.0 does not serve 1.2.0");
    }

    /// <summary>
    /// A stand-in libytx.so that says it is 0.2.0 (built with cc), loaded by a child
    /// run of this program: the first use of the binding throws
    /// YtxLibraryVersionException, every time, and nothing else reaches the library.
    /// </summary>
    private static void TestVersionMismatchChild()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ytx-cs-fake-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "fake.c"),
                "#include <stdint.h>\n" +
                "const char *ytx_version(void) { return \"0.2.0\"; }\n" +
                "uint32_t ytx_version_number(void) { return 200; }\n");
            string cc = System.Environment.GetEnvironmentVariable("CC") ?? "cc";
            var build = Exec(cc, "-shared -fPIC -o \"" + Path.Combine(dir, "libytx.so") + "\" \"" + Path.Combine(dir, "fake.c") + "\"", dir, null);
            Equal(0, build.Item1, "cc built the stand-in library (needs a C compiler): " + build.Item2);
            string exe = Assembly.GetExecutingAssembly().Location;
            string path = System.Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            var run = Exec(RunnerFile, RunnerArgs(exe, "--version-mismatch-child"), dir,
                new Dictionary<string, string> { { "LD_LIBRARY_PATH", dir + (string.IsNullOrEmpty(path) ? "" : ":" + path) } });
            Contains(run.Item2, "CHILD OK", "the child's checks: " + run.Item2);
            Equal(0, run.Item1, "the child's exit code: " + run.Item2);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static Tuple<int, string> Exec(string file, string args, string cwd, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = cwd,
        };
        if (env != null)
        {
            foreach (var kv in env)
            {
                psi.EnvironmentVariables[kv.Key] = kv.Value;
            }
        }
        using (var p = Process.Start(psi))
        {
            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(60000))
            {
                p.Kill();
                return Tuple.Create(-1, "timed out: " + output);
            }
            return Tuple.Create(p.ExitCode, output + err.Result);
        }
    }

    /// <summary>Runs in the child process, against the stand-in library.</summary>
    private static int VersionMismatchChild()
    {
        try
        {
            Equal("0.2.0", YtxLibrary.Version, "Version reads the stand-in without the check");
            for (int i = 0; i < 2; i++)
            {
                var e = Throws<YtxLibraryVersionException>(() => new YtxClient(Sid, Token, App));
                Contains(e.Message, "0.2.0", "the message names the library found");
                Contains(e.Message, YtxLibrary.BindingVersion, "and the version expected");
                Equal("0.2.0", e.FoundVersion, "FoundVersion");
                Equal(200, e.FoundVersionNumber, "FoundVersionNumber");
                Equal(YtxLibrary.BindingVersionNumber, e.ExpectedVersionNumber, "ExpectedVersionNumber");
                Check(e is TypeLoadException, "a TypeLoadException, like DllNotFoundException");
            }
            Throws<YtxLibraryVersionException>(() => YtxPush.Parse(new byte[] { 123, 125 }));
            Throws<YtxLibraryVersionException>(() => YtxLog.SetHandler((l, m) => { }, YtxLogLevel.Info));
            Throws<YtxLibraryVersionException>(() => { var x = YtxLibrary.LiveClients; });
            Throws<YtxLibraryVersionException>(() => { var x = YtxClientOptions.DefaultTimeout; });
            Console.WriteLine("CHILD OK");
            return 0;
        }
        catch (Exception e)
        {
            Console.WriteLine("CHILD FAIL " + e);
            return 1;
        }
    }

    private static void TestLiveObjectsExact()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long objects = YtxLibrary.LiveObjects;
        long clients = YtxLibrary.LiveClients;
        using (var client = NewClient())
        {
            Equal(objects, YtxLibrary.LiveObjects, "a client alone holds no object");
            Equal(clients + 1, YtxLibrary.LiveClients, "one more client");
            string id = null;
            for (int i = 0; i < 20; i++)
            {
                id = client.CallbackCall(Src, Dst, 100).RequestId;
                client.VoiceCode(Dst, null, "1234");
                client.PrepareCallbackCall(Src, Dst, 100);
                client.PrepareVoiceCode(Dst, null, "1234", 3);
                Throws<YtxArgumentException>(() => client.CallbackCall(Src, "1", 100));
                Throws<YtxArgumentException>(() => client.VoiceCode(Dst, null, "1234", 9));
                Throws<YtxPlatformException>(() => client.CallbackCall(Src, "19900001204", 100));
                Throws<YtxProtocolException>(() => client.CallbackCall(Src, FaultHttp500, 100));
                Check(client.CallRecord(id) != null, "a record");
                Check(client.CallRecordsAfter(id, 5) != null, "a page");
                Check(client.FindCall("never-" + i, id) == null, "not found");
                Check(client.Balance().Fen > 0, "a balance");
                YtxPush.Parse(Encoding.UTF8.GetBytes("{\"requestid\":\"1\",\"state\":\"answer\"}"));
                Throws<YtxProtocolException>(() => YtxPush.Parse(Encoding.UTF8.GetBytes("not json")));
                Equal(objects, YtxLibrary.LiveObjects, "live objects after round " + i);
            }
            Check(Await(client.CallbackCallAsync(Src, Dst, 100), "async call").RequestId.Length > 0, "async call");
            Await(client.BalanceAsync(), "async balance");
            Equal(objects, YtxLibrary.LiveObjects, "live objects after the async calls");
        }
        Equal(clients, YtxLibrary.LiveClients, "the client is freed");
        Equal(objects, YtxLibrary.LiveObjects, "live objects at the end");
        // Creating clients that fail makes no client and frees its outcome.
        for (int i = 0; i < 10; i++)
        {
            Throws<YtxArgumentException>(() => new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = "ftp://x" }));
        }
        Equal(clients, YtxLibrary.LiveClients, "failed constructors make no client");
        Equal(objects, YtxLibrary.LiveObjects, "and leave no outcome");
    }
}
