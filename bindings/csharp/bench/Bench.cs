// The C# client of benches/perf.rs (issue 22): run as a subprocess, once on
// Mono and once on .NET 8 CoreCLR, printing one JSON line. Not a test, not
// part of the package; benches/run.sh builds it with mcs against Ytx.dll.
//
//   mono YtxBench.exe calls BASE_URL CALLS WARMUP
//   dotnet exec --runtimeconfig ytx-net8.runtimeconfig.json YtxBench.exe pushes PUSHES WARMUP
//
// calls:  YtxClient.CallbackCall on one thread against BASE_URL (the bench's
//         fixed-response server), the workload from the YTX_BENCH_* variables
//         perf.rs sets, as benches/py_client.py does. Prints
//         {"calls_per_s":..,"p50_us":..,"p99_us":..,"calls":..,"cpu_us":..,"runtime":..}
// pushes: YtxPush.Parse(byte[]) on one thread, the state push then the record
//         push (YTX_BENCH_STATE_PUSH, YTX_BENCH_RECORD_PUSH). Prints
//         {"state":{"per_s":..,"cpu_us":..},"record":{..},"runtime":..}
//
// cpu_us is the whole process's user + system CPU time (getrusage
// RUSAGE_SELF: JIT, GC and finalizer threads included) over the measured
// loop, per call. Nothing here asserts on timings.
using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Ytx;

internal static class YtxBench
{
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        // struct rusage on 64-bit Linux: two struct timeval, then 14 longs.
        public long UtimeSec, UtimeUsec, StimeSec, StimeUsec;
        public long R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13;
    }

    [DllImport("libc.so.6", EntryPoint = "getrusage", SetLastError = true)]
    private static extern int GetRUsage(int who, out RUsage usage);

    /// <summary>User + system CPU seconds of this process (RUSAGE_SELF).</summary>
    private static double CpuSeconds()
    {
        RUsage u;
        if (GetRUsage(0, out u) != 0)
        {
            throw new InvalidOperationException("getrusage failed: errno " + Marshal.GetLastWin32Error());
        }
        return u.UtimeSec + u.StimeSec + (u.UtimeUsec + u.StimeUsec) / 1e6;
    }

    private static string Env(string name, string fallback)
    {
        return Environment.GetEnvironmentVariable(name) ?? fallback;
    }

    private static string Runtime()
    {
        Type mono = Type.GetType("Mono.Runtime");
        if (mono != null)
        {
            var display = mono.GetMethod("GetDisplayName",
                System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static);
            string name = display != null ? (string)display.Invoke(null, null) : "?";
            return "Mono " + name.Split(' ')[0];
        }
        return ".NET " + Environment.Version + " CoreCLR";
    }

    private static string Num(double x)
    {
        return x.ToString("R", CultureInfo.InvariantCulture);
    }

    private static int Calls(string baseUrl, int calls, int warmup)
    {
        string sid = Env("YTX_BENCH_SID", "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8");
        string token = Env("YTX_BENCH_TOKEN", "0123456789abcdef0123456789abcdef");
        string appId = Env("YTX_BENCH_APP_ID", "ff8080813c37da53013c804f8072007c");
        string src = Env("YTX_BENCH_SRC", "13800138000");
        string dst = Env("YTX_BENCH_DST", "01085485069");
        long credit = long.Parse(Env("YTX_BENCH_CREDIT", "600"), CultureInfo.InvariantCulture);
        string customParm = Env("YTX_BENCH_CUSTOM_PARM", "order-42");

        using (var client = new YtxClient(sid, token, appId, new YtxClientOptions { BaseUrl = baseUrl }))
        {
            // Made once, as a caller placing the same kind of call would.
            var options = new CallbackOptions { CustomParm = customParm };
            string rid = client.CallbackCall(src, dst, credit, options).RequestId;
            if (rid != "20160100000002050000000000001")
            {
                Console.Error.WriteLine("unexpected requestId " + rid);
                return 1;
            }
            for (int i = 0; i < warmup; i++)
            {
                client.CallbackCall(src, dst, credit, options);
            }
            var lat = new long[calls];
            double cpu0 = CpuSeconds();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++)
            {
                long t = Stopwatch.GetTimestamp();
                client.CallbackCall(src, dst, credit, options);
                lat[i] = Stopwatch.GetTimestamp() - t;
            }
            long end = Stopwatch.GetTimestamp();
            double cpu = CpuSeconds() - cpu0;
            Array.Sort(lat);
            double tickUs = 1e6 / Stopwatch.Frequency;
            Func<double, double> pct = p => lat[(int)Math.Round((lat.Length - 1) * p)] * tickUs;
            double elapsed = (end - start) / (double)Stopwatch.Frequency;
            Console.WriteLine("{\"calls_per_s\":" + Num(calls / elapsed)
                + ",\"p50_us\":" + Num(pct(0.50))
                + ",\"p99_us\":" + Num(pct(0.99))
                + ",\"calls\":" + calls
                + ",\"cpu_us\":" + Num(cpu * 1e6 / calls)
                + ",\"runtime\":\"" + Runtime() + "\"}");
        }
        return 0;
    }

    private static string OnePushKind(string kind, byte[] body, int n, int warmup)
    {
        YtxPush first = YtxPush.Parse(body);
        bool ok = kind == "state" ? first is YtxStatePush : first is YtxRecordPush;
        if (!ok)
        {
            throw new InvalidOperationException(kind + " push parsed as " + first.GetType().Name);
        }
        for (int i = 0; i < warmup; i++)
        {
            YtxPush.Parse(body);
        }
        double cpu0 = CpuSeconds();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            YtxPush.Parse(body);
        }
        long end = Stopwatch.GetTimestamp();
        double cpu = CpuSeconds() - cpu0;
        double elapsed = (end - start) / (double)Stopwatch.Frequency;
        return "\"" + kind + "\":{\"per_s\":" + Num(n / elapsed) + ",\"cpu_us\":" + Num(cpu * 1e6 / n)
            + ",\"n\":" + n + "}";
    }

    private static int Pushes(int n, int warmup)
    {
        byte[] state = Encoding.UTF8.GetBytes(Env("YTX_BENCH_STATE_PUSH", ""));
        byte[] record = Encoding.UTF8.GetBytes(Env("YTX_BENCH_RECORD_PUSH", ""));
        Console.WriteLine("{" + OnePushKind("state", state, n, warmup) + ","
            + OnePushKind("record", record, n, warmup) + ",\"runtime\":\"" + Runtime() + "\"}");
        return 0;
    }

    private static int Main(string[] args)
    {
        try
        {
            if (args.Length == 4 && args[0] == "calls")
            {
                return Calls(args[1], int.Parse(args[2], CultureInfo.InvariantCulture),
                    int.Parse(args[3], CultureInfo.InvariantCulture));
            }
            if (args.Length == 3 && args[0] == "pushes")
            {
                return Pushes(int.Parse(args[1], CultureInfo.InvariantCulture),
                    int.Parse(args[2], CultureInfo.InvariantCulture));
            }
            Console.Error.WriteLine("usage: YtxBench.exe calls BASE_URL CALLS WARMUP | pushes PUSHES WARMUP");
            return 2;
        }
        catch (Exception e)
        {
            // One line perf.rs can show in the table ("not available: ...").
            Console.Error.WriteLine(e.GetType().Name + ": " + e.Message.Replace('\n', ' '));
            return 1;
        }
    }
}
