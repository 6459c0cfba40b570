using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Ytx
{
    /// <summary>
    /// One call record (话单, CDR): what happened to an accepted call, from
    /// <see cref="YtxClient.CallRecord"/>, <see cref="YtxClient.CallRecordsAfter"/>,
    /// <see cref="YtxClient.FindCall"/> or a record push (<see cref="YtxRecordPush"/>).
    /// </summary>
    /// <remarks>
    /// <para>Two shapes exist (PROTOCOL.md): a two-way callback call's, with
    /// <see cref="Caller"/>/<see cref="Called"/> and four times, and a one-leg call's
    /// (voice notice, presumably voice code), with <see cref="Tel"/>,
    /// <see cref="Start"/> and <see cref="End"/>. The properties give the known fields
    /// typed; <see cref="Fields"/> and the indexer give every field by its wire name,
    /// also fields this library does not know yet.</para>
    /// <para>Read leniently, as the native library does: a number may arrive as a
    /// JSON number or a string, a missing optional field is <c>null</c>, never an
    /// error. Everything is copied out of the native record when it is made: the
    /// object holds no native memory and is immutable (safe to share between
    /// threads). To make one in your own tests, parse a record push with
    /// <see cref="YtxPush.Parse(byte[])"/>.</para>
    /// </remarks>
    public sealed class YtxCallRecord
    {
        // The wire names of the time fields, NUL-terminated for ytx_record_time_unix.
        private static readonly byte[] CallerStartName = Utf8.Encode("callerstime", "name");
        private static readonly byte[] CallerEndName = Utf8.Encode("calleretime", "name");
        private static readonly byte[] CalledStartName = Utf8.Encode("calledstime", "name");
        private static readonly byte[] CalledEndName = Utf8.Encode("calledetime", "name");
        private static readonly byte[] StartName = Utf8.Encode("stime", "name");
        private static readonly byte[] EndName = Utf8.Encode("etime", "name");

        /// <summary>Copies a borrowed native <c>ytx_record *</c>; its owner must be alive.</summary>
        internal YtxCallRecord(IntPtr record)
        {
            Fields = WireFields.Read(
                NativeProxy.ytx_record_field_count(record),
                i => NativeProxy.ytx_record_field_name(record, i),
                i => NativeProxy.ytx_record_field_value(record, i));
            RequestId = NativeProxy.ytx_record_request_id(record);
            AppId = NullIfEmpty(NativeProxy.ytx_record_app_id(record));
            Fid = NullIfEmpty(NativeProxy.ytx_record_fid(record));
            CustomParm = NullIfEmpty(NativeProxy.ytx_record_custom_parm(record));
            Caller = NullIfEmpty(NativeProxy.ytx_record_caller(record));
            Called = NullIfEmpty(NativeProxy.ytx_record_called(record));
            Tel = NullIfEmpty(NativeProxy.ytx_record_tel(record));
            StateDesc = NullIfEmpty(NativeProxy.ytx_record_state_desc(record));
            RecordingUrl = NullIfEmpty(NativeProxy.ytx_record_recording_url(record));
            long duration = NativeProxy.ytx_record_duration(record);
            Duration = duration >= 0 ? duration : (long?)null;
            long fen;
            if (NativeProxy.ytx_record_amount_fen(record, out fen) == 1)
            {
                AmountFen = fen;
                Amount = Money.FromFen(fen);
            }
            string amountText;
            AmountText = Fields.TryGetValue("oriamount", out amountText) && amountText.Length > 0 ? amountText : null;
            CallerAnswered = Time(record, CallerStartName);
            CallerEnded = Time(record, CallerEndName);
            CalledAnswered = Time(record, CalledStartName);
            CalledEnded = Time(record, CalledEndName);
            Start = Time(record, StartName);
            End = Time(record, EndName);
        }

        /// <summary>
        /// The call's requestId (wire <c>requestid</c>), exactly as sent (29 digits on
        /// the real platform: keep it a string); <c>""</c> if the record has none.
        /// </summary>
        public string RequestId { get; }

        /// <summary>Your own reference from the request (wire <c>customParm</c>, see <see cref="CallbackOptions.CustomParm"/>); <c>null</c> when absent.</summary>
        public string CustomParm { get; }

        /// <summary>First leg of a two-leg record (wire <c>caller</c>, the request's <c>src</c>); <c>null</c> when absent.</summary>
        public string Caller { get; }

        /// <summary>Second leg of a two-leg record (wire <c>called</c>, the request's <c>dst</c>); <c>null</c> when absent.</summary>
        public string Called { get; }

        /// <summary>The number called in a one-leg record (wire <c>tel</c>); <c>null</c> for a two-leg record.</summary>
        public string Tel { get; }

        /// <summary>Billed seconds (wire <c>duration</c>); <c>null</c> when absent or not a whole number.</summary>
        public long? Duration { get; }

        /// <summary>
        /// The charge in whole fen (1 yuan = 100 fen; <c>0.31</c> yuan is <c>31</c>);
        /// <c>null</c> when absent or not an amount of whole fen (then see <see cref="AmountText"/>).
        /// </summary>
        public long? AmountFen { get; }

        /// <summary>
        /// The charge in yuan (wire <c>oriamount</c>), exact (a <c>decimal</c> with two
        /// decimals, never a binary float): <c>0.31m</c>. <c>null</c> when
        /// <see cref="AmountFen"/> is.
        /// </summary>
        public decimal? Amount { get; }

        /// <summary>The charge as the text sent (wire <c>oriamount</c>, e.g. <c>"0.31"</c>), also when it is not whole fen; <c>null</c> when absent.</summary>
        public string AmountText { get; }

        /// <summary>The recording's URL (wire <c>tapesurl</c>); <c>null</c> when there is none (<c>NoTapes</c>).</summary>
        public string RecordingUrl { get; }

        /// <summary>The outcome in words (wire <c>stateDesc</c>), e.g. <c>应答|正常</c> (answered, normal) or <c>用户正忙</c> (busy); <c>null</c> when absent.</summary>
        public string StateDesc { get; }

        /// <summary>The app id (wire <c>appid</c>); <c>null</c> when absent.</summary>
        public string AppId { get; }

        /// <summary>The product number (wire <c>fid</c>): <c>"4"</c> for a two-way callback call; <c>null</c> when absent.</summary>
        public string Fid { get; }

        /// <summary>When the first leg answered (wire <c>callerstime</c>, UTC+8, so the offset is +08:00); <c>null</c> when it never did or the text is not a known format.</summary>
        public DateTimeOffset? CallerAnswered { get; }

        /// <summary>When the first leg hung up (wire <c>calleretime</c>); <c>null</c> when empty or unparsable.</summary>
        public DateTimeOffset? CallerEnded { get; }

        /// <summary>When the second leg answered (wire <c>calledstime</c>); <c>null</c>: the second leg never answered.</summary>
        public DateTimeOffset? CalledAnswered { get; }

        /// <summary>When the second leg hung up (wire <c>calledetime</c>); <c>null</c> when empty or unparsable.</summary>
        public DateTimeOffset? CalledEnded { get; }

        /// <summary>When a one-leg call started (wire <c>stime</c>); <c>null</c> for a two-leg record.</summary>
        public DateTimeOffset? Start { get; }

        /// <summary>When a one-leg call ended (wire <c>etime</c>); <c>null</c> for a two-leg record.</summary>
        public DateTimeOffset? End { get; }

        /// <summary>
        /// Every field by its wire name, as text, enumerated in the order sent: a
        /// JSON string is its text, a number its exact digits (<c>"0.31"</c>,
        /// <c>"10"</c>), <c>null</c> is <c>""</c>, an object or array its raw JSON.
        /// Fields this library does not know are here too. Keys are case-sensitive.
        /// </summary>
        public IReadOnlyDictionary<string, string> Fields { get; }

        /// <summary>A field by its wire name (e.g. <c>record["tapesurl"]</c>), or <c>null</c> when absent.</summary>
        /// <param name="wireName">The field's name as the platform sends it (case-sensitive).</param>
        public string this[string wireName]
        {
            get
            {
                string v;
                return wireName != null && Fields.TryGetValue(wireName, out v) ? v : null;
            }
        }

        /// <summary>E.g. <c>YtxCallRecord(RequestId=2020..., CustomParm=order-1, Duration=10, Amount=0.31, StateDesc=应答|正常)</c>.</summary>
        public override string ToString()
        {
            var sb = new StringBuilder("YtxCallRecord(RequestId=").Append(RequestId);
            Append(sb, "CustomParm", CustomParm);
            Append(sb, "Caller", Caller);
            Append(sb, "Called", Called);
            Append(sb, "Tel", Tel);
            Append(sb, "Duration", Duration.HasValue ? Duration.Value.ToString(CultureInfo.InvariantCulture) : null);
            Append(sb, "Amount", AmountText);
            Append(sb, "StateDesc", StateDesc);
            return sb.Append(')').ToString();
        }

        private static void Append(StringBuilder sb, string name, string value)
        {
            if (value != null)
            {
                sb.Append(", ").Append(name).Append('=').Append(value);
            }
        }

        private static string NullIfEmpty(string s)
        {
            return s.Length == 0 ? null : s;
        }

        private static DateTimeOffset? Time(IntPtr record, byte[] name)
        {
            long unix;
            return NativeProxy.ytx_record_time_unix(record, name, out unix) == 1 ? Money.ChinaTime(unix) : null;
        }

        /// <summary>Copies every record of a borrowed or owned native list (alive during the call).</summary>
        internal static List<YtxCallRecord> ReadList(IntPtr records)
        {
            ulong count = NativeProxy.ytx_records_count(records).ToUInt64();
            var list = new List<YtxCallRecord>((int)Math.Min(count, 10000UL));
            for (ulong i = 0; i < count; i++)
            {
                IntPtr r = NativeProxy.ytx_records_get(records, new UIntPtr(i));
                if (r == IntPtr.Zero)
                {
                    throw new YtxInternalException(
                        "ytx_records_get returned NULL for record " + i.ToString(CultureInfo.InvariantCulture) +
                        " of " + count.ToString(CultureInfo.InvariantCulture),
                        YtxResultCode.Panic, YtxDelivery.Answered);
                }
                list.Add(new YtxCallRecord(r));
            }
            return list;
        }
    }

    /// <summary>
    /// The account's balance, from <see cref="YtxClient.Balance"/>
    /// (<c>account/getBlance.wx</c>), exact.
    /// </summary>
    public sealed class YtxBalance
    {
        /// <summary>Creates a balance (the client makes these; tests and mocks may too).</summary>
        /// <param name="fen">The balance in whole fen (may be negative).</param>
        /// <param name="text">The decimal text the platform sent, e.g. <c>"7.08"</c>; <c>null</c> for the canonical form of <paramref name="fen"/>.</param>
        public YtxBalance(long fen, string text = null)
        {
            Fen = fen;
            Amount = Money.FromFen(fen);
            Text = text ?? Amount.ToString(CultureInfo.InvariantCulture);
        }

        /// <summary>The balance in yuan, exact (a <c>decimal</c> with two decimals, e.g. <c>7.08m</c>).</summary>
        public decimal Amount { get; }

        /// <summary>The balance in whole fen (1 yuan = 100 fen: 7.08 yuan is <c>708</c>); may be negative.</summary>
        public long Fen { get; }

        /// <summary>The balance as the decimal text the platform sent (wire <c>Blance</c>, e.g. <c>"7.08"</c>).</summary>
        public string Text { get; }

        /// <summary>E.g. <c>YtxBalance(7.08 yuan)</c>.</summary>
        public override string ToString()
        {
            return "YtxBalance(" + Text + " yuan)";
        }
    }

    /// <summary>Exact money and the platform's clock.</summary>
    internal static class Money
    {
        private static readonly TimeSpan China = TimeSpan.FromHours(8);

        /// <summary>Whole fen as a yuan <c>decimal</c> with scale 2, exactly (31 is 0.31m, 710 is 7.10m).</summary>
        internal static decimal FromFen(long fen)
        {
            ulong magnitude = fen < 0 ? (ulong)(-(fen + 1)) + 1UL : (ulong)fen;
            return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), 0, fen < 0, 2);
        }

        /// <summary>Unix seconds as a time at +08:00 (the platform's zone); <c>null</c> outside <c>DateTimeOffset</c>'s range.</summary>
        internal static DateTimeOffset? ChinaTime(long unixSeconds)
        {
            try
            {
                return DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToOffset(China);
            }
            catch (ArgumentOutOfRangeException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// The fields of a push or record, by wire name, enumerated in the order sent
    /// (a <c>Dictionary</c> does not promise an order). Read-only, ordinal keys.
    /// </summary>
    internal sealed class WireFields : IReadOnlyDictionary<string, string>
    {
        private readonly List<KeyValuePair<string, string>> _ordered;
        private readonly Dictionary<string, string> _byName;

        private WireFields(List<KeyValuePair<string, string>> ordered)
        {
            _ordered = ordered;
            _byName = new Dictionary<string, string>(ordered.Count, StringComparer.Ordinal);
            foreach (var kv in ordered)
            {
                _byName[kv.Key] = kv.Value; // the library keeps one of each name
            }
        }

        /// <summary>Reads <paramref name="count"/> fields through the accessors (their owner alive).</summary>
        internal static WireFields Read(UIntPtr count, Func<UIntPtr, string> name, Func<UIntPtr, string> value)
        {
            ulong n = count.ToUInt64();
            var list = new List<KeyValuePair<string, string>>((int)Math.Min(n, 1000UL));
            for (ulong i = 0; i < n; i++)
            {
                var index = new UIntPtr(i);
                list.Add(new KeyValuePair<string, string>(name(index), value(index)));
            }
            return new WireFields(list);
        }

        public string this[string key]
        {
            get { return _byName[key]; }
        }

        public IEnumerable<string> Keys
        {
            get
            {
                foreach (var kv in _ordered)
                {
                    yield return kv.Key;
                }
            }
        }

        public IEnumerable<string> Values
        {
            get
            {
                foreach (var kv in _ordered)
                {
                    yield return kv.Value;
                }
            }
        }

        public int Count
        {
            get { return _ordered.Count; }
        }

        public bool ContainsKey(string key)
        {
            return _byName.ContainsKey(key);
        }

        public bool TryGetValue(string key, out string value)
        {
            return _byName.TryGetValue(key, out value);
        }

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
        {
            return _ordered.GetEnumerator();
        }

        IEnumerator IEnumerable.GetEnumerator()
        {
            return GetEnumerator();
        }
    }
}
