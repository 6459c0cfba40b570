using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Ytx
{
    /// <summary>
    /// The state of one leg in a state push (wire <c>state</c>; <c>ytx_call_state</c>
    /// in <c>ytx.h</c>, same numbers). A state this library does not know is
    /// <see cref="Unknown"/>, and its text survives in <see cref="YtxStatePush.StateText"/>.
    /// </summary>
    public enum YtxCallState
    {
        /// <summary>A state this library does not know (see <see cref="YtxStatePush.StateText"/>).</summary>
        Unknown = 0,

        /// <summary><c>callout</c>: dialling.</summary>
        Callout = 1,

        /// <summary><c>alerting</c>: ringing.</summary>
        Alerting = 2,

        /// <summary><c>answer</c>: answered.</summary>
        Answer = 3,

        /// <summary><c>disconnect</c>: ended.</summary>
        Disconnect = 4,
    }

    /// <summary>
    /// A body the platform POSTed to your application's callback URL, parsed by
    /// the native library: a <see cref="YtxStatePush"/> (one leg changed state) or
    /// a <see cref="YtxRecordPush"/> (the call's record). Make one with
    /// <see cref="Parse(byte[])"/>.
    /// </summary>
    /// <remarks>
    /// <para>Answer the platform's POST with HTTP 200 at once, whatever parsing
    /// gives, and do the work afterwards. Pushes can arrive twice, out of order,
    /// and the record before the last state push: key what you do by
    /// <c>RequestId</c> and make it idempotent.</para>
    /// <para>Nothing authenticates a push: anyone who can reach your receiver can
    /// forge one. Treat it as a hint, and confirm what moves money or matters
    /// with <see cref="YtxClient.CallRecord"/>, which is signed and goes over the
    /// library's own connection.</para>
    /// </remarks>
    public abstract class YtxPush
    {
        /// <summary>The largest body the library parses: 4 MiB (a record is about 500 bytes).</summary>
        public const int MaxBodyBytes = 4 * 1024 * 1024;

        internal YtxPush()
        {
        }

        /// <summary>
        /// Parses a push body: the raw bytes of the POST (UTF-8 JSON). Pure: nothing
        /// is sent, no client is needed, any thread may call it.
        /// </summary>
        /// <param name="body">The request body as received (not decoded, not trimmed).</param>
        /// <returns>A <see cref="YtxStatePush"/> (an object with <c>state</c>) or a <see cref="YtxRecordPush"/> (an object with <c>cdr</c>).</returns>
        /// <exception cref="YtxProtocolException">The body is not a push: not UTF-8 JSON, not an object, <c>cdr</c> not an array of objects, a state push without a requestid, neither <c>state</c> nor <c>cdr</c>, or larger than <see cref="MaxBodyBytes"/>. The message (the library's) says which.</exception>
        /// <exception cref="YtxArgumentException"><paramref name="body"/> is null (field <c>body</c>).</exception>
        /// <exception cref="DllNotFoundException">The native library was not found.</exception>
        /// <exception cref="YtxLibraryVersionException">The native library is another version than this binding's.</exception>
        public static YtxPush Parse(byte[] body)
        {
            return Parse(body, (string)null);
        }

        /// <summary>
        /// Parses a push body routed as the platform marks it: it appends <c>?Call</c>
        /// to the URL of a call-record push and <c>?CallState</c> to a state push's.
        /// With the key, the body must be that push; without it (or with a null
        /// <paramref name="target"/>) the body's shape decides, as <see cref="Parse(byte[])"/>.
        /// </summary>
        /// <param name="body">The request body as received (not decoded, not trimmed).</param>
        /// <param name="target">The request target the push was POSTed to (e.g.
        /// <c>request.RawUrl</c>, "/ytx/push?CallState"), or its query alone; null: by shape.</param>
        /// <exception cref="YtxProtocolException">As <see cref="Parse(byte[])"/>; also a body that
        /// does not match its key, <c>?SMS</c> (an SMS report), or both keys.</exception>
        /// <exception cref="YtxArgumentException"><paramref name="body"/> is null (field <c>body</c>),
        /// or <paramref name="target"/> holds a NUL character (field <c>target</c>).</exception>
        public static YtxPush Parse(byte[] body, string target)
        {
            if (body == null)
            {
                throw new YtxArgumentException("body: must not be null", YtxResultCode.NullArgument, "body");
            }
            byte[] targetBytes = target == null ? null : Utf8.Encode(target, "target");
            YtxLibrary.EnsureLoaded();
            YtxPushHandle push = null;
            YtxOutcomeHandle outcome = null;
            try
            {
                uint code;
                try
                {
                    code = targetBytes == null
                        ? NativeProxy.ytx_push_parse(body, new UIntPtr((uint)body.Length), out push, out outcome)
                        : NativeProxy.ytx_push_parse_routed(body, new UIntPtr((uint)body.Length), targetBytes, out push, out outcome);
                }
                catch (DllNotFoundException e)
                {
                    throw YtxLibrary.NotFound(e);
                }
                catch (EntryPointNotFoundException e)
                {
                    throw YtxLibrary.Mismatch(e);
                }
                Ensure.Success(code, outcome); // throws (and frees the outcome) on error
                return Read(push);
            }
            finally
            {
                if (push != null)
                {
                    push.Dispose(); // ytx_push_free, once; nothing if parsing failed
                }
            }
        }

        /// <summary>
        /// Reads a push body from a stream (e.g. <c>HttpListenerRequest.InputStream</c>),
        /// at most <see cref="MaxBodyBytes"/> + 1 bytes, and parses it as
        /// <see cref="Parse(byte[])"/> does. The stream is not closed.
        /// </summary>
        /// <param name="body">The request body stream.</param>
        /// <exception cref="YtxProtocolException">As <see cref="Parse(byte[])"/> (a longer body is "larger than 4194304 bytes").</exception>
        /// <exception cref="YtxArgumentException"><paramref name="body"/> is null (field <c>body</c>).</exception>
        /// <exception cref="IOException">Reading the stream failed.</exception>
        public static YtxPush Parse(Stream body)
        {
            if (body == null)
            {
                throw new YtxArgumentException("body: must not be null", YtxResultCode.NullArgument, "body");
            }
            var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int n;
            while (buffer.Length <= MaxBodyBytes &&
                   (n = body.Read(chunk, 0, (int)Math.Min(chunk.Length, MaxBodyBytes + 1L - buffer.Length))) > 0)
            {
                buffer.Write(chunk, 0, n);
            }
            return Parse(buffer.ToArray());
        }

        /// <summary>
        /// Reads a push body from a stream asynchronously (e.g. ASP.NET Core's
        /// <c>HttpRequest.Body</c>, which forbids synchronous reads), at most
        /// <see cref="MaxBodyBytes"/> + 1 bytes, and parses it as
        /// <see cref="Parse(byte[])"/> does. Only <see cref="Stream.ReadAsync(byte[], int, int, CancellationToken)"/>
        /// is called; the stream is not closed.
        /// </summary>
        /// <param name="body">The request body stream.</param>
        /// <param name="cancellationToken">Stops the reading: the task is then cancelled.</param>
        /// <returns>A task for the push (never null).</returns>
        /// <exception cref="YtxArgumentException"><paramref name="body"/> is null (field <c>body</c>): thrown at once, not through the task.</exception>
        /// <remarks>The task faults as <see cref="Parse(byte[])"/> throws (<see cref="YtxProtocolException"/>, ...),
        /// with the stream's <see cref="IOException"/>, or is cancelled
        /// (<see cref="OperationCanceledException"/>).</remarks>
        public static Task<YtxPush> ParseAsync(Stream body, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (body == null)
            {
                throw new YtxArgumentException("body: must not be null", YtxResultCode.NullArgument, "body");
            }
            return ReadAllAsync(body, cancellationToken);
        }

        private static async Task<YtxPush> ReadAllAsync(Stream body, CancellationToken cancellationToken)
        {
            var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            while (buffer.Length <= MaxBodyBytes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int want = (int)Math.Min(chunk.Length, MaxBodyBytes + 1L - buffer.Length);
                int n = await body.ReadAsync(chunk, 0, want, cancellationToken).ConfigureAwait(false);
                if (n <= 0)
                {
                    break;
                }
                buffer.Write(chunk, 0, n);
            }
            return Parse(buffer.ToArray());
        }

        private static YtxPush Read(YtxPushHandle handle)
        {
            IntPtr p = handle.DangerousGetHandle();
            uint kind = NativeProxy.ytx_push_kind_of(p);
            switch (kind)
            {
                case KindState:
                    return new YtxStatePush(p);
                case KindRecords:
                    return new YtxRecordPush(p);
                default:
                    throw new YtxInternalException(
                        "ytx_push_parse succeeded but the push is of kind " + kind + ", which this binding does not know",
                        YtxResultCode.Panic, YtxDelivery.NotSent);
            }
        }

        // YTX_PUSH_STATE and YTX_PUSH_RECORDS in ytx.h.
        internal const uint KindState = 1;
        internal const uint KindRecords = 2;
    }

    /// <summary>
    /// A state push: one leg of a call changed state
    /// (<c>{"requestid":"...","dsc":"18610559223","state":"answer","stateDesc":"...","timestamp":"2020-04-28 14:51:37"}</c>).
    /// Immutable; holds no native memory.
    /// </summary>
    public sealed class YtxStatePush : YtxPush
    {
        internal YtxStatePush(IntPtr push)
        {
            RequestId = NativeProxy.ytx_push_request_id(push);
            Number = NativeProxy.ytx_push_number(push);
            uint state = NativeProxy.ytx_push_state(push);
            State = state <= (uint)YtxCallState.Disconnect ? (YtxCallState)state : YtxCallState.Unknown;
            StateText = NativeProxy.ytx_push_state_text(push);
            StateDesc = NativeProxy.ytx_push_state_desc(push);
            TimestampText = NativeProxy.ytx_push_timestamp(push);
            long unix;
            Timestamp = NativeProxy.ytx_push_timestamp_unix(push, out unix) == 1 ? Money.ChinaTime(unix) : null;
            Fields = WireFields.Read(
                NativeProxy.ytx_push_field_count(push),
                i => NativeProxy.ytx_push_field_name(push, i),
                i => NativeProxy.ytx_push_field_value(push, i));
        }

        /// <summary>The requestId of the accepted call (wire <c>requestid</c>), exactly as sent; never empty (a push without one does not parse).</summary>
        public string RequestId { get; }

        /// <summary>
        /// The phone number of the leg this is about (wire <c>dsc</c>). Match it
        /// against the call's src/dst by suffix: the platform may add or drop a prefix.
        /// </summary>
        public string Number { get; }

        /// <summary>The leg's new state; <see cref="YtxCallState.Unknown"/> for a state this library does not know (see <see cref="StateText"/>).</summary>
        public YtxCallState State { get; }

        /// <summary>The state as sent (wire <c>state</c>): <c>"answer"</c>, or a state this library does not know, kept intact.</summary>
        public string StateText { get; }

        /// <summary>The platform's text for the state (wire <c>stateDesc</c>); <c>""</c> when absent.</summary>
        public string StateDesc { get; }

        /// <summary>
        /// The <c>timestamp</c> parsed from UTC+8 (so its offset is +08:00), when it is
        /// <c>yyyy-MM-dd HH:mm:ss</c> or <c>yyyyMMddHHmmss</c>; <c>null</c> otherwise (see <see cref="TimestampText"/>).
        /// </summary>
        public DateTimeOffset? Timestamp { get; }

        /// <summary>The <c>timestamp</c> as sent; <c>""</c> when absent.</summary>
        public string TimestampText { get; }

        /// <summary>Every field by its wire name, as text, in the order sent, also fields this library does not know.</summary>
        public IReadOnlyDictionary<string, string> Fields { get; }

        /// <summary>A field by its wire name, or <c>null</c> when absent.</summary>
        /// <param name="wireName">The field's name as sent (case-sensitive).</param>
        public string this[string wireName]
        {
            get
            {
                string v;
                return wireName != null && Fields.TryGetValue(wireName, out v) ? v : null;
            }
        }

        /// <summary>E.g. <c>YtxStatePush(RequestId=2020..., Number=18610559223, State=answer, Timestamp=2020-04-28 14:51:37)</c>.</summary>
        public override string ToString()
        {
            return "YtxStatePush(RequestId=" + RequestId + ", Number=" + Number + ", State=" + StateText +
                   ", Timestamp=" + TimestampText + ")";
        }
    }

    /// <summary>
    /// A call-record push (<c>{"cdr":[{...}]}</c>), usually one record, the same
    /// shape as the answer of <see cref="YtxClient.CallRecord"/>. Immutable; holds no
    /// native memory.
    /// </summary>
    public sealed class YtxRecordPush : YtxPush
    {
        internal YtxRecordPush(IntPtr push)
        {
            IntPtr records = NativeProxy.ytx_push_records(push); // borrowed from the push
            Records = new ReadOnlyCollection<YtxCallRecord>(YtxCallRecord.ReadList(records));
        }

        /// <summary>The records, in the order sent (may be empty: <c>{"cdr":[]}</c>).</summary>
        public IReadOnlyList<YtxCallRecord> Records { get; }

        /// <summary>E.g. <c>YtxRecordPush(1 record: YtxCallRecord(...))</c>.</summary>
        public override string ToString()
        {
            var sb = new StringBuilder("YtxRecordPush(").Append(Records.Count).Append(Records.Count == 1 ? " record" : " records");
            for (int i = 0; i < Records.Count; i++)
            {
                sb.Append(i == 0 ? ": " : ", ").Append(Records[i]);
            }
            return sb.Append(')').ToString();
        }
    }
}
