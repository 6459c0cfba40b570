// The ...Async methods do not hold thread-pool threads (issue 19): with 32
// slow calls in flight, unrelated pool work still runs, and cancelling them
// all completes every task long before the slow answers. The deadlines are
// wide and far from both outcomes: with Task.Run (before) the unrelated work
// waited ~16 s on 2 cores for the pool to grow and cancellation took ~1 s; now
// both take milliseconds (BENCHMARKS.md, "C# async", from the times printed
// here). The slow answer is 5 s away (the emulator's --slow-secs).

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
        Run("async: 32 slow calls in flight hold no pool thread; unrelated pool work runs; cancel ends all promptly",
            TestAsyncPoolNotHeld);
        RunPushAsyncTests();
    }

    private static void TestAsyncPoolNotHeld()
    {
        long objects = YtxLibrary.LiveObjects;
        using (var client = NewClient())
        using (var cts = new CancellationTokenSource())
        {
            int before = Count();
            var calls = new List<Task<YtxAccepted>>();
            var sent = Stopwatch.StartNew();
            for (int i = 0; i < SlowCallsInFlight; i++)
            {
                calls.Add(client.CallbackCallAsync(Src, FaultSlowAnswer, 100,
                    new CallbackOptions { CustomParm = "pool-" + i }, cts.Token));
            }
            // Unrelated work queued on the pool behind them: it must not wait
            // for the calls (Task.Run on the pool made it wait ~16 s).
            var pool = Stopwatch.StartNew();
            Task<int> unrelated = Task.Run(() => 42);
            Check(unrelated.Wait(TimeSpan.FromSeconds(4)),
                "unrelated pool work ran within 4 s while " + SlowCallsInFlight + " slow calls wait (took " + pool.Elapsed + ")");
            TimeSpan poolWait = pool.Elapsed;
            WaitFor(() => Count() >= before + SlowCallsInFlight, TimeSpan.FromSeconds(4),
                "all " + SlowCallsInFlight + " requests to reach the emulator at once (it has " + (Count() - before) + ")");
            Check(calls.All(c => !c.IsCompleted), "all still waiting for the slow answer (5 s)");
            var cancel = Stopwatch.StartNew();
            cts.Cancel();
            bool ended = false;
            try
            {
                ended = Task.WaitAll(calls.ToArray(), TimeSpan.FromSeconds(2)); // the answers are ~5 s away
            }
            catch (AggregateException)
            {
                ended = true;
            }
            TimeSpan cancelWait = cancel.Elapsed;
            Check(ended, "every task ended within 2 s of Cancel, long before the answers (took " + cancelWait + ")");
            Check(calls.All(c => c.Status == TaskStatus.Canceled), "all canceled");
            Check(sent.Elapsed < TimeSpan.FromSeconds(4.5), "and before the first slow answer could have come");
            Console.WriteLine(string.Format(System.Globalization.CultureInfo.InvariantCulture, "    measured ({0}): unrelated pool work {1:F1} ms with {2} slow calls in flight; Cancel to all {2} tasks ended {3:F1} ms",
                OnCoreClr ? "CoreCLR" : "Mono", poolWait.TotalMilliseconds, SlowCallsInFlight, cancelWait.TotalMilliseconds));
            // The calls already sent go on and are answered once each.
            WaitFor(() => YtxLibrary.LiveObjects == objects, AsyncDeadline,
                "the abandoned calls to finish and free their outcomes (live objects " + YtxLibrary.LiveObjects + ")");
            Equal(before + SlowCallsInFlight, Count(), "exactly one request per call");
        }
    }
}
