// The ...Async methods do not hold thread-pool threads (issue 19): with 32
// calls in flight, each native call waits on a thread that is not a pool
// thread, unrelated pool work still runs, and cancelling them all completes
// every task. The calls go through a closed Gate (Gate.cs): their answers
// cannot come until the test opens it, so every ending seen before that is
// the cancellation's, however loaded the machine. The times printed are
// informative (BENCHMARKS.md, "C# async"), never asserted: with Task.Run
// (before) the unrelated work waited ~16 s on 2 cores and cancellation ~1 s;
// now both take milliseconds.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Ytx;

internal static partial class YtxTests
{
    private const int SlowCallsInFlight = 32;

    private static void RunAsyncPoolTests()
    {
        Run("async: 32 calls in flight wait on no pool thread; unrelated pool work runs; cancel ends all before any answer",
            TestAsyncPoolNotHeld);
        RunPushAsyncTests();
    }

    private static void TestAsyncPoolNotHeld()
    {
        long objects = YtxLibrary.LiveObjects;
        // The library logs "sending POST ..." (Debug) on the thread that makes
        // the call, synchronously: which threads wait for the answers.
        var sendingOnPool = new List<bool>();
        YtxLog.SetHandler((l, m) =>
        {
            if (m.StartsWith("sending POST", StringComparison.Ordinal) && m.Contains("pool-"))
            {
                lock (sendingOnPool)
                {
                    sendingOnPool.Add(Thread.CurrentThread.IsThreadPoolThread);
                }
            }
        }, YtxLogLevel.Debug);
        try
        {
            PoolNotHeld(objects, sendingOnPool);
        }
        finally
        {
            YtxLog.Clear();
        }
    }

    private static void PoolNotHeld(long objects, List<bool> sendingOnPool)
    {
        using (var gate = new Gate())
        {
            int before = Count();
            using (var client = new YtxClient(Sid, Token, App, GatedOptions(gate)))
            using (var cts = new CancellationTokenSource())
            {
                var calls = new List<Task<YtxAccepted>>();
                for (int i = 0; i < SlowCallsInFlight; i++)
                {
                    calls.Add(client.CallbackCallAsync(Src, Dst, 100,
                        new CallbackOptions { CustomParm = "pool-" + i }, cts.Token));
                }
                // Unrelated work queued on the pool behind them: it must not wait
                // for the calls (Task.Run on the pool made it wait ~16 s).
                var pool = Stopwatch.StartNew();
                Task<int> unrelated = Task.Run(() => 42);
                Check(unrelated.Wait(AsyncDeadline), "unrelated pool work ran while " + SlowCallsInFlight + " calls wait");
                TimeSpan poolWait = pool.Elapsed;
                WaitFor(() => Count() >= before + SlowCallsInFlight, AsyncDeadline,
                    "all " + SlowCallsInFlight + " requests to reach the emulator at once (it has " + (Count() - before) + ")");
                Check(calls.All(c => !c.IsCompleted), "all still waiting for their answers (the gate holds them)");
                lock (sendingOnPool)
                {
                    Equal(SlowCallsInFlight, sendingOnPool.Count, "one \"sending\" log line per call");
                    Check(!sendingOnPool.Any(onPool => onPool), "no call waits on a thread-pool thread");
                }
                var cancel = Stopwatch.StartNew();
                cts.Cancel();
                bool ended = false;
                try
                {
                    ended = Task.WaitAll(calls.ToArray(), AsyncDeadline); // only the cancellation can end them
                }
                catch (AggregateException)
                {
                    ended = true;
                }
                TimeSpan cancelWait = cancel.Elapsed;
                Check(ended, "every task ended after Cancel, their answers still held (took " + cancelWait + ")");
                Check(calls.All(c => c.Status == TaskStatus.Canceled), "all canceled: " +
                    string.Join(" ", calls.Select(c => c.Status.ToString()).Distinct()));
                Console.WriteLine(string.Format(System.Globalization.CultureInfo.InvariantCulture, "    measured ({0}): unrelated pool work {1:F1} ms with {2} slow calls in flight; Cancel to all {2} tasks ended {3:F1} ms",
                    OnCoreClr ? "CoreCLR" : "Mono", poolWait.TotalMilliseconds, SlowCallsInFlight, cancelWait.TotalMilliseconds));
                // The calls already sent go on: let their answers through; each is
                // answered once and frees its outcome.
                gate.Open();
                WaitFor(() => YtxLibrary.LiveObjects == objects, AsyncDeadline,
                    "the abandoned calls to finish and free their outcomes (live objects " + YtxLibrary.LiveObjects + ")");
                Equal(before + SlowCallsInFlight, Count(), "exactly one request per call");
            }
        }
    }
}
