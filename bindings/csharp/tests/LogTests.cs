// Tests of YtxLog, the bridge from ytx_set_logger to .NET (issue 8). Part of
// the YtxTests program (see YtxTests.cs for the runner and the helpers).

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Ytx;

internal static partial class YtxTests
{
    // Every message any log test received, for the auth-token check.
    private static readonly List<string> AllLogMessages = new List<string>();

    private static void RunLogTests()
    {
        Run("log: off by default; SetHandler validates its arguments", TestLogOffByDefault);
        Run("log: a successful call logs Info with the requestId and Sign=<redacted>", TestLogInfo);
        Run("log: an HTTP 500 fault logs Error; Error filters out Info", TestLogError);
        Run("log: invalid arguments and platform refusals log Warn", TestLogWarn);
        Run("log: Debug shows the request body, UTF-8 intact", TestLogDebug);
        Run("log: after Clear nothing more is delivered", TestLogClear);
        Run("log: a throwing handler breaks neither the call nor the process", TestLogThrowingHandler);
        Run("log: the handler delegate survives garbage collections", TestLogSurvivesGc);
        Run("log: 8 threads log concurrently, each event on its own thread", TestLogThreads);
        Run("log: handlers replaced while 4 threads log: none called after replacement", TestLogReplaceUnderLoad);
        Run("log: the auth token and the Sign never appear in any message", TestLogNoSecrets);
    }

    /// <summary>Records what a handler receives: level, message, thread.</summary>
    private sealed class LogRecorder
    {
        private readonly List<LogEvent> _events = new List<LogEvent>();

        public void Handle(YtxLogLevel level, string message)
        {
            var e = new LogEvent(level, message, Thread.CurrentThread.ManagedThreadId);
            lock (_events)
            {
                _events.Add(e);
            }
            lock (AllLogMessages)
            {
                AllLogMessages.Add(message);
            }
        }

        public List<LogEvent> Events
        {
            get
            {
                lock (_events)
                {
                    return new List<LogEvent>(_events);
                }
            }
        }

        public int Count
        {
            get
            {
                lock (_events)
                {
                    return _events.Count;
                }
            }
        }

        public List<LogEvent> At(YtxLogLevel level)
        {
            return Events.Where(e => e.Level == level).ToList();
        }

        public string Dump()
        {
            return string.Join(" | ", Events.Select(e => e.Level + ": " + e.Message));
        }
    }

    private sealed class LogEvent
    {
        public LogEvent(YtxLogLevel level, string message, int thread)
        {
            Level = level;
            Message = message;
            Thread = thread;
        }

        public YtxLogLevel Level { get; }
        public string Message { get; }
        public int Thread { get; }
    }

    private static void TestLogOffByDefault()
    {
        Equal(YtxLogLevel.Off, YtxLog.MinLevel, "MinLevel before any SetHandler");
        Check(!YtxLog.IsEnabled, "logging is off by default");
        Equal(0, (int)YtxLogLevel.Off, "Off");
        Equal(1, (int)YtxLogLevel.Error, "Error");
        Equal(2, (int)YtxLogLevel.Warn, "Warn");
        Equal(3, (int)YtxLogLevel.Info, "Info");
        Equal(4, (int)YtxLogLevel.Debug, "Debug");
        YtxLog.Clear(); // nothing installed: a no-op
        Throws<ArgumentNullException>(() => YtxLog.SetHandler(null, YtxLogLevel.Info));
        var rec = new LogRecorder();
        ArgError(() => YtxLog.SetHandler(rec.Handle, (YtxLogLevel)5), YtxResultCode.InvalidArgument, "min_level");
        ArgError(() => YtxLog.SetHandler(rec.Handle, (YtxLogLevel)(-1)), YtxResultCode.InvalidArgument, "min_level");
        YtxLog.SetHandler(rec.Handle, YtxLogLevel.Off); // the same as Clear
        Check(!YtxLog.IsEnabled, "SetHandler(h, Off) leaves logging off");
        using (var client = NewClient())
        {
            client.CallbackCall(Src, Dst, 100);
        }
        Equal(0, rec.Count, "events delivered while off");
        try
        {
            YtxLog.SetHandler(rec.Handle); // default minimum level: Info
            Equal(YtxLogLevel.Info, YtxLog.MinLevel, "default minimum level");
            Check(YtxLog.IsEnabled, "IsEnabled");
        }
        finally
        {
            YtxLog.Clear();
        }
        Equal(YtxLogLevel.Off, YtxLog.MinLevel, "MinLevel after Clear");
    }

    private static void TestLogInfo()
    {
        var rec = new LogRecorder();
        YtxLog.SetHandler(rec.Handle, YtxLogLevel.Info);
        YtxAccepted r, v;
        try
        {
            using (var client = NewClient())
            {
                r = client.CallbackCall(Src, Dst, 3600, new CallbackOptions { CustomParm = "info-1" });
                v = client.VoiceCode(Dst, Clid, "4821");
            }
        }
        finally
        {
            YtxLog.Clear();
        }
        var events = rec.Events;
        Equal(2, events.Count, "events (one Info line per accepted request): " + rec.Dump());
        Equal(YtxLogLevel.Info, events[0].Level, "level");
        Equal(YtxLogLevel.Info, events[1].Level, "level");
        string m = events[0].Message;
        Contains(m, r.RequestId, "the callback's Info line has its requestId");
        Contains(m, "Sign=<redacted>", "the Info line redacts the Sign");
        Contains(m, "POST " + _baseUrl + "/201512/sid/" + Sid + "/call/DailbackCall.wx", "method and URL");
        Contains(m, "statusCode 0", "statusCode");
        NotContains(m, "info-1", "no body at Info");
        Contains(events[1].Message, v.RequestId, "the voice code's Info line has its requestId");
        Contains(events[1].Message, "/call/CodeCallOut.wx?Sign=<redacted>", "voice code URL (the default endpoint)");
        Equal(Thread.CurrentThread.ManagedThreadId, events[0].Thread, "delivered on the calling thread");
    }

    private static void TestLogError()
    {
        var rec = new LogRecorder();
        YtxLog.SetHandler(rec.Handle, YtxLogLevel.Error);
        try
        {
            using (var client = NewClient())
            {
                client.CallbackCall(Src, Dst, 100); // Info: filtered out
                Equal(0, rec.Count, "an accepted request at minimum level Error: " + rec.Dump());
                var e = Throws<YtxProtocolException>(() => client.CallbackCall(Src, FaultHttp500, 100));
                Equal(500, e.HttpStatus, "HTTP status");
                Equal(1, rec.Count, "one event for the HTTP 500: " + rec.Dump());
                Throws<YtxTransportException>(() => client.VoiceCode(FaultDropConnection, Clid, "1"));
                Equal(2, rec.Count, "one event for the dropped connection: " + rec.Dump());
            }
        }
        finally
        {
            YtxLog.Clear();
        }
        var events = rec.Events;
        Equal(2, events.Count, "the events checked below: " + rec.Dump());
        Check(events.All(x => x.Level == YtxLogLevel.Error), "every event is Error: " + rec.Dump());
        Contains(events[0].Message, "500", "the Error line names the HTTP status");
        Contains(events[0].Message, "Sign=<redacted>", "the Error line redacts the Sign");
        Contains(events[0].Message, "/call/DailbackCall.wx", "the Error line names the endpoint");
        Contains(events[1].Message, "/call/CodeCallOut.wx", "the voice code's Error line");
    }

    private static void TestLogWarn()
    {
        var rec = new LogRecorder();
        YtxLog.SetHandler(rec.Handle, YtxLogLevel.Warn);
        try
        {
            using (var client = NewClient())
            {
                ArgError(() => client.PrepareCallbackCall("1380013800a", Dst, 100), YtxResultCode.InvalidArgument, "src");
                Equal(1, rec.Count, "one event for the invalid src: " + rec.Dump());
                ArgError(() => client.VoiceCode(Dst, Clid, "12-34"), YtxResultCode.InvalidArgument, "code");
                Equal(2, rec.Count, "one event for the invalid code: " + rec.Dump());
                client.CallbackCall(Src, Dst, 100); // Info: filtered out
                Equal(2, rec.Count, "an accepted request at minimum level Warn");
            }
            using (var client = new YtxClient(Sid, WrongToken, App, Options()))
            {
                var p = Throws<YtxPlatformException>(() => client.CallbackCall(Src, Dst, 100));
                Equal("-203", p.StatusCode, "statusCode");
                Equal(3, rec.Count, "one event for the platform's refusal: " + rec.Dump());
            }
        }
        finally
        {
            YtxLog.Clear();
        }
        var events = rec.Events;
        Equal(3, events.Count, "the events checked below: " + rec.Dump());
        Check(events.All(x => x.Level == YtxLogLevel.Warn), "every event is Warn: " + rec.Dump());
        Contains(events[0].Message, "src", "the Warn line names the field");
        Contains(events[0].Message, "not sent", "the Warn line says nothing was sent");
        Contains(events[1].Message, "code", "the Warn line names the field");
        Contains(events[2].Message, "-203", "the Warn line has the statusCode");
        Contains(events[2].Message, "Sign验证失败", "the platform's Chinese statusMsg survives");
    }

    private static void TestLogDebug()
    {
        const string parm = "订单-日志 ñ 🎉";
        var rec = new LogRecorder();
        YtxLog.SetHandler(rec.Handle, YtxLogLevel.Debug);
        YtxAccepted r;
        try
        {
            using (var client = NewClient())
            {
                r = client.CallbackCall(Src, Dst, 3600, new CallbackOptions { CustomParm = parm });
            }
        }
        finally
        {
            YtxLog.Clear();
        }
        var events = rec.Events;
        Equal(2, events.Count, "Debug then Info: " + rec.Dump());
        Equal(YtxLogLevel.Debug, events[0].Level, "first the body, before sending");
        Equal(YtxLogLevel.Info, events[1].Level, "then the answer");
        string m = events[0].Message;
        Contains(m, "\"customParm\":\"" + parm + "\"", "the body, non-ASCII intact");
        Contains(m, "\"src\":\"" + Src + "\"", "the body's src");
        Contains(m, "\"credit\":\"3600\"", "the body's credit");
        Contains(m, "Sign=<redacted>", "the Debug line redacts the Sign");
        Contains(events[1].Message, r.RequestId, "requestId");
    }

    private static void TestLogClear()
    {
        var rec = new LogRecorder();
        YtxLog.SetHandler(rec.Handle, YtxLogLevel.Debug);
        using (var client = NewClient())
        {
            try
            {
                client.CallbackCall(Src, Dst, 100);
                Check(rec.Count >= 2, "delivered while installed: " + rec.Dump());
            }
            finally
            {
                YtxLog.Clear();
            }
            int seen = rec.Count;
            Check(!YtxLog.IsEnabled, "IsEnabled after Clear");
            client.CallbackCall(Src, Dst, 100);
            client.VoiceCode(Dst, Clid, "1");
            Throws<YtxProtocolException>(() => client.CallbackCall(Src, FaultHttp500, 100));
            ArgError(() => client.PrepareCallbackCall("1380013800a", Dst, 100), YtxResultCode.InvalidArgument, "src");
            Equal(seen, rec.Count, "events after Clear");
            YtxLog.Clear(); // twice: fine
            Equal(seen, rec.Count, "events after Clear x2");
        }
    }

    private static void TestLogThrowingHandler()
    {
        long before = YtxLog.HandlerExceptions;
        YtxLog.SetHandler((level, message) => { throw new InvalidOperationException("handler failure " + message); }, YtxLogLevel.Debug);
        try
        {
            using (var client = NewClient())
            {
                YtxAccepted r = client.CallbackCall(Src, Dst, 100);
                Equal("0", r.StatusCode, "the call succeeded despite the handler");
                Check(Regex.IsMatch(r.RequestId, "^[0-9]{29}$"), "requestId");
                Equal(before + 2, YtxLog.HandlerExceptions, "both exceptions (Debug, Info) were swallowed and counted");
                var e = Throws<YtxProtocolException>(() => client.CallbackCall(Src, FaultHttp500, 100));
                Equal(500, e.HttpStatus, "the call's own exception, not the handler's");
                ArgError(() => client.PrepareVoiceCode(Dst, Clid, "12-34"), YtxResultCode.InvalidArgument, "code");
            }

            // Other kinds of exceptions, and a handler that tries to change the logger.
            bool refused = false;
            int calls = 0;
            YtxLog.SetHandler((level, message) =>
            {
                int n = Interlocked.Increment(ref calls);
                if (n == 1)
                {
                    try
                    {
                        YtxLog.Clear();
                    }
                    catch (InvalidOperationException)
                    {
                        refused = true;
                    }
                    return;
                }
                if (n == 2)
                {
                    throw new StackOverflowException("not a real one");
                }
                object o = null;
                o.ToString(); // NullReferenceException
            }, YtxLogLevel.Info);
            using (var client = NewClient())
            {
                for (int i = 0; i < 3; i++)
                {
                    Equal("0", client.VoiceCode(Dst, Clid, "7" + i).StatusCode, "call " + i);
                }
            }
            Check(refused, "Clear() from inside the handler threw InvalidOperationException");
            Check(YtxLog.IsEnabled, "the handler is still installed");
            Equal(3, calls, "handler calls");
        }
        finally
        {
            YtxLog.Clear();
        }
        Check(YtxLog.HandlerExceptions >= before + 4, "exceptions counted: " + (YtxLog.HandlerExceptions - before));
    }

    private static void TestLogSurvivesGc()
    {
        int delivered = 0;
        // The delegate is only referenced by the bridge once this statement ends.
        YtxLog.SetHandler((level, message) => Interlocked.Increment(ref delivered), YtxLogLevel.Info);
        try
        {
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            using (var client = NewClient())
            {
                for (int i = 0; i < 5; i++)
                {
                    client.CallbackCall(Src, Dst, 100);
                    GC.Collect();
                }
            }
        }
        finally
        {
            YtxLog.Clear();
        }
        Equal(5, delivered, "events after collections");
    }

    private static void TestLogThreads()
    {
        const int threads = 8;
        const int calls = 25;
        var rec = new LogRecorder();
        var threadIds = new int[threads];
        var ids = new List<string>[threads];
        var errors = new List<Exception>();
        int inside = 0, maxInside = 0;
        YtxLog.SetHandler((level, message) =>
        {
            int now = Interlocked.Increment(ref inside);
            int seen;
            while ((seen = Volatile.Read(ref maxInside)) < now && Interlocked.CompareExchange(ref maxInside, now, seen) != seen)
            {
            }
            Thread.SpinWait(2000); // widen the window for overlap
            rec.Handle(level, message);
            Interlocked.Decrement(ref inside);
        }, YtxLogLevel.Debug);
        try
        {
            using (var client = NewClient())
            {
                var workers = new Thread[threads];
                for (int t = 0; t < threads; t++)
                {
                    int id = t;
                    ids[id] = new List<string>();
                    workers[t] = new Thread(() =>
                    {
                        threadIds[id] = Thread.CurrentThread.ManagedThreadId;
                        try
                        {
                            for (int i = 0; i < calls; i++)
                            {
                                ids[id].Add(client.CallbackCall(Src, Dst, 100,
                                    new CallbackOptions { CustomParm = "日志" + id + "-" + i }).RequestId);
                            }
                        }
                        catch (Exception e)
                        {
                            lock (errors)
                            {
                                errors.Add(e);
                            }
                        }
                    });
                    workers[t].Start();
                }
                foreach (var w in workers)
                {
                    w.Join();
                }
            }
        }
        finally
        {
            YtxLog.Clear();
        }
        if (errors.Count > 0)
        {
            throw new Exception(errors.Count + " calls failed; first: " + errors[0]);
        }
        var debug = rec.At(YtxLogLevel.Debug);
        var info = rec.At(YtxLogLevel.Info);
        Equal(threads * calls, debug.Count, "Debug events");
        Equal(threads * calls, info.Count, "Info events");
        Equal(2 * threads * calls, rec.Count, "no other events");
        for (int t = 0; t < threads; t++)
        {
            for (int i = 0; i < calls; i++)
            {
                string needle = "\"customParm\":\"日志" + t + "-" + i + "\"";
                var mine = debug.Where(e => e.Message.Contains(needle)).ToList();
                Equal(1, mine.Count, "Debug events for " + needle);
                Equal(threadIds[t], mine[0].Thread, "the body of " + needle + " was logged on its caller's thread");
                string rid = ids[t][i];
                var answer = info.Where(e => e.Message.Contains("requestId " + rid)).ToList();
                Equal(1, answer.Count, "Info events for requestId " + rid);
                Equal(threadIds[t], answer[0].Thread, "the answer " + rid + " was logged on its caller's thread");
            }
        }
        Console.WriteLine("     (at most " + maxInside + " handlers ran at once)");
    }

    private static void TestLogReplaceUnderLoad()
    {
        const int workers = 4;
        const int swaps = 150;
        var stop = new ManualResetEvent(false);
        var errors = new List<Exception>();
        int late = 0, delivered = 0, callsMade = 0;
        var threads = new Thread[workers];
        using (var client = NewClient())
        {
            for (int w = 0; w < workers; w++)
            {
                int id = w;
                threads[w] = new Thread(() =>
                {
                    for (int i = 0; !stop.WaitOne(0); i++)
                    {
                        try
                        {
                            switch (i % 3)
                            {
                                case 0:
                                    client.CallbackCall(Src, Dst, 100); // Debug + Info
                                    break;
                                case 1:
                                    client.PrepareVoiceCode(Dst, Clid, "12-34"); // Warn
                                    break;
                                default:
                                    client.VoiceCode(Dst, Clid, "9" + id);
                                    break;
                            }
                        }
                        catch (YtxArgumentException)
                        {
                        }
                        catch (Exception e)
                        {
                            lock (errors)
                            {
                                errors.Add(e);
                            }
                            return;
                        }
                        Interlocked.Increment(ref callsMade);
                    }
                });
                threads[w].Start();
            }
            // Each handler has a "retired" flag, set once the SetHandler or Clear
            // that replaced it has returned: from then on the bridge must never call it.
            int[] current = null;
            try
            {
                var levels = new[] { YtxLogLevel.Error, YtxLogLevel.Warn, YtxLogLevel.Info, YtxLogLevel.Debug };
                for (int s = 0; s < swaps; s++)
                {
                    var retired = new int[1];
                    YtxLog.SetHandler((level, message) =>
                    {
                        if (Volatile.Read(ref retired[0]) != 0)
                        {
                            Interlocked.Increment(ref late);
                        }
                        Interlocked.Increment(ref delivered);
                        Thread.SpinWait(500);
                    }, levels[s % levels.Length]);
                    if (current != null)
                    {
                        Volatile.Write(ref current[0], 1);
                    }
                    current = retired;
                    Thread.Sleep(1);
                    if (s % 10 == 0)
                    {
                        GC.Collect(); // the replaced handlers are garbage now
                    }
                    if (s % 3 == 0)
                    {
                        YtxLog.Clear();
                        Volatile.Write(ref current[0], 1);
                        current = null;
                    }
                }
            }
            finally
            {
                YtxLog.Clear();
                if (current != null)
                {
                    Volatile.Write(ref current[0], 1);
                }
                Thread.Sleep(20); // calls after the last Clear must not reach any handler either
                stop.Set();
                foreach (var t in threads)
                {
                    t.Join();
                }
            }
        }
        if (errors.Count > 0)
        {
            throw new Exception(errors.Count + " calls failed; first: " + errors[0]);
        }
        Equal(0, late, "events delivered to a handler after it was replaced or cleared");
        Check(delivered > 0, "events were delivered");
        Check(callsMade > 0, "calls were made");
        Console.WriteLine("     (" + swaps + " swaps, " + callsMade + " calls, " + delivered + " events)");
    }

    private static void TestLogNoSecrets()
    {
        // One more round at Debug through every kind of event, then check all
        // messages the log tests received.
        var rec = new LogRecorder();
        YtxLog.SetHandler(rec.Handle, YtxLogLevel.Debug);
        try
        {
            using (var client = NewClient())
            {
                client.CallbackCall(Src, Dst, 100);
                client.VoiceCode(Dst, Clid, "5");
                Throws<YtxProtocolException>(() => client.CallbackCall(Src, FaultNotJson, 100));
                Throws<YtxPlatformException>(() => client.CallbackCall(Src, "19900001204", 100));
                ArgError(() => client.PrepareCallbackCall(Src, "1390013900x", 100), YtxResultCode.InvalidArgument, "dst");
            }
            using (var client = new YtxClient(Sid, WrongToken, App, Options()))
            {
                Throws<YtxPlatformException>(() => client.VoiceCode(Dst, Clid, "5"));
            }
        }
        finally
        {
            YtxLog.Clear();
        }
        List<string> all;
        lock (AllLogMessages)
        {
            all = new List<string>(AllLogMessages);
        }
        Check(all.Count >= 40, "messages checked: " + all.Count);
        var sign = new Regex("Sign=(?!<redacted>)", RegexOptions.CultureInvariant);
        foreach (string m in all)
        {
            NotContains(m, Token, "log message");
            NotContains(m, WrongToken, "log message");
            NotContains(m, Token.ToUpperInvariant(), "log message");
            Check(!sign.IsMatch(m), "a Sign that is not redacted in <" + m + ">");
        }
    }
}
