using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

namespace Ytx
{
    /// <summary>What a <see cref="YtxEvent"/> reports (<c>YTX_EVENT_*</c> in <c>ytx.h</c>, same numbers).</summary>
    public enum YtxEventKind
    {
        /// <summary>A leg's state changed (<see cref="YtxEvent.State"/>, <see cref="YtxEvent.Number"/>, <see cref="YtxEvent.Leg"/>); de-duplicated, each leg's states in order.</summary>
        LegState = 1,

        /// <summary>An accepted call's confirmed record (<see cref="YtxEvent.Record"/>): once per call.</summary>
        Completed = 2,

        /// <summary>An outcome unknown settled: <see cref="YtxEvent.Placed"/> true (with its record) or false (only once the bound has passed); null when it cannot be resolved. Once per call.</summary>
        Resolved = 3,

        /// <summary>No record long after the bound (to alert on); the tracker goes on looking.</summary>
        Overdue = 4,

        /// <summary>A push matching no tracked call (requestId, appid or numbers), or an SMS report: dropped (<see cref="YtxEvent.Reason"/> says why).</summary>
        UnrecognisedPush = 5,
    }

    /// <summary>How a tracker confirms a record (the option <c>verify</c>).</summary>
    public enum YtxVerify
    {
        /// <summary>Every record is confirmed with the signed query (<c>CallCdr.wx</c>) before it is reported (the default).</summary>
        Always = 0,

        /// <summary>A pushed record (cross-checked) is reported as is; a call whose record push never came is found by the query.</summary>
        WhenNoRecordPush = 1,

        /// <summary>No record query at all: a lost record gives <see cref="YtxEventKind.Overdue"/>.</summary>
        Never = 2,
    }

    /// <summary>
    /// The options of a <see cref="YtxTracker"/>; unset (<c>null</c>) ones are the library's
    /// defaults (<c>ytx.h</c>, <c>ytx_tracker_new</c>). An error names the library's option
    /// (<see cref="YtxArgumentException.Field"/>, e.g. <c>overdue_after_ms</c>).
    /// </summary>
    public sealed class YtxTrackerOptions
    {
        /// <summary>Option <c>verify</c> (default <see cref="YtxVerify.Always"/>).</summary>
        public YtxVerify? Verify { get; set; }

        /// <summary>Option <c>queries_per_minute</c>: the record-query budget (default 60).</summary>
        public int? QueriesPerMinute { get; set; }

        /// <summary>Option <c>overdue_after_ms</c>: after the bound, before <see cref="YtxEventKind.Overdue"/> (default 1 h).</summary>
        public TimeSpan? OverdueAfter { get; set; }

        /// <summary>Option <c>after_disconnect_ms</c>: first query after both legs' disconnect (default 20 s).</summary>
        public TimeSpan? AfterDisconnect { get; set; }

        /// <summary>Option <c>reorder_window_ms</c>: how long a state is held to be ordered (default 1 s).</summary>
        public TimeSpan? ReorderWindow { get; set; }

        /// <summary>Option <c>orphan_window_ms</c>: how long an unmatched push waits for its call (default 10 s).</summary>
        public TimeSpan? OrphanWindow { get; set; }

        /// <summary>Option <c>default_ring_timeout_ms</c>: a ring timeout not given (default 60 s).</summary>
        public TimeSpan? DefaultRingTimeout { get; set; }

        /// <summary>Option <c>record_delay_ms</c>: the time the record takes to be written, in the bound (default 60 s).</summary>
        public TimeSpan? RecordDelay { get; set; }

        /// <summary>Option <c>assume_credit</c>: credit in seconds of a call tracked without one (default 3600).</summary>
        public int? AssumeCredit { get; set; }

        /// <summary>Option <c>max_tracked</c>: how many calls at most (default 100000).</summary>
        public int? MaxTracked { get; set; }

        /// <summary>Option <c>clock</c> = <c>manual</c> when true: time moves only by <see cref="YtxTracker.AdvanceClock"/> (tests).</summary>
        public bool ManualClock { get; set; }

        internal List<KeyValuePair<string, string>> ToNative()
        {
            var o = new List<KeyValuePair<string, string>>();
            if (Verify.HasValue)
            {
                string v = Verify.Value == YtxVerify.Always ? "always"
                    : Verify.Value == YtxVerify.WhenNoRecordPush ? "when_no_record_push"
                    : Verify.Value == YtxVerify.Never ? "never"
                    : ((int)Verify.Value).ToString(CultureInfo.InvariantCulture); // the library rejects it
                YtxClientOptions.Add(o, "verify", v);
            }
            YtxClientOptions.Add(o, "queries_per_minute", Number(QueriesPerMinute));
            YtxClientOptions.Add(o, "overdue_after_ms", Ms(OverdueAfter));
            YtxClientOptions.Add(o, "after_disconnect_ms", Ms(AfterDisconnect));
            YtxClientOptions.Add(o, "reorder_window_ms", Ms(ReorderWindow));
            YtxClientOptions.Add(o, "orphan_window_ms", Ms(OrphanWindow));
            YtxClientOptions.Add(o, "default_ring_timeout_ms", Ms(DefaultRingTimeout));
            YtxClientOptions.Add(o, "record_delay_ms", Ms(RecordDelay));
            YtxClientOptions.Add(o, "assume_credit", Number(AssumeCredit));
            YtxClientOptions.Add(o, "max_tracked", Number(MaxTracked));
            if (ManualClock)
            {
                YtxClientOptions.Add(o, "clock", "manual");
            }
            return o;
        }

        private static string Number(int? n)
        {
            // Negative values are passed on for the library to reject, naming the option.
            return n.HasValue ? n.Value.ToString(CultureInfo.InvariantCulture) : null;
        }

        private static string Ms(TimeSpan? t)
        {
            return t.HasValue ? ((long)Math.Ceiling(t.Value.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) : null;
        }
    }

    /// <summary>
    /// One event of a <see cref="YtxTracker"/>, copied out of the native <c>ytx_event</c>; immutable.
    /// Every event carries the call's <see cref="RequestId"/> and <see cref="CustomParm"/>.
    /// </summary>
    public sealed class YtxEvent
    {
        internal YtxEvent(IntPtr e)
        {
            Kind = (YtxEventKind)(int)NativeProxy.ytx_event_kind_of(e);
            RequestId = NativeProxy.ytx_event_request_id(e);
            CustomParm = NullIfEmpty(NativeProxy.ytx_event_custom_parm(e));
            IntPtr record = NativeProxy.ytx_event_record(e);
            Record = record == IntPtr.Zero ? null : new YtxCallRecord(record);
            int placed = NativeProxy.ytx_event_placed(e);
            Placed = placed < 0 ? (bool?)null : placed == 1;
            Verified = NativeProxy.ytx_event_verified(e) == 1;
            StateText = NullIfEmpty(NativeProxy.ytx_event_state(e));
            if (StateText != null)
            {
                State = StateText == "callout" ? YtxCallState.Callout
                    : StateText == "alerting" ? YtxCallState.Alerting
                    : StateText == "answer" ? YtxCallState.Answer
                    : StateText == "disconnect" ? YtxCallState.Disconnect
                    : YtxCallState.Unknown;
            }
            Number = NullIfEmpty(NativeProxy.ytx_event_number(e));
            Leg = NullIfEmpty(NativeProxy.ytx_event_leg(e));
            Timestamp = NullIfEmpty(NativeProxy.ytx_event_timestamp(e));
            Ticket = NullIfEmpty(NativeProxy.ytx_event_ticket(e));
            Reason = NativeProxy.ytx_event_reason(e);
        }

        /// <summary>What it reports.</summary>
        public YtxEventKind Kind { get; }

        /// <summary>The call's requestId (<c>""</c> for an outcome unknown not placed; the one the push claimed for an unrecognised push).</summary>
        [Nullable(1)]
        public string RequestId { get; }

        /// <summary>The call's customParm; <c>null</c> when not known.</summary>
        [Nullable(2)]
        public string CustomParm { get; }

        /// <summary>The confirmed record (<see cref="YtxEventKind.Completed"/>; <see cref="YtxEventKind.Resolved"/> placed), else <c>null</c>.</summary>
        [Nullable(2)]
        public YtxCallRecord Record { get; }

        /// <summary><see cref="YtxEventKind.Resolved"/>: placed or not; <c>null</c> when it cannot be resolved and for the other kinds.</summary>
        public bool? Placed { get; }

        /// <summary>The record came from the signed query (not only from a push).</summary>
        public bool Verified { get; }

        /// <summary><see cref="YtxEventKind.LegState"/>: the leg's new state (<see cref="YtxCallState.Unknown"/> for one this library does not know); else <c>null</c>.</summary>
        public YtxCallState? State { get; }

        /// <summary><see cref="YtxEventKind.LegState"/>: the state as pushed; else <c>null</c>.</summary>
        [Nullable(2)]
        public string StateText { get; }

        /// <summary><see cref="YtxEventKind.LegState"/>: the leg's number as pushed (<c>dsc</c>); else <c>null</c>.</summary>
        [Nullable(2)]
        public string Number { get; }

        /// <summary><see cref="YtxEventKind.LegState"/>: <c>"src"</c> or <c>"dst"</c>; <c>null</c> when the call's numbers are not known.</summary>
        [Nullable(2)]
        public string Leg { get; }

        /// <summary><see cref="YtxEventKind.LegState"/>: the push's timestamp text (UTC+8); else <c>null</c>.</summary>
        [Nullable(2)]
        public string Timestamp { get; }

        /// <summary>The outcome unknown's ticket (<see cref="YtxEventKind.Resolved"/>, <see cref="YtxEventKind.Overdue"/>); else <c>null</c>.</summary>
        [Nullable(2)]
        public string Ticket { get; }

        /// <summary>Why, in English (unrecognised, overdue, not placed); <c>""</c> otherwise.</summary>
        [Nullable(1)]
        public string Reason { get; }

        /// <summary>E.g. <c>YtxEvent(Completed, RequestId=..., CustomParm=order-42)</c>.</summary>
        public override string ToString()
        {
            string detail = Kind == YtxEventKind.LegState ? ", " + Leg + " " + Number + " " + StateText + " " + Timestamp
                : Record != null ? ", Duration=" + Record.Duration + ", Verified=" + Verified
                : Reason.Length > 0 ? ", Reason=" + Reason : "";
            return "YtxEvent(" + Kind + ", RequestId=" + RequestId + ", CustomParm=" + CustomParm + detail + ")";
        }

        internal static string NullIfEmpty(string s)
        {
            return string.IsNullOrEmpty(s) ? null : s;
        }
    }

    /// <summary>
    /// A call a <see cref="YtxTracker"/> still watches. Keep <see cref="Json"/> (e.g. in your
    /// database) and give it to a new tracker's <see cref="YtxTracker.Restore"/> after a restart.
    /// </summary>
    public sealed class YtxPendingCall
    {
        internal YtxPendingCall(IntPtr p, UIntPtr i)
        {
            RequestId = YtxEvent.NullIfEmpty(NativeProxy.ytx_pending_request_id(p, i));
            CustomParm = YtxEvent.NullIfEmpty(NativeProxy.ytx_pending_custom_parm(p, i));
            long sent = NativeProxy.ytx_pending_sent_unix(p, i);
            SentAt = DateTimeOffset.FromUnixTimeSeconds(Math.Max(0L, Math.Min(sent, 253402300799L)));
            uint credit = NativeProxy.ytx_pending_credit(p, i);
            Credit = credit == 0 ? (long?)null : credit;
            Src = YtxEvent.NullIfEmpty(NativeProxy.ytx_pending_src(p, i));
            Dst = YtxEvent.NullIfEmpty(NativeProxy.ytx_pending_dst(p, i));
            long srcTimeout = NativeProxy.ytx_pending_src_timeout(p, i), dstTimeout = NativeProxy.ytx_pending_dst_timeout(p, i);
            SrcTimeout = srcTimeout < 0 ? (long?)null : srcTimeout; // -1: not known (0 is a timeout)
            DstTimeout = dstTimeout < 0 ? (long?)null : dstTimeout;
            Ticket = YtxEvent.NullIfEmpty(NativeProxy.ytx_pending_ticket(p, i));
            Json = NativeProxy.ytx_pending_json(p, i);
        }

        /// <summary>The requestId; <c>null</c> for an outcome unknown.</summary>
        [Nullable(2)]
        public string RequestId { get; }

        /// <summary>The customParm, or <c>null</c>.</summary>
        [Nullable(2)]
        public string CustomParm { get; }

        /// <summary>When it was sent (UTC).</summary>
        public DateTimeOffset SentAt { get; }

        /// <summary>Its credit in seconds, <c>null</c> when not known.</summary>
        public long? Credit { get; }

        /// <summary>The first leg's number, <c>null</c> when not known.</summary>
        [Nullable(2)]
        public string Src { get; }

        /// <summary>The second leg's number, <c>null</c> when not known.</summary>
        [Nullable(2)]
        public string Dst { get; }

        /// <summary>The request's <c>srctimeout</c> in seconds, <c>null</c> when not sent (the tracker counts its default ring timeout).</summary>
        public long? SrcTimeout { get; }

        /// <summary>The request's <c>dsttimeout</c> in seconds, <c>null</c> when not sent (the tracker counts its default ring timeout).</summary>
        public long? DstTimeout { get; }

        /// <summary>The outcome unknown's ticket (the text <see cref="YtxClient.Resolve(string, string, TimeSpan?, int?)"/> takes); <c>null</c> for a call with a requestId.</summary>
        [Nullable(2)]
        public string Ticket { get; }

        /// <summary>One line of JSON with everything the tracker knows, and what the application already received.</summary>
        [Nullable(1)]
        public string Json { get; }

        /// <summary>E.g. <c>YtxPendingCall(RequestId=..., CustomParm=order-42)</c>.</summary>
        public override string ToString()
        {
            return "YtxPendingCall(RequestId=" + RequestId + ", CustomParm=" + CustomParm + ", Credit=" + Credit +
                   ", Src=" + Src + ", Dst=" + Dst + (Ticket != null ? ", Ticket=" + Ticket : "") + ")";
        }
    }

    /// <summary>
    /// Watches calls and reports each call's fate once: a tracker over a <see cref="YtxClient"/>
    /// turns the platform's pushes (unsigned hints: lost, repeated, reordered, forged) and the
    /// signed record query (the truth) into <see cref="YtxEvent"/>s. Wraps one native
    /// <c>ytx_tracker</c>; every rule is the library's.
    /// </summary>
    /// <remarks>
    /// <para>No thread of its own: it works inside <see cref="NextEvent"/> /
    /// <see cref="NextEventAsync(CancellationToken)"/>, called by your worker.
    /// <see cref="OnPush"/> never touches the network: call it from the HTTP handler and answer
    /// the status it returns.</para>
    /// <para>Every callback call the client places from now on is tracked (accepted calls, and
    /// outcomes unknown); <c>Track</c> adds calls placed elsewhere; <see cref="Pending"/>
    /// lists what it still watches, for a restart.</para>
    /// <para>Thread safety: any number of threads at once. <see cref="Dispose"/> wakes a thread
    /// waiting in <see cref="NextEvent"/> (it returns <c>null</c>).</para>
    /// </remarks>
    public sealed class YtxTracker : IDisposable
    {
        // The longest single wait of NextEventAsync's worker in the library, so that a
        // cancelled wait ends soon (an event it takes meanwhile is kept, never lost).
        private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(500);

        private static readonly string[] StatNameList =
        {
            "pushes", "duplicates", "unrecognised", "late", "hints", "stale", "queries", "query_errors", "rate_limited", "events",
        };

        private readonly YtxTrackerHandle _handle;
        // Events pulled from the library by a wait that was cancelled meanwhile, in the
        // library's order; handed out before anything newer (lock: the list itself).
        private readonly LinkedList<YtxEvent> _kept = new LinkedList<YtxEvent>();

        // One thread pulls from the library at a time, and queues what a cancelled wait
        // pulled before letting go: a later event can never overtake a kept one.
        private readonly object _pull = new object();
        private int _disposed;

        /// <summary>A tracker with the default options over <paramref name="client"/>.</summary>
        /// <param name="client">The client whose callback calls are tracked and whose record query confirms them (the tracker keeps the native client alive).</param>
        public YtxTracker([Nullable(1)] YtxClient client)
            : this(client, null)
        {
        }

        /// <summary>A tracker over <paramref name="client"/>.</summary>
        /// <param name="client">The client whose callback calls are tracked and whose record query confirms them.</param>
        /// <param name="options">The options; <c>null</c> for the defaults.</param>
        /// <exception cref="YtxArgumentException">A bad option; <see cref="YtxArgumentException.Field"/> names it.</exception>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        public YtxTracker([Nullable(1)] YtxClient client, [Nullable(2)] YtxTrackerOptions options)
        {
            if (client == null)
            {
                throw new YtxArgumentException("client: must not be null", YtxResultCode.NullArgument, "client");
            }
            List<KeyValuePair<string, string>> pairs = (options ?? new YtxTrackerOptions()).ToNative();
            YtxTrackerHandle handle = null;
            YtxOutcomeHandle outcome = null;
            uint rc;
            using (var native = new NativeOptions(pairs))
            {
                rc = NativeProxy.ytx_tracker_new(client.LiveHandle(), native.Names, native.Values, native.Count, out handle, out outcome);
            }
            try
            {
                Ensure.Success(rc, outcome);
            }
            catch
            {
                if (handle != null)
                {
                    handle.Dispose();
                }
                throw;
            }
            _handle = handle;
        }

        /// <summary>The counters of <see cref="Stats"/> (<c>ytx_tracker_stat</c>'s names).</summary>
        public static IReadOnlyList<string> StatNames
        {
            get { return StatNameList; }
        }

        /// <summary>Native trackers created and not yet freed (leak checks).</summary>
        public static long LiveTrackers
        {
            get { return (long)NativeProxy.ytx_live_trackers().ToUInt64(); }
        }

        /// <summary>True once <see cref="Dispose"/> was called.</summary>
        public bool IsDisposed
        {
            get { return Volatile.Read(ref _disposed) != 0; }
        }

        /// <summary>
        /// Takes a push: the body the platform POSTed and the URL's query (<c>"Call"</c>,
        /// <c>"CallState"</c>) or whole request target (<c>"/ytx/push?Call"</c>); returns at
        /// once, never touching the network, the HTTP status to answer: 200 for anything that
        /// is JSON (used, duplicate, late or unrecognised), 400 for a body that is not, 413
        /// for one over 4 MiB, 500 once the tracker is disposed.
        /// </summary>
        /// <param name="body">The raw body.</param>
        /// <param name="query">The query or request target; <c>null</c> routes by the body's shape.</param>
        /// <returns>The HTTP status to answer.</returns>
        [NullableContext(1)]
        public int OnPush(byte[] body, [Nullable(2)] string query = null)
        {
            if (body == null)
            {
                throw new YtxArgumentException("body: must not be null", YtxResultCode.NullArgument, "body");
            }
            byte[] q = query == null ? null : Utf8.Encode(query, "query");
            if (IsDisposed)
            {
                return 500;
            }
            try
            {
                return NativeProxy.ytx_tracker_on_push(_handle, body, new UIntPtr((uint)body.Length), q);
            }
            catch (ObjectDisposedException)
            {
                return 500;
            }
        }

        /// <summary>
        /// The next event, waiting up to <paramref name="timeout"/> (<c>null</c>: until there is
        /// one, or the tracker is disposed); <c>null</c> when the time ran out or the tracker was
        /// disposed meanwhile. The tracker's work (record queries, held states, overdue alerts)
        /// happens here, on the calling thread: a due query may make it return up to the
        /// client's timeout later. An event counts as received once this returns it.
        /// </summary>
        /// <param name="timeout">How long to wait; <c>null</c> for as long as it takes.</param>
        /// <returns>The event, or <c>null</c> (also at once once the tracker is disposed, so that a
        /// worker's <c>while ((e = tracker.NextEvent()) != null)</c> ends cleanly).</returns>
        [return: Nullable(2)]
        public YtxEvent NextEvent(TimeSpan? timeout = null)
        {
            YtxEvent kept;
            if (TryTakeKept(out kept))
            {
                return kept;
            }
            if (timeout.HasValue && timeout.Value < TimeSpan.Zero)
            {
                throw new YtxArgumentException("timeout: must not be negative", YtxResultCode.InvalidArgument, "timeout");
            }
            if (IsDisposed)
            {
                return null;
            }
            DateTime deadline = timeout.HasValue ? DateTime.UtcNow + timeout.Value : DateTime.MaxValue;
            if (!Monitor.TryEnter(_pull, timeout.HasValue ? ClampMs(timeout.Value) : Timeout.Infinite))
            {
                return null;
            }
            try
            {
                if (TryTakeKept(out kept))
                {
                    return kept;
                }
                long left = timeout.HasValue ? (long)Math.Ceiling(Math.Max(0.0, (deadline - DateTime.UtcNow).TotalMilliseconds)) : -1;
                return IsDisposed ? null : NextOnce(left);
            }
            finally
            {
                Monitor.Exit(_pull);
            }
        }

        /// <summary>
        /// <see cref="NextEvent"/> without blocking the caller: waits on a dedicated thread until
        /// there is an event (or the tracker is disposed: <c>null</c>).
        /// </summary>
        /// <remarks>
        /// Cancelling loses nothing: the task is cancelled at once, and an event the library
        /// handed out meanwhile is kept and returned by the next <c>NextEvent</c> /
        /// <c>NextEventAsync</c> (it already counts as received for <see cref="Pending"/>).
        /// </remarks>
        /// <param name="cancellationToken">Stops the waiting.</param>
        /// <returns>A task for the event, or <c>null</c>.</returns>
        [return: Nullable(new byte[] { 1, 2 })]
        public Task<YtxEvent> NextEventAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return NextEventAsync(null, cancellationToken);
        }

        /// <summary><see cref="NextEventAsync(CancellationToken)"/>, waiting at most <paramref name="timeout"/> (then <c>null</c>).</summary>
        /// <param name="timeout">How long to wait; <c>null</c> for as long as it takes.</param>
        /// <param name="cancellationToken">Stops the waiting.</param>
        /// <returns>A task for the event, or <c>null</c>.</returns>
        [return: Nullable(new byte[] { 1, 2 })]
        public Task<YtxEvent> NextEventAsync(TimeSpan? timeout, CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return Task.FromCanceled<YtxEvent>(cancellationToken);
            }
            if (timeout.HasValue && timeout.Value < TimeSpan.Zero)
            {
                throw new YtxArgumentException("timeout: must not be negative", YtxResultCode.InvalidArgument, "timeout");
            }
            YtxEvent kept;
            if (TryTakeKept(out kept))
            {
                return Task.FromResult(kept);
            }
            if (IsDisposed)
            {
                return Task.FromResult<YtxEvent>(null);
            }
            var done = new TaskCompletionSource<YtxEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            CancellationTokenRegistration registration = cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
            DateTime deadline = timeout.HasValue ? DateTime.UtcNow + timeout.Value : DateTime.MaxValue;
            Task.Factory.StartNew(
                () =>
                {
                    try
                    {
                        while (!done.Task.IsCompleted)
                        {
                            if (DeliverKept(done))
                            {
                                return;
                            }
                            TimeSpan left = deadline == DateTime.MaxValue ? Slice : deadline - DateTime.UtcNow;
                            if (left > Slice)
                            {
                                left = Slice;
                            }
                            if (left < TimeSpan.Zero)
                            {
                                left = TimeSpan.Zero;
                            }
                            if (Monitor.TryEnter(_pull, left))
                            {
                                try
                                {
                                    if (DeliverKept(done))
                                    {
                                        return;
                                    }
                                    left = deadline == DateTime.MaxValue ? Slice : deadline - DateTime.UtcNow;
                                    if (left > Slice)
                                    {
                                        left = Slice;
                                    }
                                    YtxEvent e = IsDisposed ? null : NextOnce(Math.Max(0L, (long)Math.Ceiling(left.TotalMilliseconds)));
                                    if (e != null)
                                    {
                                        if (!done.TrySetResult(e))
                                        {
                                            Keep(e); // the wait was cancelled: the next call's, still in order
                                        }
                                        return;
                                    }
                                }
                                finally
                                {
                                    Monitor.Exit(_pull);
                                }
                            }
                            if (IsDisposed || DateTime.UtcNow >= deadline)
                            {
                                done.TrySetResult(null);
                                return;
                            }
                        }
                    }
                    catch (Exception ex)
                    {
                        done.TrySetException(ex);
                    }
                    finally
                    {
                        registration.Dispose();
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach,
                TaskScheduler.Default);
            return done.Task;
        }

        /// <summary>
        /// Watches a call placed elsewhere (another process, before a restart). Tracking a call
        /// already watched is not an error.
        /// </summary>
        /// <param name="requestId">The accepted call's requestId. Field <c>request_id</c>.</param>
        /// <param name="customParm">Its customParm, or <c>null</c> (sharpens the cross-checks).</param>
        /// <param name="sentAt">When it was sent; <c>null</c> for now.</param>
        /// <param name="credit">Its credit in seconds; <c>null</c> when not known.</param>
        /// <param name="src">Its first number, or <c>null</c>.</param>
        /// <param name="dst">Its second number, or <c>null</c>.</param>
        /// <exception cref="YtxArgumentException">A bad argument; <see cref="YtxArgumentException.Field"/> names it.</exception>
        [NullableContext(1)]
        public void Track(string requestId, [Nullable(2)] string customParm = null, DateTimeOffset? sentAt = null, long? credit = null,
            [Nullable(2)] string src = null, [Nullable(2)] string dst = null)
        {
            ThrowIfDisposed();
            byte[] rid = Utf8.Encode(requestId, "request_id");
            byte[] cp = customParm == null ? null : Utf8.Encode(customParm, "custom_parm");
            byte[] s = src == null ? null : Utf8.Encode(src, "src");
            byte[] d = dst == null ? null : Utf8.Encode(dst, "dst");
            long sent = 0;
            if (sentAt.HasValue)
            {
                sent = sentAt.Value.ToUnixTimeSeconds();
                if (sent <= 0)
                {
                    throw new YtxArgumentException("sent_unix: must be after 1970-01-01", YtxResultCode.InvalidArgument, "sent_unix");
                }
            }
            uint c = 0;
            if (credit.HasValue)
            {
                if (credit.Value < 1 || credit.Value > uint.MaxValue)
                {
                    throw new YtxArgumentException("credit: must be from 1 to 4294967295 seconds", YtxResultCode.InvalidArgument, "credit");
                }
                c = (uint)credit.Value;
            }
            YtxOutcomeHandle outcome;
            uint rc = NativeProxy.ytx_tracker_track(_handle, rid, cp, sent, c, s, d, out outcome);
            Ensure.Success(rc, outcome);
        }

        /// <summary>Watches a call again from an earlier tracker's <see cref="YtxPendingCall"/>.</summary>
        /// <param name="pending">An item of an earlier tracker's <see cref="Pending"/>.</param>
        [NullableContext(1)]
        public void Track(YtxPendingCall pending)
        {
            if (pending == null)
            {
                throw new YtxArgumentException("pending: must not be null", YtxResultCode.NullArgument, "pending");
            }
            Restore(pending.Json);
        }

        /// <summary>
        /// Watches a call again from its JSON line (<see cref="YtxPendingCall.Json"/>, or a
        /// <c>ytx watch</c> journal line); states already received are not reported again.
        /// </summary>
        /// <param name="json">The line. Field <c>tracked_json</c>.</param>
        /// <exception cref="YtxArgumentException">A bad line; <see cref="YtxArgumentException.Field"/> names the field.</exception>
        [NullableContext(1)]
        public void Restore(string json)
        {
            ThrowIfDisposed();
            byte[] j = Utf8.Encode(json, "tracked_json");
            YtxOutcomeHandle outcome;
            uint rc = NativeProxy.ytx_tracker_restore(_handle, j, out outcome);
            Ensure.Success(rc, outcome);
        }

        /// <summary>
        /// What the tracker still watches (a call leaves once its <see cref="YtxEventKind.Completed"/>
        /// or <see cref="YtxEventKind.Resolved"/> was received), each with what the application already received.
        /// </summary>
        /// <returns>The calls, copied out.</returns>
        [NullableContext(1)]
        public IReadOnlyList<YtxPendingCall> Pending()
        {
            ThrowIfDisposed();
            YtxPendingHandle pending = null;
            try
            {
                YtxOutcomeHandle outcome;
                uint rc = NativeProxy.ytx_tracker_pending(_handle, out pending, out outcome);
                Ensure.Success(rc, outcome);
                IntPtr p = pending.DangerousGetHandle();
                ulong n = NativeProxy.ytx_pending_count(p).ToUInt64();
                var list = new List<YtxPendingCall>((int)n);
                for (ulong i = 0; i < n; i++)
                {
                    list.Add(new YtxPendingCall(p, new UIntPtr(i)));
                }
                return list;
            }
            finally
            {
                if (pending != null)
                {
                    pending.Dispose();
                }
            }
        }

        /// <summary>Stops watching a call: by requestId (or, for an outcome unknown, its customParm).</summary>
        /// <param name="key">The requestId or customParm.</param>
        /// <returns><c>true</c> when it was watched.</returns>
        [NullableContext(1)]
        public bool Forget(string key)
        {
            ThrowIfDisposed();
            return NativeProxy.ytx_tracker_forget(_handle, Utf8.Encode(key, "key")) == 1;
        }

        /// <summary>A counter by name (<see cref="StatNames"/>); 0 for another name.</summary>
        /// <param name="name">E.g. <c>"queries"</c>.</param>
        /// <returns>The counter.</returns>
        [NullableContext(1)]
        public long Stat(string name)
        {
            ThrowIfDisposed();
            return (long)NativeProxy.ytx_tracker_stat(_handle, Utf8.Encode(name, "name"));
        }

        /// <summary>Every counter of <see cref="StatNames"/>.</summary>
        /// <returns>Name → value.</returns>
        [NullableContext(1)]
        public IReadOnlyDictionary<string, long> Stats()
        {
            var d = new Dictionary<string, long>();
            foreach (string n in StatNameList)
            {
                d[n] = Stat(n);
            }
            return d;
        }

        /// <summary>Moves the clock of a tracker made with <see cref="YtxTrackerOptions.ManualClock"/> (tests).</summary>
        /// <param name="by">How far.</param>
        /// <exception cref="YtxArgumentException">The tracker runs on the system clock (field <c>clock</c>).</exception>
        public void AdvanceClock(TimeSpan by)
        {
            ThrowIfDisposed();
            if (by < TimeSpan.Zero)
            {
                throw new YtxArgumentException("ms: must not be negative", YtxResultCode.InvalidArgument, "ms");
            }
            YtxOutcomeHandle outcome;
            uint rc = NativeProxy.ytx_tracker_advance_clock(_handle, (ulong)Math.Ceiling(by.TotalMilliseconds), out outcome);
            Ensure.Success(rc, outcome);
        }

        /// <summary>
        /// Releases the native tracker (once; safe from any thread). A thread waiting in
        /// <see cref="NextEvent"/> returns <c>null</c> at once, and so do later waits; the other
        /// calls throw <see cref="ObjectDisposedException"/>, and <see cref="OnPush"/> answers 500.
        /// </summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0 && _handle != null)
            {
                // The library's handle is a key it looks up, never dereferences, and
                // never reuses: freeing it while a NextEvent holds the SafeHandle is safe
                // and wakes that call; ReleaseHandle's second free is then a no-op.
                NativeProxy.ytx_tracker_free(_handle.DangerousGetHandle());
                _handle.Dispose();
            }
        }

        /// <summary>E.g. <c>YtxTracker(open)</c>.</summary>
        public override string ToString()
        {
            return IsDisposed ? "YtxTracker(disposed)" : "YtxTracker(open)";
        }

        private bool TryTakeKept(out YtxEvent e)
        {
            lock (_kept)
            {
                if (_kept.Count > 0)
                {
                    e = _kept.First.Value;
                    _kept.RemoveFirst();
                    return true;
                }
            }
            e = null;
            return false;
        }

        private void Keep(YtxEvent e)
        {
            lock (_kept)
            {
                _kept.AddLast(e);
            }
        }

        // Hands the oldest kept event to the wait, unless it is over (cancelled): whether
        // the wait is finished. Its continuations run asynchronously, never under the lock.
        private bool DeliverKept(TaskCompletionSource<YtxEvent> done)
        {
            lock (_kept)
            {
                if (done.Task.IsCompleted)
                {
                    return true;
                }
                if (_kept.Count == 0)
                {
                    return false;
                }
                if (done.TrySetResult(_kept.First.Value))
                {
                    _kept.RemoveFirst();
                }
                return true;
            }
        }

        private static int ClampMs(TimeSpan t)
        {
            double ms = Math.Ceiling(t.TotalMilliseconds);
            return ms >= int.MaxValue ? int.MaxValue : (int)ms;
        }

        private YtxEvent NextOnce(long timeoutMs)
        {
            YtxEventHandle evt = null;
            try
            {
                YtxOutcomeHandle outcome;
                uint rc;
                try
                {
                    rc = NativeProxy.ytx_tracker_next_event(_handle, timeoutMs, out evt, out outcome);
                }
                catch (ObjectDisposedException)
                {
                    return null; // disposed meanwhile
                }
                if (rc == (uint)YtxResultCode.InvalidHandle && IsDisposed)
                {
                    if (outcome != null)
                    {
                        outcome.Dispose();
                    }
                    return null;
                }
                Ensure.Success(rc, outcome);
                return evt == null || evt.IsInvalid ? null : new YtxEvent(evt.DangerousGetHandle());
            }
            finally
            {
                if (evt != null)
                {
                    evt.Dispose();
                }
            }
        }

        private void ThrowIfDisposed()
        {
            if (IsDisposed)
            {
                throw new ObjectDisposedException(nameof(YtxTracker));
            }
        }
    }

    /// <summary>
    /// The native <c>ytx_tracker *</c>, released with <c>ytx_tracker_free</c> by
    /// <see cref="YtxTracker.Dispose"/> or the critical finalizer. Passed itself to P/Invoke,
    /// so the marshaler holds a reference for each call.
    /// </summary>
    internal sealed class YtxTrackerHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>Used by the P/Invoke marshaler for the out parameter.</summary>
        public YtxTrackerHandle()
            : base(true)
        {
        }

        protected override bool ReleaseHandle()
        {
            NativeProxy.ytx_tracker_free(handle);
            return true;
        }
    }

    /// <summary>An owned <c>ytx_event *</c>, released exactly once with <c>ytx_event_free</c>.</summary>
    internal sealed class YtxEventHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>Used by the P/Invoke marshaler for the out parameter.</summary>
        public YtxEventHandle()
            : base(true)
        {
        }

        protected override bool ReleaseHandle()
        {
            NativeProxy.ytx_event_free(handle);
            return true;
        }
    }

    /// <summary>An owned <c>ytx_pending *</c>, released exactly once with <c>ytx_pending_free</c>.</summary>
    internal sealed class YtxPendingHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>Used by the P/Invoke marshaler for the out parameter.</summary>
        public YtxPendingHandle()
            : base(true)
        {
        }

        protected override bool ReleaseHandle()
        {
            NativeProxy.ytx_pending_free(handle);
            return true;
        }
    }
}
