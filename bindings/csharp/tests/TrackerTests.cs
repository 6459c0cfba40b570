// The tracker (issue 21) through the C# binding: YtxTracker end to end against
// an emulator that pushes to a local HttpListener feeding the tracker. 50 calls
// mix every magic number (lost record push, lost state pushes, record push
// first, forged requestId, an SMS report told apart only by its routing key,
// duplicates, out of order, failed legs, two outcomes unknown), with a restart
// in the middle (a new tracker restored from Pending()). Time is the tracker's
// manual clock, moved only once every push the emulator sent has been taken.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Ytx;

internal static partial class YtxTests
{
    private const string CallRecordPushLost = "19900002006";
    private const string CallStatePushesLost = "19900002007";
    private const string CallForgedPushes = "19900002009";
    private const string CallSmsRoutedPush = "19900002010";

    // src, dst, pushes the emulator logs for it (lost ones included), outcome unknown.
    private static readonly Tuple<string, string, int, bool>[] TrackerKinds =
    {
        Tuple.Create(Src, Dst, 9, false),
        Tuple.Create(Src, "19900002002", 7, false),  // second leg busy
        Tuple.Create(Src, "19900002003", 12, false), // duplicate pushes
        Tuple.Create(Src, "19900002004", 9, false),  // out of order
        Tuple.Create(Src, "19900002005", 8, false),  // second leg no answer
        Tuple.Create("19900002001", Dst, 4, false),  // first leg no answer
        Tuple.Create(Src, CallRecordPushLost, 9, false),
        Tuple.Create(Src, CallStatePushesLost, 9, false),
        Tuple.Create(Src, "19900002008", 9, false),  // record push first
        Tuple.Create(Src, CallForgedPushes, 11, false),
        Tuple.Create(Src, CallSmsRoutedPush, 10, false),
        Tuple.Create(Src, FaultDropConnection, 9, true),
        Tuple.Create(Src, FaultTruncatedJson, 9, true),
    };

    private static void RunTrackerTests()
    {
        Run("tracker drift: YtxEventKind equals ytx.h's YTX_EVENT_* and ytx_event_kind_name; StatNames its list", TestTrackerDrift);
        Run("tracker: OnPush statuses, bad options name their field, Track/Pending/Forget, Dispose wakes a waiter", TestTrackerApi);
        Run("tracker: 50 calls, every magic number, a restart from Pending(): one final event each, nothing twice", TestTrackerFiftyCalls);
        Run("tracker: NextEventAsync, cancelled waits lose nothing (verify always: one query per call)", TestTrackerAsync);
    }

    private sealed class TrackerPlaced
    {
        public Tuple<string, string, int, bool> Kind;
        public string CustomParm;
        public string RequestId; // null: an outcome unknown
    }

    /// <summary>An emulator pushing to a local receiver that feeds whichever tracker is in the slot.</summary>
    private sealed class TrackerRig : IDisposable
    {
        private readonly HttpListener _listener;
        private readonly Thread _thread;
        private readonly object _slot = new object();
        private YtxTracker _tracker;
        public readonly Emu Emulator;
        public readonly YtxClient Client;
        public readonly YtxTrackerOptions Options;

        public TrackerRig(YtxVerify verify)
        {
            string prefix;
            _listener = StartListener("/s3cret-c5e1/", out prefix);
            _thread = new Thread(Loop) { IsBackground = true };
            _thread.Start();
            Emulator = Emu.Start("--push-url " + prefix + "push --push-interval-ms 1");
            Client = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = Emulator.BaseUrl, Timeout = TimeSpan.FromSeconds(10) });
            Options = new YtxTrackerOptions { Verify = verify, ManualClock = true };
            _tracker = new YtxTracker(Client, Options);
        }

        public YtxTracker Tracker
        {
            get
            {
                lock (_slot)
                {
                    return _tracker;
                }
            }
        }

        /// <summary>Puts <paramref name="fresh"/> in the slot (a push being taken finishes first); returns the old one.</summary>
        public YtxTracker Swap(YtxTracker fresh)
        {
            lock (_slot)
            {
                YtxTracker old = _tracker;
                _tracker = fresh;
                return old;
            }
        }

        private void Loop()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext c;
                try
                {
                    c = _listener.GetContext();
                }
                catch (Exception)
                {
                    return;
                }
                byte[] body;
                using (var ms = new MemoryStream())
                {
                    c.Request.InputStream.CopyTo(ms);
                    body = ms.ToArray();
                }
                int status;
                lock (_slot)
                {
                    status = _tracker == null ? 503 : _tracker.OnPush(body, c.Request.RawUrl);
                }
                c.Response.StatusCode = status;
                c.Response.Close();
            }
        }

        public List<Dictionary<string, object>> Pushes()
        {
            return ((List<object>)Json.Parse(Get("/_emulator/pushes"))).Cast<Dictionary<string, object>>().ToList();
        }

        public Dictionary<string, Dictionary<string, object>> Records()
        {
            var all = (List<object>)Json.ParseObject(Get("/_emulator/records"))["records"];
            return all.Cast<Dictionary<string, object>>().ToDictionary(r => (string)r["request_id"], r => r);
        }

        private string Get(string path)
        {
            var req = (HttpWebRequest)WebRequest.Create(Emulator.BaseUrl + path);
            req.Proxy = null;
            req.Timeout = 10000;
            using (var resp = (HttpWebResponse)req.GetResponse())
            using (var reader = new StreamReader(resp.GetResponseStream(), Encoding.UTF8))
            {
                return reader.ReadToEnd();
            }
        }

        public void WaitPushes(int n)
        {
            WaitFor(() => Pushes().Count >= n, TimeSpan.FromSeconds(120), n + " pushes");
            Equal(n, Pushes().Count, "pushes the emulator finished");
        }

        public TrackerPlaced Place(int i)
        {
            var kind = TrackerKinds[i % TrackerKinds.Length];
            var p = new TrackerPlaced { Kind = kind, CustomParm = "c" + i };
            try
            {
                p.RequestId = Client.CallbackCall(kind.Item1, kind.Item2, 100, new CallbackOptions { CustomParm = p.CustomParm }).RequestId;
                Check(!kind.Item4, "call " + i + " answered");
            }
            catch (YtxException e)
            {
                Check(kind.Item4 && e.Ticket != null, "call " + i + ": " + e.Message);
            }
            return p;
        }

        public void Dispose()
        {
            YtxTracker t = Swap(null);
            if (t != null)
            {
                t.Dispose();
            }
            Client.Dispose();
            Emulator.Dispose();
            _listener.Stop();
            _listener.Close();
            _thread.Join(10000);
        }
    }

    private static bool IsFinal(YtxEvent e)
    {
        return e.Kind == YtxEventKind.Completed || e.Kind == YtxEventKind.Resolved;
    }

    private static void Drain(YtxTracker t, List<YtxEvent> into)
    {
        YtxEvent e;
        while ((e = t.NextEvent(TimeSpan.FromMilliseconds(5))) != null)
        {
            into.Add(e);
        }
    }

    private static string Forged(string requestId)
    {
        return "19700101000000" + requestId.Substring(14);
    }

    /// <summary>Every property of the issue over the events the application received.</summary>
    private static void CheckTracked(TrackerRig r, List<TrackerPlaced> placed, List<YtxEvent> events)
    {
        var truth = r.Records();
        var finals = events.Where(IsFinal).ToList();
        Equal(placed.Count, finals.Count, "one final event per call");
        foreach (var p in placed)
        {
            var mine = finals.Where(e => e.CustomParm == p.CustomParm).ToList();
            Equal(1, mine.Count, p.CustomParm + ": final events");
            if (mine.Count != 1 || mine[0].Record == null)
            {
                Check(false, p.CustomParm + ": a record");
                continue;
            }
            YtxEvent fin = mine[0];
            var t = truth[fin.Record.RequestId];
            Equal(p.CustomParm, (string)t["custom_parm"], "the record's call");
            Equal(Convert.ToInt64(t["duration_secs"], CultureInfo.InvariantCulture), fin.Record.Duration ?? -1, p.CustomParm + " duration");
            Equal(Convert.ToInt64(t["amount_fen"], CultureInfo.InvariantCulture), fin.Record.AmountFen ?? -1, p.CustomParm + " amount");
            if (p.RequestId != null)
            {
                Equal(YtxEventKind.Completed, fin.Kind, p.CustomParm + " kind");
                Equal(p.RequestId, fin.RequestId, p.CustomParm + " requestId");
            }
            else
            {
                Equal(YtxEventKind.Resolved, fin.Kind, p.CustomParm + " kind");
                Check(fin.Placed == true && fin.Verified && fin.RequestId == fin.Record.RequestId, p.CustomParm + " resolved placed, verified");
            }
            if (p.Kind.Item2 == CallRecordPushLost)
            {
                Check(fin.Verified, p.CustomParm + ": the lost record found by the tracker's own query");
            }
        }
        var forged = new HashSet<string>(placed.Where(p => p.Kind.Item2 == CallForgedPushes).Select(p => Forged(p.RequestId)));
        var sms = new HashSet<string>(placed.Where(p => p.Kind.Item2 == CallSmsRoutedPush).Select(p => p.RequestId));
        foreach (var e in events)
        {
            if (e.Kind == YtxEventKind.UnrecognisedPush)
            {
                Check(forged.Contains(e.RequestId) || (sms.Contains(e.RequestId) && e.Reason.Contains("SMS")) ||
                      finals.Any(f => f.RequestId == e.RequestId), "unrecognised: " + e);
            }
            else
            {
                Check(!forged.Contains(e.RequestId), "a forged push reported: " + e);
                Check(e.StateText != "DELIVRD", "an SMS report as a state: " + e);
            }
        }
        foreach (string f in forged)
        {
            int n = events.Count(e => e.Kind == YtxEventKind.UnrecognisedPush && e.RequestId == f);
            Check(n >= 1 && n <= 2, "forged " + f + ": " + n + " unrecognised events");
        }
        // Leg states: never twice, each leg's in order, none after the call's final event.
        var seen = new HashSet<string>();
        var last = new Dictionary<string, int>();
        var finished = new HashSet<string>();
        var rank = new List<string> { "callout", "alerting", "answer", "disconnect" };
        foreach (var e in events)
        {
            if (e.Kind == YtxEventKind.LegState)
            {
                string key = e.RequestId + "|" + e.Number + "|" + e.StateText + "|" + e.Timestamp;
                Check(seen.Add(key), "reported twice: " + key);
                Check(!finished.Contains(e.RequestId), "after its call's end: " + e);
                Check(e.Leg == "src" || e.Leg == "dst", "a leg: " + e);
                int n = rank.IndexOf(e.StateText);
                string leg = e.RequestId + "|" + e.Leg;
                int before;
                Check(!last.TryGetValue(leg, out before) || before < n, "out of order: " + e);
                last[leg] = n;
            }
            else if (IsFinal(e))
            {
                finished.Add(e.RequestId);
            }
        }
        foreach (var p in placed.Where(p => p.RequestId != null))
        {
            int n = events.Count(e => e.Kind == YtxEventKind.LegState && e.RequestId == p.RequestId);
            if (p.Kind.Item2 == CallStatePushesLost)
            {
                Equal(0, n, p.CustomParm + ": states of a call whose state pushes were lost");
            }
            else if (p.Kind.Item1 == Src && (p.Kind.Item2 == Dst || p.Kind.Item2 == CallRecordPushLost))
            {
                Equal(8, n, p.CustomParm + ": states");
            }
        }
    }

    private static void RunClock(YtxTracker t, List<YtxEvent> events, int calls)
    {
        for (int i = 0; i < 240; i++)
        {
            Drain(t, events);
            if (events.Count(IsFinal) >= calls)
            {
                return;
            }
            t.AdvanceClock(TimeSpan.FromSeconds(30));
        }
        Drain(t, events);
    }

    private static void TestTrackerFiftyCalls()
    {
        using (var r = new TrackerRig(YtxVerify.WhenNoRecordPush))
        {
            var events = new List<YtxEvent>();
            var placed = new List<TrackerPlaced>();
            int pushes = 0;
            try
            {
                r.Client.CallbackCall(Src, "19900001104", 100, new CallbackOptions { CustomParm = "refused" });
                Check(false, "-104 refused");
            }
            catch (YtxPlatformException)
            {
            }
            Equal(0, r.Tracker.Pending().Count, "a refused call is not tracked");
            for (int i = 0; i < 25; i++)
            {
                var p = r.Place(i);
                pushes += p.Kind.Item3;
                placed.Add(p);
            }
            var pending = r.Tracker.Pending();
            Equal(25, pending.Count, "every call pending until its final event");
            Check(pending.All(p => p.CustomParm != null && p.SentAt.Year >= 2024), "pending items carry customParm and the time sent");
            Check(pending.Where(p => p.RequestId != null).All(p => p.Credit == 100), "and the credit");
            Equal(placed.Count(p => p.RequestId == null), pending.Count(p => p.RequestId == null), "outcomes unknown pending");
            Check(pending.All(p => (p.RequestId == null) == (p.Ticket != null) && p.Src != null && p.Dst != null),
                  "each with its numbers, and a ticket exactly when it has no requestId");
            r.WaitPushes(pushes);
            Drain(r.Tracker, events);

            // The restart: pushes go to a new tracker restored from the old one's Pending().
            var fresh = new YtxTracker(r.Client, r.Options);
            YtxTracker old = r.Swap(fresh);
            Drain(old, events);
            var saved = old.Pending();
            Check(saved.Count >= 2, saved.Count + " calls pending at the restart");
            old.Dispose();
            Equal(500, old.OnPush(Encoding.UTF8.GetBytes("{}")), "a disposed tracker answers 500");
            for (int i = 0; i < saved.Count; i++)
            {
                if (i % 2 == 0)
                {
                    fresh.Track(saved[i]);
                }
                else
                {
                    fresh.Restore(saved[i].Json); // what an application kept in its database
                }
            }
            Equal(saved.Count, fresh.Pending().Count, "all restored");
            // The platform sends every push of the first half again: nothing twice.
            foreach (var push in r.Pushes().Where(p => (bool)p["delivered"]))
            {
                string url = (string)push["url"];
                int q = url.IndexOf('?');
                Equal(200, fresh.OnPush(Encoding.UTF8.GetBytes((string)push["body"]), q < 0 ? null : url.Substring(q + 1)), "replayed push");
            }
            for (int i = 25; i < 50; i++)
            {
                var p = r.Place(i);
                pushes += p.Kind.Item3;
                placed.Add(p);
            }
            r.WaitPushes(pushes);
            RunClock(fresh, events, placed.Count);
            fresh.AdvanceClock(TimeSpan.FromHours(6));
            Drain(fresh, events);
            CheckTracked(r, placed, events);
            Equal(0, fresh.Pending().Count, "nothing left pending");
            Check(fresh.Stat("queries") > 0 && fresh.Stats()["pushes"] > 0, "counters: " + string.Join(", ", fresh.Stats().Select(kv => kv.Key + "=" + kv.Value)));
        }
        Equal(0L, YtxTracker.LiveTrackers, "ytx_live_trackers()");
    }

    private static void TestTrackerAsync()
    {
        using (var r = new TrackerRig(YtxVerify.Always))
        {
            var t = r.Tracker;
            var events = new List<YtxEvent>();
            // A wait cancelled while nothing is ready.
            using (var cts = new CancellationTokenSource())
            {
                Task<YtxEvent> w = t.NextEventAsync(cts.Token);
                cts.Cancel();
                Check(WaitCancelled(w), "a cancelled wait is cancelled");
            }
            var placed = Enumerable.Range(0, TrackerKinds.Length).Select(r.Place).ToList();
            r.WaitPushes(placed.Sum(p => p.Kind.Item3));
            for (int i = 0; i < 240 && events.Count(IsFinal) < placed.Count; i++)
            {
                // Each round one wait is cancelled at once: what the library handed
                // out meanwhile comes with a later call, never lost.
                using (var cts = new CancellationTokenSource())
                {
                    Task<YtxEvent> w = t.NextEventAsync(TimeSpan.FromMilliseconds(200), cts.Token);
                    cts.Cancel();
                    if (!WaitCancelled(w) && w.Result != null)
                    {
                        events.Add(w.Result);
                    }
                }
                YtxEvent e;
                while ((e = t.NextEventAsync(TimeSpan.FromMilliseconds(5), CancellationToken.None).Result) != null)
                {
                    events.Add(e);
                }
                if (events.Count(IsFinal) < placed.Count)
                {
                    t.AdvanceClock(TimeSpan.FromSeconds(30));
                }
            }
            CheckTracked(r, placed, events);
            Equal(0, t.Pending().Count, "nothing left pending");
            Equal((long)placed.Count, t.Stat("queries"), "one query per accepted call, one search page per outcome unknown");
            Equal(3L, t.Stat("unrecognised"), "two forged pushes and an SMS report");
            Check(events.Where(IsFinal).All(e => e.Verified), "verify always: every record from the query");
        }
    }

    /// <summary>True when the task ends cancelled; false when it ends with a result.</summary>
    private static bool WaitCancelled(Task<YtxEvent> w)
    {
        try
        {
            w.Wait(TimeSpan.FromSeconds(30));
            return false;
        }
        catch (AggregateException e) when (e.InnerException is TaskCanceledException)
        {
            return true;
        }
    }

    private static void TestTrackerApi()
    {
        using (var client = NewClient())
        {
            foreach (var bad in new[]
            {
                Tuple.Create(new YtxTrackerOptions { Verify = (YtxVerify)7 }, "verify"),
                Tuple.Create(new YtxTrackerOptions { QueriesPerMinute = 0 }, "queries_per_minute"),
                Tuple.Create(new YtxTrackerOptions { OverdueAfter = TimeSpan.FromSeconds(-1) }, "overdue_after_ms"),
            })
            {
                try
                {
                    using (new YtxTracker(client, bad.Item1))
                    {
                    }
                    Check(false, "refused: " + bad.Item2);
                }
                catch (YtxArgumentException e)
                {
                    Equal(bad.Item2, e.Field, "the field named");
                }
            }
            using (var system = new YtxTracker(client))
            {
                try
                {
                    system.AdvanceClock(TimeSpan.FromSeconds(1));
                    Check(false, "a system clock cannot be moved");
                }
                catch (YtxArgumentException e)
                {
                    Equal("clock", e.Field, "the field named");
                }
            }
            string rid = "20261206150000123456789012345";
            var t = new YtxTracker(client, new YtxTrackerOptions { ManualClock = true, Verify = YtxVerify.Never });
            Equal(400, t.OnPush(Encoding.UTF8.GetBytes("not json")), "not JSON: 400");
            Equal(200, t.OnPush(Encoding.UTF8.GetBytes("{}"), "CallState"), "JSON: 200");
            YtxEvent odd = t.NextEvent(TimeSpan.Zero);
            Check(odd != null && odd.Kind == YtxEventKind.UnrecognisedPush && odd.Reason.Length > 0, "not a push: unrecognised, " + odd);
            try
            {
                t.Restore("{}");
                Check(false, "a line without a requestId");
            }
            catch (YtxArgumentException e)
            {
                Equal("request_id", e.Field, "the field named");
            }
            t.Track(rid, "order-7", DateTimeOffset.FromUnixTimeSeconds(1800000000), 600, Src, Dst);
            t.Track(rid); // already watched: not an error
            var p = t.Pending().Single();
            Check(p.RequestId == rid && p.CustomParm == "order-7" && p.Credit == 600 && p.SentAt.ToUnixTimeSeconds() == 1800000000 &&
                  p.Src == Src && p.Dst == Dst && p.Ticket == null && p.SrcTimeout == null && p.DstTimeout == null,
                  "the pending item: " + p);
            // What Restore takes comes back: ring timeouts (0 is one, not "not known"), an outcome unknown's ticket.
            using (var aside = new YtxTracker(client, new YtxTrackerOptions { ManualClock = true }))
            {
                const string ticket = "ytx-ticket:1;kind=callback;sent=1700000000;credit=100;srctimeout=;dsttimeout=30;anchor=;customParm=t1;fid=4";
                aside.Restore("{\"request_id\":\"rTimeouts1\",\"src\":\"" + Src + "\",\"src_timeout\":0,\"dst_timeout\":45}");
                aside.Restore("{\"ticket\":\"" + ticket + "\"}");
                var items = aside.Pending();
                Equal(2, items.Count, "two calls aside");
                var call = items.Single(x => x.RequestId == "rTimeouts1");
                var unknown = items.Single(x => x.RequestId == null);
                Check(call.Src == Src && call.Dst == null && call.SrcTimeout == 0 && call.DstTimeout == 45 && call.Ticket == null,
                      "restored with timeouts: " + call);
                Check(unknown.Ticket == ticket && unknown.CustomParm == "t1" && unknown.SrcTimeout == null && unknown.DstTimeout == 30 &&
                      unknown.Credit == 100 && unknown.SentAt.ToUnixTimeSeconds() == 1700000000,
                      "an outcome unknown: " + unknown);
            }
            byte[] answer = Encoding.UTF8.GetBytes("{\"requestid\":\"" + rid + "\",\"dsc\":\"" + Src +
                "\",\"state\":\"answer\",\"stateDesc\":\"x\",\"timestamp\":\"2027-01-15 16:00:05\"}");
            Equal(200, t.OnPush(answer, "/s/push?CallState"), "a state push");
            Check(t.NextEvent(TimeSpan.Zero) == null, "held for the reorder window");
            t.AdvanceClock(TimeSpan.FromSeconds(2));
            YtxEvent e1 = t.NextEvent(TimeSpan.FromSeconds(1));
            Check(e1 != null && e1.Kind == YtxEventKind.LegState && e1.State == YtxCallState.Answer && e1.Leg == "src" &&
                  e1.Number == Src && e1.CustomParm == "order-7" && e1.Timestamp == "2027-01-15 16:00:05" && e1.Record == null &&
                  e1.Placed == null, "the leg state: " + e1);
            // Received: a tracker restored from Pending() does not report it again.
            using (var restored = new YtxTracker(client, new YtxTrackerOptions { ManualClock = true }))
            {
                restored.Track(t.Pending().Single());
                Equal(200, restored.OnPush(answer, "CallState"), "the same push again");
                restored.AdvanceClock(TimeSpan.FromSeconds(2));
                Check(restored.NextEvent(TimeSpan.FromMilliseconds(10)) == null, "not reported again");
            }
            Check(t.Forget(rid) && !t.Forget(rid) && t.Pending().Count == 0, "Forget");
            // Dispose wakes a thread waiting for as long as it takes.
            YtxEvent got = e1;
            var waiter = new Thread(() => got = t.NextEvent());
            waiter.Start();
            Thread.Sleep(50);
            t.Dispose();
            Check(waiter.Join(TimeSpan.FromSeconds(30)) && got == null, "the waiter returns null");
            t.Dispose(); // idempotent
            Equal(500, t.OnPush(Encoding.UTF8.GetBytes("{}")), "disposed: 500");
            Check(t.NextEvent(TimeSpan.FromSeconds(30)) == null, "disposed: NextEvent is null at once");
            try
            {
                t.Pending();
                Check(false, "disposed");
            }
            catch (ObjectDisposedException)
            {
            }
        }
        Equal(0L, YtxTracker.LiveTrackers, "ytx_live_trackers()");
    }

    private static void TestTrackerDrift()
    {
        string header = Header();
        var defines = HeaderEnum(header, "ytx_event_kind")
            .ToDictionary(kv => kv.Key.Substring("YTX_EVENT_".Length), kv => kv.Value);
        Check(defines.Remove("NONE"), "ytx.h defines YTX_EVENT_NONE");
        SameTable(typeof(YtxEventKind), n => Snake(n), defines, "YTX_EVENT_*");
        MethodInfo name = typeof(YtxClient).Assembly.GetType("Ytx.NativeProxy", true)
            .GetMethod("ytx_event_kind_name", BindingFlags.NonPublic | BindingFlags.Static);
        foreach (YtxEventKind k in Enum.GetValues(typeof(YtxEventKind)))
        {
            Equal("YTX_EVENT_" + Snake(k.ToString()), (string)name.Invoke(null, new object[] { (uint)k }), "ytx_event_kind_name");
        }
        int at = header.IndexOf("uint64_t ytx_tracker_stat", StringComparison.Ordinal);
        string doc = header.Substring(at - 400, 400).Replace("\n *", "");
        Match listed = Regex.Match(doc, @"by name: ([a-z_, ]+)\.");
        Check(listed.Success, "ytx_tracker_stat's names in ytx.h");
        Equal(string.Join(",", listed.Groups[1].Value.Split(',').Select(s => s.Trim())), string.Join(",", YtxTracker.StatNames), "StatNames");
    }
}
