using System;

namespace Ytx
{
    /// <summary>
    /// The one door to the native library: the only caller of <see cref="NativeMethods"/>
    /// (the idea of LibGit2Sharp's <c>Core/Proxy.cs</c>). Each entry point of
    /// <c>include/ytx.h</c> has one method here, named as in C, in the header's order.
    /// </summary>
    /// <remarks>
    /// What crosses here is converted here, once: a <c>const char *</c> comes back as a
    /// <see cref="string"/> copied out of the library's borrowed UTF-8 (<see cref="Utf8.Decode"/>;
    /// <c>""</c> for NULL, except <see cref="ytx_explain_status_code"/>, where NULL means
    /// "not a known code" and is <c>null</c>); every owned object, the outcome included,
    /// comes back as a SafeHandle, freed exactly once by its <c>ReleaseHandle</c>;
    /// borrowed objects (a push's records, a record) stay <see cref="IntPtr"/>s read while
    /// their owner is alive; the log callback is one static delegate kept alive here.
    /// The load checks (<see cref="YtxLibrary.EnsureLoaded"/>) and the explained load errors
    /// stay with the callers, which know whether the version check applies.
    /// </remarks>
    internal static class NativeProxy
    {
        internal static long ytx_balance_fen(IntPtr balance) => NativeMethods.ytx_balance_fen(balance);

        internal static void ytx_balance_free(IntPtr balance) => NativeMethods.ytx_balance_free(balance);

        internal static string ytx_balance_text(IntPtr balance) => Utf8.Decode(NativeMethods.ytx_balance_text(balance));

        internal static uint ytx_call_record(
            YtxClientHandle client, byte[] requestId, byte[] fid, out YtxRecordsHandle records,
            out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_call_record(client, requestId, fid, out records, out outcome);

        internal static uint ytx_call_records_after(
            YtxClientHandle client, byte[] requestId, uint limit, byte[] fid, out YtxRecordsHandle records,
            out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_call_records_after(client, requestId, limit, fid, out records, out outcome);

        internal static uint ytx_callback_call(
            YtxClientHandle client, byte[] src, byte[] dst, long credit, IntPtr[] optionNames, IntPtr[] optionValues,
            UIntPtr optionCount, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_callback_call(
                client, src, dst, credit, optionNames, optionValues, optionCount, out outcome);

        internal static UIntPtr ytx_callback_option_count() => NativeMethods.ytx_callback_option_count();

        internal static string ytx_callback_option_name(UIntPtr index) =>
            Utf8.Decode(NativeMethods.ytx_callback_option_name(index));

        internal static uint ytx_callback_prepare(
            YtxClientHandle client, byte[] src, byte[] dst, long credit, IntPtr[] optionNames, IntPtr[] optionValues,
            UIntPtr optionCount, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_callback_prepare(
                client, src, dst, credit, optionNames, optionValues, optionCount, out outcome);

        internal static UIntPtr ytx_client_base_url(YtxClientHandle client, byte[] buf, UIntPtr bufLen) =>
            NativeMethods.ytx_client_base_url(client, buf, bufLen);

        internal static uint ytx_client_new(
            byte[] accountSid, byte[] authToken, byte[] appId, IntPtr[] optionNames, IntPtr[] optionValues,
            UIntPtr optionCount, out YtxClientHandle client, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_client_new(
                accountSid, authToken, appId, optionNames, optionValues, optionCount, out client, out outcome);

        internal static UIntPtr ytx_client_option_count() => NativeMethods.ytx_client_option_count();

        internal static string ytx_client_option_name(UIntPtr index) =>
            Utf8.Decode(NativeMethods.ytx_client_option_name(index));

        internal static ulong ytx_default_connect_timeout_ms() => NativeMethods.ytx_default_connect_timeout_ms();

        internal static ulong ytx_default_timeout_ms() => NativeMethods.ytx_default_timeout_ms();

        internal static string ytx_delivery_name(uint delivery) =>
            Utf8.Decode(NativeMethods.ytx_delivery_name(delivery));

        internal static string ytx_explain_status_code(byte[] statusCode)
        {
            IntPtr p = NativeMethods.ytx_explain_status_code(statusCode);
            return p == IntPtr.Zero ? null : Utf8.Decode(p); // NULL: not a known code
        }

        internal static uint ytx_find_call(
            YtxClientHandle client, byte[] customParm, byte[] afterRequestId, byte[] fid, out YtxRecordsHandle records,
            out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_find_call(client, customParm, afterRequestId, fid, out records, out outcome);

        internal static uint ytx_free(IntPtr client) => NativeMethods.ytx_free(client);

        internal static UIntPtr ytx_live_clients() => NativeMethods.ytx_live_clients();

        internal static UIntPtr ytx_live_objects() => NativeMethods.ytx_live_objects();

        internal static uint ytx_outcome_delivery(YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_outcome_delivery(outcome);

        internal static string ytx_outcome_field(YtxOutcomeHandle outcome) =>
            Utf8.Decode(NativeMethods.ytx_outcome_field(outcome));

        internal static void ytx_outcome_free(IntPtr outcome) => NativeMethods.ytx_outcome_free(outcome);

        internal static ushort ytx_outcome_http_status(YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_outcome_http_status(outcome);

        internal static string ytx_outcome_message(YtxOutcomeHandle outcome) =>
            Utf8.Decode(NativeMethods.ytx_outcome_message(outcome));

        internal static string ytx_outcome_request_body(YtxOutcomeHandle outcome) =>
            Utf8.Decode(NativeMethods.ytx_outcome_request_body(outcome));

        internal static string ytx_outcome_request_headers(YtxOutcomeHandle outcome) =>
            Utf8.Decode(NativeMethods.ytx_outcome_request_headers(outcome));

        internal static string ytx_outcome_request_id(YtxOutcomeHandle outcome) =>
            Utf8.Decode(NativeMethods.ytx_outcome_request_id(outcome));

        internal static string ytx_outcome_request_method(YtxOutcomeHandle outcome) =>
            Utf8.Decode(NativeMethods.ytx_outcome_request_method(outcome));

        internal static string ytx_outcome_request_url(YtxOutcomeHandle outcome) =>
            Utf8.Decode(NativeMethods.ytx_outcome_request_url(outcome));

        internal static string ytx_outcome_request_url_redacted(YtxOutcomeHandle outcome) =>
            Utf8.Decode(NativeMethods.ytx_outcome_request_url_redacted(outcome));

        internal static uint ytx_outcome_result(YtxOutcomeHandle outcome) => NativeMethods.ytx_outcome_result(outcome);

        internal static uint ytx_outcome_retry_after_ms(YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_outcome_retry_after_ms(outcome);

        internal static bool ytx_outcome_retry_safe(YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_outcome_retry_safe(outcome);

        internal static string ytx_outcome_status_code(YtxOutcomeHandle outcome) =>
            Utf8.Decode(NativeMethods.ytx_outcome_status_code(outcome));

        internal static string ytx_outcome_status_msg(YtxOutcomeHandle outcome) =>
            Utf8.Decode(NativeMethods.ytx_outcome_status_msg(outcome));

        internal static string ytx_outcome_ticket(YtxOutcomeHandle outcome) =>
            Utf8.Decode(NativeMethods.ytx_outcome_ticket(outcome));

        internal static string ytx_production_url() => Utf8.Decode(NativeMethods.ytx_production_url());

        internal static UIntPtr ytx_push_field_count(IntPtr push) => NativeMethods.ytx_push_field_count(push);

        internal static string ytx_push_field_name(IntPtr push, UIntPtr index) =>
            Utf8.Decode(NativeMethods.ytx_push_field_name(push, index));

        internal static string ytx_push_field_value(IntPtr push, UIntPtr index) =>
            Utf8.Decode(NativeMethods.ytx_push_field_value(push, index));

        internal static void ytx_push_free(IntPtr push) => NativeMethods.ytx_push_free(push);

        internal static uint ytx_push_kind_of(IntPtr push) => NativeMethods.ytx_push_kind_of(push);

        internal static string ytx_push_number(IntPtr push) => Utf8.Decode(NativeMethods.ytx_push_number(push));

        internal static uint ytx_push_parse(
            byte[] body, UIntPtr bodyLen, out YtxPushHandle push, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_push_parse(body, bodyLen, out push, out outcome);

        internal static uint ytx_push_parse_routed(
            byte[] body, UIntPtr bodyLen, byte[] target, out YtxPushHandle push, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_push_parse_routed(body, bodyLen, target, out push, out outcome);

        internal static IntPtr ytx_push_records(IntPtr push) => NativeMethods.ytx_push_records(push);

        internal static string ytx_push_request_id(IntPtr push) => Utf8.Decode(NativeMethods.ytx_push_request_id(push));

        internal static uint ytx_push_state(IntPtr push) => NativeMethods.ytx_push_state(push);

        internal static string ytx_push_state_desc(IntPtr push) => Utf8.Decode(NativeMethods.ytx_push_state_desc(push));

        internal static string ytx_push_state_text(IntPtr push) => Utf8.Decode(NativeMethods.ytx_push_state_text(push));

        internal static string ytx_push_timestamp(IntPtr push) => Utf8.Decode(NativeMethods.ytx_push_timestamp(push));

        internal static int ytx_push_timestamp_unix(IntPtr push, out long unixSeconds) =>
            NativeMethods.ytx_push_timestamp_unix(push, out unixSeconds);

        internal static uint ytx_query_balance(
            YtxClientHandle client, out YtxBalanceHandle balance, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_query_balance(client, out balance, out outcome);

        internal static int ytx_record_amount_fen(IntPtr record, out long fen) =>
            NativeMethods.ytx_record_amount_fen(record, out fen);

        internal static string ytx_record_amount_text(IntPtr record) =>
            Utf8.Decode(NativeMethods.ytx_record_amount_text(record));

        internal static string ytx_record_app_id(IntPtr record) => Utf8.Decode(NativeMethods.ytx_record_app_id(record));

        internal static string ytx_record_called(IntPtr record) => Utf8.Decode(NativeMethods.ytx_record_called(record));

        internal static string ytx_record_caller(IntPtr record) => Utf8.Decode(NativeMethods.ytx_record_caller(record));

        internal static string ytx_record_custom_parm(IntPtr record) =>
            Utf8.Decode(NativeMethods.ytx_record_custom_parm(record));

        internal static long ytx_record_duration(IntPtr record) => NativeMethods.ytx_record_duration(record);

        internal static string ytx_record_fid(IntPtr record) => Utf8.Decode(NativeMethods.ytx_record_fid(record));

        internal static UIntPtr ytx_record_field_count(IntPtr record) => NativeMethods.ytx_record_field_count(record);

        internal static string ytx_record_field_name(IntPtr record, UIntPtr index) =>
            Utf8.Decode(NativeMethods.ytx_record_field_name(record, index));

        internal static string ytx_record_field_value(IntPtr record, UIntPtr index) =>
            Utf8.Decode(NativeMethods.ytx_record_field_value(record, index));

        internal static string ytx_record_recording_url(IntPtr record) =>
            Utf8.Decode(NativeMethods.ytx_record_recording_url(record));

        internal static string ytx_record_request_id(IntPtr record) =>
            Utf8.Decode(NativeMethods.ytx_record_request_id(record));

        internal static string ytx_record_state_desc(IntPtr record) =>
            Utf8.Decode(NativeMethods.ytx_record_state_desc(record));

        internal static string ytx_record_tel(IntPtr record) => Utf8.Decode(NativeMethods.ytx_record_tel(record));

        internal static int ytx_record_time_unix(IntPtr record, byte[] name, out long unixSeconds) =>
            NativeMethods.ytx_record_time_unix(record, name, out unixSeconds);

        internal static UIntPtr ytx_records_count(IntPtr records) => NativeMethods.ytx_records_count(records);

        internal static void ytx_records_free(IntPtr records) => NativeMethods.ytx_records_free(records);

        internal static IntPtr ytx_records_get(IntPtr records, UIntPtr index) =>
            NativeMethods.ytx_records_get(records, index);

        internal static int ytx_resolution_check_again_unix(IntPtr resolution, out long unix) =>
            NativeMethods.ytx_resolution_check_again_unix(resolution, out unix);

        internal static string ytx_resolution_cursor(IntPtr resolution) =>
            Utf8.Decode(NativeMethods.ytx_resolution_cursor(resolution));

        internal static void ytx_resolution_free(IntPtr resolution) => NativeMethods.ytx_resolution_free(resolution);

        internal static string ytx_resolution_reason(IntPtr resolution) =>
            Utf8.Decode(NativeMethods.ytx_resolution_reason(resolution));

        internal static IntPtr ytx_resolution_record(IntPtr resolution) =>
            NativeMethods.ytx_resolution_record(resolution);

        internal static string ytx_resolution_status_name(uint status) =>
            Utf8.Decode(NativeMethods.ytx_resolution_status_name(status));

        internal static uint ytx_resolution_status_of(IntPtr resolution) =>
            NativeMethods.ytx_resolution_status_of(resolution);

        internal static uint ytx_resolve(
            YtxClientHandle client, byte[] ticket, byte[] cursor, ulong deadlineMs, uint maxPages,
            out YtxResolutionHandle resolution, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_resolve(client, ticket, cursor, deadlineMs, maxPages, out resolution, out outcome);

        internal static string ytx_result_name(uint code) => Utf8.Decode(NativeMethods.ytx_result_name(code));

        internal static string ytx_sandbox_url() => Utf8.Decode(NativeMethods.ytx_sandbox_url());

        internal static string ytx_status_code_at(UIntPtr index) =>
            Utf8.Decode(NativeMethods.ytx_status_code_at(index));

        internal static UIntPtr ytx_status_code_count() => NativeMethods.ytx_status_code_count();

        internal static string ytx_version() => Utf8.Decode(NativeMethods.ytx_version());

        internal static uint ytx_version_number() => NativeMethods.ytx_version_number();

        internal static uint ytx_voice_code(
            YtxClientHandle client, byte[] dst, byte[] dstClid, byte[] code, int times, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_voice_code(client, dst, dstClid, code, times, out outcome);

        internal static uint ytx_voice_code_prepare(
            YtxClientHandle client, byte[] dst, byte[] dstClid, byte[] code, int times, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_voice_code_prepare(client, dst, dstClid, code, times, out outcome);

        // ---- the tracker (issue 21), in the order of ytx.h

        internal static uint ytx_tracker_new(
            YtxClientHandle client, IntPtr[] optionNames, IntPtr[] optionValues, UIntPtr optionCount,
            out YtxTrackerHandle tracker, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_tracker_new(client, optionNames, optionValues, optionCount, out tracker, out outcome);

        internal static void ytx_tracker_free(IntPtr tracker) => NativeMethods.ytx_tracker_free(tracker);

        internal static UIntPtr ytx_live_trackers() => NativeMethods.ytx_live_trackers();

        internal static ushort ytx_tracker_on_push(YtxTrackerHandle tracker, byte[] body, UIntPtr bodyLen, byte[] query) =>
            NativeMethods.ytx_tracker_on_push(tracker, body, bodyLen, query);

        internal static uint ytx_tracker_next_event(
            YtxTrackerHandle tracker, long timeoutMs, out YtxEventHandle evt, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_tracker_next_event(tracker, timeoutMs, out evt, out outcome);

        internal static uint ytx_tracker_track(
            YtxTrackerHandle tracker, byte[] requestId, byte[] customParm, long sentUnix, uint credit,
            byte[] src, byte[] dst, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_tracker_track(tracker, requestId, customParm, sentUnix, credit, src, dst, out outcome);

        internal static uint ytx_tracker_restore(YtxTrackerHandle tracker, byte[] trackedJson, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_tracker_restore(tracker, trackedJson, out outcome);

        internal static uint ytx_tracker_pending(
            YtxTrackerHandle tracker, out YtxPendingHandle pending, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_tracker_pending(tracker, out pending, out outcome);

        internal static int ytx_tracker_forget(YtxTrackerHandle tracker, byte[] key) =>
            NativeMethods.ytx_tracker_forget(tracker, key);

        internal static ulong ytx_tracker_stat(YtxTrackerHandle tracker, byte[] name) =>
            NativeMethods.ytx_tracker_stat(tracker, name);

        internal static uint ytx_tracker_advance_clock(YtxTrackerHandle tracker, ulong ms, out YtxOutcomeHandle outcome) =>
            NativeMethods.ytx_tracker_advance_clock(tracker, ms, out outcome);

        internal static uint ytx_event_kind_of(IntPtr evt) => NativeMethods.ytx_event_kind_of(evt);

        internal static string ytx_event_kind_name(uint kind) => Utf8.Decode(NativeMethods.ytx_event_kind_name(kind));

        internal static string ytx_event_request_id(IntPtr evt) => Utf8.Decode(NativeMethods.ytx_event_request_id(evt));

        internal static string ytx_event_custom_parm(IntPtr evt) => Utf8.Decode(NativeMethods.ytx_event_custom_parm(evt));

        internal static IntPtr ytx_event_record(IntPtr evt) => NativeMethods.ytx_event_record(evt);

        internal static int ytx_event_placed(IntPtr evt) => NativeMethods.ytx_event_placed(evt);

        internal static int ytx_event_verified(IntPtr evt) => NativeMethods.ytx_event_verified(evt);

        internal static string ytx_event_state(IntPtr evt) => Utf8.Decode(NativeMethods.ytx_event_state(evt));

        internal static string ytx_event_number(IntPtr evt) => Utf8.Decode(NativeMethods.ytx_event_number(evt));

        internal static string ytx_event_leg(IntPtr evt) => Utf8.Decode(NativeMethods.ytx_event_leg(evt));

        internal static string ytx_event_timestamp(IntPtr evt) => Utf8.Decode(NativeMethods.ytx_event_timestamp(evt));

        internal static string ytx_event_ticket(IntPtr evt) => Utf8.Decode(NativeMethods.ytx_event_ticket(evt));

        internal static string ytx_event_reason(IntPtr evt) => Utf8.Decode(NativeMethods.ytx_event_reason(evt));

        internal static void ytx_event_free(IntPtr evt) => NativeMethods.ytx_event_free(evt);

        internal static UIntPtr ytx_pending_count(IntPtr pending) => NativeMethods.ytx_pending_count(pending);

        internal static string ytx_pending_request_id(IntPtr pending, UIntPtr index) =>
            Utf8.Decode(NativeMethods.ytx_pending_request_id(pending, index));

        internal static string ytx_pending_custom_parm(IntPtr pending, UIntPtr index) =>
            Utf8.Decode(NativeMethods.ytx_pending_custom_parm(pending, index));

        internal static long ytx_pending_sent_unix(IntPtr pending, UIntPtr index) =>
            NativeMethods.ytx_pending_sent_unix(pending, index);

        internal static uint ytx_pending_credit(IntPtr pending, UIntPtr index) => NativeMethods.ytx_pending_credit(pending, index);

        internal static string ytx_pending_src(IntPtr pending, UIntPtr index) =>
            Utf8.Decode(NativeMethods.ytx_pending_src(pending, index));

        internal static string ytx_pending_dst(IntPtr pending, UIntPtr index) =>
            Utf8.Decode(NativeMethods.ytx_pending_dst(pending, index));

        internal static long ytx_pending_src_timeout(IntPtr pending, UIntPtr index) =>
            NativeMethods.ytx_pending_src_timeout(pending, index);

        internal static long ytx_pending_dst_timeout(IntPtr pending, UIntPtr index) =>
            NativeMethods.ytx_pending_dst_timeout(pending, index);

        internal static string ytx_pending_ticket(IntPtr pending, UIntPtr index) =>
            Utf8.Decode(NativeMethods.ytx_pending_ticket(pending, index));

        internal static string ytx_pending_json(IntPtr pending, UIntPtr index) =>
            Utf8.Decode(NativeMethods.ytx_pending_json(pending, index));

        internal static void ytx_pending_free(IntPtr pending) => NativeMethods.ytx_pending_free(pending);

        // The one delegate native code ever calls for logging. A static readonly field
        // keeps it (and the thunk the marshaler made for it) alive for the whole
        // process, so a garbage collection can never free a function pointer the
        // library still holds, whatever interleaving of YtxLog.SetHandler and Clear.
        private static readonly NativeMethods.LogCallback LogCallback = OnNativeLog;

        /// <summary>
        /// <c>ytx_set_logger</c>: installs this binding's log callback with
        /// <paramref name="userData"/> when <paramref name="enabled"/>, else NULL (logging off).
        /// </summary>
        internal static uint ytx_set_logger(bool enabled, IntPtr userData, int minLevel) =>
            NativeMethods.ytx_set_logger(enabled ? LogCallback : null, userData, minLevel);

        [MonoPInvokeCallback(typeof(NativeMethods.LogCallback))]
        private static void OnNativeLog(IntPtr userData, uint level, IntPtr message) =>
            YtxLog.OnNativeLog(userData, level, message); // catches everything: nothing unwinds into Rust
    }
}
