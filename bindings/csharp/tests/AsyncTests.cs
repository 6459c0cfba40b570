// The ...Async methods of YtxClient (issue 14): both calls concurrently against
// the emulator, cancellation that stops the waiting and never the call already
// sent, exceptions through tasks, the queries. Waits are for events (the
// emulator's request count, a task's completion) under wide deadlines.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Ytx;

internal static partial class YtxTests
{
    /// <summary>Generous: only a hang or a missing event takes this long.</summary>
    private static readonly TimeSpan AsyncDeadline = TimeSpan.FromSeconds(20);

    private static void RunAsyncTests()
    {
        Run("async: CallbackCallAsync and VoiceCodeAsync placed concurrently, both accepted", TestAsyncBothCalls);
        Run("async: both calls in flight at once (both requests on the emulator, no answer yet)", TestAsyncOverlap);
        Run("async: the caller's thread is not blocked while the call waits", TestAsyncDoesNotBlock);
        Run("async: cancel while the call waits: task canceled before the answer, request sent once, outcome freed", TestAsyncCancelInFlight);
        Run("async: an already-canceled token sends nothing", TestAsyncPreCanceled);
        Run("async: errors fault the task with the same exceptions", TestAsyncErrors);
        Run("async: CallRecordAsync, CallRecordsAfterAsync, FindCallAsync, BalanceAsync", TestAsyncQueries);
        RunAsyncPoolTests();
    }

    /// <summary>Waits for <paramref name="condition"/> (polling), failing after the deadline.</summary>
    private static void WaitFor(Func<bool> condition, TimeSpan deadline, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > deadline)
            {
                throw new AssertionException("timed out after " + deadline + " waiting for " + what);
            }
            Thread.Sleep(20);
        }
    }

    private static T Await<T>(Task<T> task, string what)
    {
        Check(task.Wait(AsyncDeadline), what + ": finished within " + AsyncDeadline);
        return task.Result;
    }

    private static void TestAsyncBothCalls()
    {
        using (var client = NewClient())
        using (var cts = new CancellationTokenSource())
        {
            int before = Count();
            Task<YtxAccepted> call = client.CallbackCallAsync(Src, Dst, 3600,
                new CallbackOptions { CustomParm = "async-1" }, cts.Token);
            Task<YtxAccepted> code = client.VoiceCodeAsync(Dst, null, "4821", 2, cts.Token);
            Check(Task.WaitAll(new Task[] { call, code }, AsyncDeadline), "both finished");
            Equal("0", call.Result.StatusCode, "callback accepted");
            Equal("0", code.Result.StatusCode, "voice code accepted");
            Check(call.Result.RequestId.Length == 29 && code.Result.RequestId.Length == 29, "29-digit requestIds");
            Check(call.Result.RequestId != code.Result.RequestId, "two requestIds");
            Equal(before + 2, Count(), "exactly two requests");
            var paths = Requests().Skip(before).Select(r => (string)((Dictionary<string, object>)r)["path"]).ToList();
            Equal(2, paths.Count, "two requests logged");
            Check(paths.Any(p => p.EndsWith("/call/DailbackCall.wx", StringComparison.Ordinal)), "a callback call: " + string.Join(" ", paths));
            Check(paths.Any(p => p.EndsWith("/call/CodeCallOut.wx", StringComparison.Ordinal)), "a voice code: " + string.Join(" ", paths));
            // Without a token too (the plain Task.Run path), through the interface.
            IYtxClient mockable = client;
            Equal("0", Await(mockable.CallbackCallAsync(Src, Dst, 100), "no token").StatusCode, "through IYtxClient");
        }
    }

    private static void TestAsyncOverlap()
    {
        // Through a closed gate (Gate.cs) the answers cannot come: both requests
        // reach the emulator while neither task can have finished, so they are in
        // flight at once, on threads other than this one. Then the gate opens.
        using (var gate = new Gate())
        using (var client = new YtxClient(Sid, Token, App, GatedOptions(gate)))
        {
            int before = Count();
            Task<YtxAccepted> call = client.CallbackCallAsync(Src, Dst, 100);
            Task<YtxAccepted> code = client.VoiceCodeAsync(Dst, null, "4821");
            WaitFor(() => Count() >= before + 2 || call.IsCompleted || code.IsCompleted, AsyncDeadline, "both requests received");
            Check(!call.IsCompleted && !code.IsCompleted,
                "both requests received while both calls still wait (call " + call.Status + ", code " + code.Status + ")");
            Equal(before + 2, Count(), "two requests");
            gate.Open();
            Equal("0", Await(call, "held callback").StatusCode, "held callback accepted");
            Equal("0", Await(code, "held voice code").StatusCode, "held voice code accepted");
            Equal(before + 2, Count(), "still two requests: nothing repeated");
        }
    }

    private static void TestAsyncDoesNotBlock()
    {
        using (var gate = new Gate())
        using (var client = new YtxClient(Sid, Token, App, GatedOptions(gate)))
        {
            int caller = Thread.CurrentThread.ManagedThreadId;
            Task<YtxAccepted> call = client.CallbackCallAsync(Src, Dst, 100);
            // The gate holds the answer: the method returned without it.
            Check(!call.IsCompleted, "returned before the answer");
            int ranOn = -1;
            var logged = new ManualResetEventSlim();
            YtxLog.SetHandler((l, m) => { ranOn = Thread.CurrentThread.ManagedThreadId; logged.Set(); }, YtxLogLevel.Info);
            try
            {
                gate.Open();
                Await(call, "held call");
                Check(logged.Wait(AsyncDeadline), "the call logged its Info line");
            }
            finally
            {
                YtxLog.Clear();
            }
            Check(ranOn != caller, "the native call ran on another thread than the caller's");
        }
    }

    private static void TestAsyncCancelInFlight()
    {
        long objects = YtxLibrary.LiveObjects;
        // The library logs one Info line when a call is answered: how this test
        // sees the abandoned call finish in the background.
        var infos = new List<string>();
        YtxLog.SetHandler((l, m) => { lock (infos) infos.Add(m); }, YtxLogLevel.Info);
        try
        {
            CancelInFlight(objects, infos);
        }
        finally
        {
            YtxLog.Clear();
        }
        Equal(objects, YtxLibrary.LiveObjects, "live objects after the client is gone");
    }

    private static void CancelInFlight(long objects, List<string> infos)
    {
        // Through a closed gate (Gate.cs): the answer cannot come before the
        // test opens it, so the task can only end by the cancellation.
        using (var gate = new Gate())
        using (var client = new YtxClient(Sid, Token, App, GatedOptions(gate)))
        using (var cts = new CancellationTokenSource())
        {
            int before = Count();
            Task<YtxAccepted> call = client.CallbackCallAsync(Src, Dst, 100,
                new CallbackOptions { CustomParm = "cancel-me" }, cts.Token);
            WaitFor(() => Count() >= before + 1 || call.IsCompleted, AsyncDeadline, "the request to reach the emulator");
            Check(!call.IsCompleted, "still waiting for the held answer: " + call.Status);
            var sw = Stopwatch.StartNew();
            cts.Cancel();
            bool ended = false;
            try
            {
                ended = call.Wait(AsyncDeadline); // the answer is held: only the cancellation ends it
            }
            catch (AggregateException e)
            {
                ended = true;
                Check(e.InnerExceptions.Count == 1 && e.InnerException is OperationCanceledException,
                    "a cancellation: " + e.InnerException);
            }
            Check(ended, "the task ended after Cancel while its answer was held, took " + sw.Elapsed);
            Equal(TaskStatus.Canceled, call.Status, "task status");
            Throws<OperationCanceledException>(() => call.GetAwaiter().GetResult());
            var last = LastRequest();
            EndsWith((string)last["path"], "/call/DailbackCall.wx", "the callback call");
            Check(((string)last["body"]).Contains("cancel-me"), "with its customParm");
            string id = (string)last["request_id"];
            Check(id != null && id.Length == 29, "the emulator's requestId for it: " + id);
            lock (infos)
            {
                Check(!infos.Any(m => m.Contains(id)), "not answered yet when the task was canceled");
            }
            // The call already sent goes on: once the gate lets its answer
            // through, it is answered (not withdrawn: the library logs the
            // platform's answer with its requestId), its outcome is freed (the
            // live-object count comes back exactly), and it is never sent again.
            gate.Open();
            WaitFor(() => { lock (infos) return infos.Any(m => m.Contains(id)); }, AsyncDeadline,
                "the abandoned call to be answered in the background (requestId " + id + ")");
            WaitFor(() => YtxLibrary.LiveObjects == objects, AsyncDeadline,
                "the abandoned call to free its outcome (live objects back to " + objects + ", now " + YtxLibrary.LiveObjects + ")");
            Equal(before + 1, Count(), "the emulator received exactly one request");
            Thread.Sleep(200);
            Equal(before + 1, Count(), "and no other afterwards");
        }
    }

    private static void TestAsyncPreCanceled()
    {
        using (var client = NewClient())
        using (var cts = new CancellationTokenSource())
        {
            cts.Cancel();
            int before = Count();
            var tasks = new List<Task>
            {
                client.CallbackCallAsync(Src, Dst, 100, null, cts.Token),
                client.VoiceCodeAsync(Dst, null, "1234", null, cts.Token),
                client.CallRecordAsync("0", null, cts.Token),
                client.CallRecordsAfterAsync("0", 10, null, cts.Token),
                client.FindCallAsync("x", "0", null, cts.Token),
                client.BalanceAsync(cts.Token),
            };
            foreach (Task t in tasks)
            {
                Equal(TaskStatus.Canceled, t.Status, "canceled at once");
            }
            Thread.Sleep(200); // anything queued would have been sent by now
            Equal(before, Count(), "nothing sent");
        }
    }

    private static void TestAsyncErrors()
    {
        using (var client = NewClient())
        using (var cts = new CancellationTokenSource())
        {
            int before = Count();
            foreach (CancellationToken token in new[] { CancellationToken.None, cts.Token })
            {
                var e = Throws<YtxArgumentException>(() => client.CallbackCallAsync(Src, "12", 100, null, token).GetAwaiter().GetResult());
                Equal("dst", e.Field, "field");
                var v = Throws<YtxArgumentException>(() => client.VoiceCodeAsync(Dst, null, "1234", 4, token).GetAwaiter().GetResult());
                Equal("time", v.Field, "field (the library's 1–3 rule)");
                var p = Throws<YtxPlatformException>(() => client.CallbackCallAsync(Src, "19900001204", 100, null, token).GetAwaiter().GetResult());
                Equal("-204", p.StatusCode, "platform refusal through the task");
            }
            Equal(before + 2, Count(), "only the two refused calls were sent");
        }
        var disposed = NewClient();
        disposed.Dispose();
        Throws<ObjectDisposedException>(() => disposed.BalanceAsync().GetAwaiter().GetResult());
        using (var gate = new Gate()) // the slow answer held: the 1 s timeout always comes first
        using (var client = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = gate.BaseUrl, Timeout = TimeSpan.FromSeconds(1) }))
        using (var cts = new CancellationTokenSource())
        {
            var t = Throws<YtxTimeoutException>(() => client.CallbackCallAsync(Src, FaultSlowAnswer, 100, null, cts.Token).GetAwaiter().GetResult());
            Equal(YtxDelivery.Unknown, t.Delivery, "a timeout while waiting: unknown");
        }
    }

    private static void TestAsyncQueries()
    {
        using (var client = NewClient())
        using (var cts = new CancellationTokenSource())
        {
            string parm = "async-query-" + Guid.NewGuid().ToString("N");
            string known = Await(client.CallbackCallAsync(Src, Dst, 100, null, cts.Token), "call before").RequestId;
            YtxAccepted a = Await(client.CallbackCallAsync(Src, Dst, 100, new CallbackOptions { CustomParm = parm }, cts.Token), "call");
            YtxCallRecord r = Await(client.CallRecordAsync(a.RequestId, null, cts.Token), "CallRecordAsync");
            Check(r != null, "the emulator has the record");
            Equal(a.RequestId, r.RequestId, "record's requestId");
            IReadOnlyList<YtxCallRecord> page = Await(client.CallRecordsAfterAsync(known, 10, null, cts.Token), "CallRecordsAfterAsync");
            Check(page.Count > 0, "a non-empty page");
            Check(page.Any(x => x.RequestId == a.RequestId), "the call is on the page");
            YtxCallRecord found = Await(client.FindCallAsync(parm, known, null, cts.Token), "FindCallAsync");
            Check(found != null, "FindCallAsync found the call");
            Equal(a.RequestId, found.RequestId, "found requestId");
            Check(Await(client.FindCallAsync("never-" + parm, known, null, cts.Token), "FindCallAsync (none)") == null, "never placed: null");
            YtxBalance b = Await(client.BalanceAsync(cts.Token), "BalanceAsync");
            Check(b.Fen > 0, "a balance: " + b.Text);
        }
    }
}
