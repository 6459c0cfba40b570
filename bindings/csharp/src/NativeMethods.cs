using System;
using System.Runtime.InteropServices;

namespace Ytx
{
    /// <summary>
    /// Every entry point of the native library, declared once, in the order of
    /// <c>include/ytx.h</c>. Strings go in as UTF-8 <c>byte[]</c> with a trailing NUL
    /// (see <see cref="Utf8"/>) and come out as borrowed <c>IntPtr</c>s read by hand;
    /// the enums that cross the boundary (<c>ytx_result</c>, <c>ytx_delivery</c>,
    /// <c>ytx_log_level</c>, <c>ytx_push_kind</c>, <c>ytx_call_state</c>) are
    /// <c>uint32_t</c> in the header, so <c>uint</c> here, in return values and in the
    /// log callback; parameters the header types <c>int32_t</c> stay <c>int</c>.
    /// Every owned object, the outcome included, comes out as a SafeHandle.
    /// Only <see cref="NativeProxy"/> calls these: the rest of the binding goes through it.
    /// </summary>
    /// <remarks>
    /// The library name is <c>"ytx"</c>: <c>ytx.dll</c> on Windows, <c>libytx.so</c> on
    /// Linux (Mono: see <c>Ytx.dll.config</c>), <c>libytx.dylib</c> on macOS.
    /// </remarks>
    internal static class NativeMethods
    {
        internal const string Library = "ytx";

        // int64_t ytx_balance_fen(const ytx_balance *balance);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern long ytx_balance_fen(IntPtr balance);

        // void ytx_balance_free(ytx_balance *balance);  (only YtxBalanceHandle.ReleaseHandle)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ytx_balance_free(IntPtr balance);

        // const char *ytx_balance_text(const ytx_balance *balance);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_balance_text(IntPtr balance);

        // ytx_result ytx_call_record(const ytx_client *client, const char *request_id,
        //     const char *fid, ytx_records **records_out, ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_call_record(
            YtxClientHandle client, byte[] requestId, byte[] fid, out YtxRecordsHandle records, out YtxOutcomeHandle outcome);

        // ytx_result ytx_call_records_after(const ytx_client *client,
        //     const char *request_id, uint32_t limit, const char *fid,
        //     ytx_records **records_out, ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_call_records_after(
            YtxClientHandle client, byte[] requestId, uint limit, byte[] fid,
            out YtxRecordsHandle records, out YtxOutcomeHandle outcome);

        // ytx_result ytx_callback_call(const ytx_client *client, const char *src,
        //     const char *dst, int64_t credit, const char *const *option_names,
        //     const char *const *option_values, size_t option_count,
        //     ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_callback_call(
            YtxClientHandle client,
            byte[] src,
            byte[] dst,
            long credit,
            IntPtr[] optionNames,
            IntPtr[] optionValues,
            UIntPtr optionCount,
            out YtxOutcomeHandle outcome);

        // size_t ytx_callback_option_count(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr ytx_callback_option_count();

        // const char *ytx_callback_option_name(size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_callback_option_name(UIntPtr index);

        // ytx_result ytx_callback_prepare(...): same parameters as ytx_callback_call.
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_callback_prepare(
            YtxClientHandle client,
            byte[] src,
            byte[] dst,
            long credit,
            IntPtr[] optionNames,
            IntPtr[] optionValues,
            UIntPtr optionCount,
            out YtxOutcomeHandle outcome);

        // size_t ytx_client_base_url(const ytx_client *client, char *buf, size_t buf_len);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr ytx_client_base_url(YtxClientHandle client, byte[] buf, UIntPtr bufLen);

        // ytx_result ytx_client_new(const char *account_sid, const char *auth_token,
        //     const char *app_id, const char *const *option_names,
        //     const char *const *option_values, size_t option_count,
        //     ytx_client **client_out, ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_client_new(
            byte[] accountSid,
            byte[] authToken,
            byte[] appId,
            IntPtr[] optionNames,
            IntPtr[] optionValues,
            UIntPtr optionCount,
            out YtxClientHandle client,
            out YtxOutcomeHandle outcome);

        // size_t ytx_client_option_count(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr ytx_client_option_count();

        // const char *ytx_client_option_name(size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_client_option_name(UIntPtr index);

        // uint64_t ytx_default_connect_timeout_ms(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ulong ytx_default_connect_timeout_ms();

        // uint64_t ytx_default_timeout_ms(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ulong ytx_default_timeout_ms();

        // const char *ytx_delivery_name(ytx_delivery delivery);   (uint32_t)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_delivery_name(uint delivery);

        // const char *ytx_explain_status_code(const char *status_code);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_explain_status_code(byte[] statusCode);

        // ytx_result ytx_find_call(const ytx_client *client, const char *custom_parm,
        //     const char *after_request_id, const char *fid,
        //     ytx_records **records_out, ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_find_call(
            YtxClientHandle client, byte[] customParm, byte[] afterRequestId, byte[] fid,
            out YtxRecordsHandle records, out YtxOutcomeHandle outcome);

        // ytx_result ytx_free(ytx_client *client);
        // Takes the raw value: only YtxClientHandle.ReleaseHandle calls it.
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_free(IntPtr client);

        // size_t ytx_live_clients(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr ytx_live_clients();

        // size_t ytx_live_objects(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr ytx_live_objects();

        // ytx_delivery ytx_outcome_delivery(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_outcome_delivery(YtxOutcomeHandle outcome);

        // const char *ytx_outcome_field(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_field(YtxOutcomeHandle outcome);

        // void ytx_outcome_free(ytx_outcome *outcome);  (only YtxOutcomeHandle.ReleaseHandle)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ytx_outcome_free(IntPtr outcome);

        // uint16_t ytx_outcome_http_status(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ushort ytx_outcome_http_status(YtxOutcomeHandle outcome);

        // const char *ytx_outcome_message(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_message(YtxOutcomeHandle outcome);

        // const char *ytx_outcome_request_body(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_request_body(YtxOutcomeHandle outcome);

        // const char *ytx_outcome_request_headers(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_request_headers(YtxOutcomeHandle outcome);

        // const char *ytx_outcome_request_id(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_request_id(YtxOutcomeHandle outcome);

        // const char *ytx_outcome_request_method(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_request_method(YtxOutcomeHandle outcome);

        // const char *ytx_outcome_request_url(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_request_url(YtxOutcomeHandle outcome);

        // const char *ytx_outcome_request_url_redacted(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_request_url_redacted(YtxOutcomeHandle outcome);

        // ytx_result ytx_outcome_result(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_outcome_result(YtxOutcomeHandle outcome);

        // uint32_t ytx_outcome_retry_after_ms(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_outcome_retry_after_ms(YtxOutcomeHandle outcome);

        // bool ytx_outcome_retry_safe(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [return: MarshalAs(UnmanagedType.I1)]
        internal static extern bool ytx_outcome_retry_safe(YtxOutcomeHandle outcome);

        // const char *ytx_outcome_status_code(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_status_code(YtxOutcomeHandle outcome);

        // const char *ytx_outcome_status_msg(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_status_msg(YtxOutcomeHandle outcome);

        // const char *ytx_outcome_ticket(const ytx_outcome *outcome);  ("" when none)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_ticket(YtxOutcomeHandle outcome);

        // const char *ytx_production_url(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_production_url();

        // size_t ytx_push_field_count(const ytx_push *push);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr ytx_push_field_count(IntPtr push);

        // const char *ytx_push_field_name(const ytx_push *push, size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_push_field_name(IntPtr push, UIntPtr index);

        // const char *ytx_push_field_value(const ytx_push *push, size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_push_field_value(IntPtr push, UIntPtr index);

        // void ytx_push_free(ytx_push *push);  (only YtxPushHandle.ReleaseHandle)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ytx_push_free(IntPtr push);

        // ytx_push_kind ytx_push_kind_of(const ytx_push *push);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_push_kind_of(IntPtr push);

        // const char *ytx_push_number(const ytx_push *push);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_push_number(IntPtr push);

        // ---- after a call is accepted: pushes, call records, balance ----
        // Owned objects (ytx_push, an owned ytx_records, ytx_balance) come out as
        // SafeHandles (YtxNativeHandles.cs) so they are freed exactly once even if
        // reading them throws; borrowed ones (a push's records, a record) are
        // IntPtrs read while their owner's handle is alive. ytx_push_kind and
        // ytx_call_state are uint32_t.

        // ytx_result ytx_push_parse(const uint8_t *body, size_t body_len,
        //     ytx_push **push_out, ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_push_parse(
            byte[] body, UIntPtr bodyLen, out YtxPushHandle push, out YtxOutcomeHandle outcome);

        // ytx_result ytx_push_parse_routed(const uint8_t *body, size_t body_len,
        //     const char *target, ytx_push **push_out, ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_push_parse_routed(
            byte[] body, UIntPtr bodyLen, byte[] target, out YtxPushHandle push, out YtxOutcomeHandle outcome);

        // const ytx_records *ytx_push_records(const ytx_push *push);  (borrowed)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_push_records(IntPtr push);

        // const char *ytx_push_request_id(const ytx_push *push);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_push_request_id(IntPtr push);

        // ytx_call_state ytx_push_state(const ytx_push *push);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_push_state(IntPtr push);

        // const char *ytx_push_state_desc(const ytx_push *push);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_push_state_desc(IntPtr push);

        // const char *ytx_push_state_text(const ytx_push *push);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_push_state_text(IntPtr push);

        // const char *ytx_push_timestamp(const ytx_push *push);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_push_timestamp(IntPtr push);

        // int32_t ytx_push_timestamp_unix(const ytx_push *push, int64_t *unix_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_push_timestamp_unix(IntPtr push, out long unixSeconds);

        // ytx_result ytx_query_balance(const ytx_client *client,
        //     ytx_balance **balance_out, ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_query_balance(
            YtxClientHandle client, out YtxBalanceHandle balance, out YtxOutcomeHandle outcome);

        // int32_t ytx_record_amount_fen(const ytx_record *record, int64_t *fen_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_record_amount_fen(IntPtr record, out long fen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_record_amount_text(IntPtr record);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_record_app_id(IntPtr record);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_record_called(IntPtr record);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_record_caller(IntPtr record);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_record_custom_parm(IntPtr record);

        // int64_t ytx_record_duration(const ytx_record *record);  (-1: none)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern long ytx_record_duration(IntPtr record);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_record_fid(IntPtr record);

        // size_t ytx_record_field_count(const ytx_record *record);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr ytx_record_field_count(IntPtr record);

        // const char *ytx_record_field_name(const ytx_record *record, size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_record_field_name(IntPtr record, UIntPtr index);

        // const char *ytx_record_field_value(const ytx_record *record, size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_record_field_value(IntPtr record, UIntPtr index);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_record_recording_url(IntPtr record);

        // const char *ytx_record_request_id(const ytx_record *record);  and the
        // other string accessors of a record: "" when absent.
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_record_request_id(IntPtr record);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_record_state_desc(IntPtr record);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_record_tel(IntPtr record);

        // int32_t ytx_record_time_unix(const ytx_record *record, const char *name,
        //     int64_t *unix_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_record_time_unix(IntPtr record, byte[] name, out long unixSeconds);

        // size_t ytx_records_count(const ytx_records *records);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr ytx_records_count(IntPtr records);

        // void ytx_records_free(ytx_records *records);  (only YtxRecordsHandle.ReleaseHandle)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ytx_records_free(IntPtr records);

        // const ytx_record *ytx_records_get(const ytx_records *records, size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_records_get(IntPtr records, UIntPtr index);

        // int32_t ytx_resolution_check_again_unix(const ytx_resolution *resolution, int64_t *unix_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_resolution_check_again_unix(IntPtr resolution, out long unix);

        // const char *ytx_resolution_cursor(const ytx_resolution *resolution);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_resolution_cursor(IntPtr resolution);

        // void ytx_resolution_free(ytx_resolution *resolution);  (only YtxResolutionHandle.ReleaseHandle)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ytx_resolution_free(IntPtr resolution);

        // const char *ytx_resolution_reason(const ytx_resolution *resolution);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_resolution_reason(IntPtr resolution);

        // const ytx_record *ytx_resolution_record(const ytx_resolution *resolution);  (borrowed; NULL unless placed)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_resolution_record(IntPtr resolution);

        // const char *ytx_resolution_status_name(ytx_resolution_status status);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_resolution_status_name(uint status);

        // ytx_resolution_status ytx_resolution_status_of(const ytx_resolution *resolution);  (uint32_t)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_resolution_status_of(IntPtr resolution);

        // ytx_result ytx_resolve(const ytx_client *client, const char *ticket,
        //     const char *cursor, uint64_t deadline_ms, uint32_t max_pages,
        //     ytx_resolution **resolution_out, ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_resolve(
            YtxClientHandle client, byte[] ticket, byte[] cursor, ulong deadlineMs, uint maxPages,
            out YtxResolutionHandle resolution, out YtxOutcomeHandle outcome);

        // const char *ytx_result_name(ytx_result code);   (uint32_t)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_result_name(uint code);

        // const char *ytx_sandbox_url(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_sandbox_url();

        // typedef void (*ytx_log_callback)(void *user_data, enum ytx_log_level level,
        //     const char *message);
        // Called on the thread of the call being logged; message is borrowed for
        // the duration of the call. See YtxLog for how it is kept alive.
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void LogCallback(IntPtr userData, uint level, IntPtr message);

        // ytx_result ytx_set_logger(ytx_log_callback callback, void *user_data,
        //     int32_t min_level);
        // A null delegate is marshaled as NULL (logging off).
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_set_logger(LogCallback callback, IntPtr userData, int minLevel);

        // const char *ytx_status_code_at(size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_status_code_at(UIntPtr index);

        // size_t ytx_status_code_count(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr ytx_status_code_count();

        // const char *ytx_version(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_version();

        // uint32_t ytx_version_number(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_version_number();

        // ytx_result ytx_voice_code(const ytx_client *client, const char *dst,
        //     const char *dstclid, const char *code, int32_t times,
        //     ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_voice_code(
            YtxClientHandle client,
            byte[] dst,
            byte[] dstClid,
            byte[] code,
            int times,
            out YtxOutcomeHandle outcome);

        // ytx_result ytx_voice_code_prepare(...): same parameters as ytx_voice_code.
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_voice_code_prepare(
            YtxClientHandle client,
            byte[] dst,
            byte[] dstClid,
            byte[] code,
            int times,
            out YtxOutcomeHandle outcome);

        // ---- the tracker (issue 21), in the order of ytx.h. The tracker handle is a
        // registry key the library looks up and never dereferences (a freed one is
        // refused, never reused): YtxTrackerHandle. Events and pending lists are owned
        // objects: YtxEventHandle, YtxPendingHandle; their accessors take the IntPtr
        // read while the handle is alive.

        // ytx_result ytx_tracker_new(const ytx_client *client, const char *const *option_names,
        //     const char *const *option_values, size_t option_count,
        //     ytx_tracker **tracker_out, ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_tracker_new(
            YtxClientHandle client, IntPtr[] optionNames, IntPtr[] optionValues, UIntPtr optionCount,
            out YtxTrackerHandle tracker, out YtxOutcomeHandle outcome);

        // void ytx_tracker_free(ytx_tracker *tracker);  (a no-op for a freed or unknown handle)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ytx_tracker_free(IntPtr tracker);

        // size_t ytx_live_trackers(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr ytx_live_trackers();

        // uint16_t ytx_tracker_on_push(const ytx_tracker *tracker, const uint8_t *body,
        //     size_t body_len, const char *query);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ushort ytx_tracker_on_push(YtxTrackerHandle tracker, byte[] body, UIntPtr bodyLen, byte[] query);

        // ytx_result ytx_tracker_next_event(const ytx_tracker *tracker, int64_t timeout_ms,
        //     ytx_event **event_out, ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_tracker_next_event(
            YtxTrackerHandle tracker, long timeoutMs, out YtxEventHandle evt, out YtxOutcomeHandle outcome);

        // ytx_result ytx_tracker_track(const ytx_tracker *tracker, const char *request_id,
        //     const char *custom_parm, int64_t sent_unix, uint32_t credit, const char *src,
        //     const char *dst, ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_tracker_track(
            YtxTrackerHandle tracker, byte[] requestId, byte[] customParm, long sentUnix, uint credit,
            byte[] src, byte[] dst, out YtxOutcomeHandle outcome);

        // ytx_result ytx_tracker_restore(const ytx_tracker *tracker, const char *tracked_json,
        //     ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_tracker_restore(YtxTrackerHandle tracker, byte[] trackedJson, out YtxOutcomeHandle outcome);

        // ytx_result ytx_tracker_pending(const ytx_tracker *tracker, ytx_pending **pending_out,
        //     ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_tracker_pending(
            YtxTrackerHandle tracker, out YtxPendingHandle pending, out YtxOutcomeHandle outcome);

        // int32_t ytx_tracker_forget(const ytx_tracker *tracker, const char *key);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_tracker_forget(YtxTrackerHandle tracker, byte[] key);

        // uint64_t ytx_tracker_stat(const ytx_tracker *tracker, const char *name);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ulong ytx_tracker_stat(YtxTrackerHandle tracker, byte[] name);

        // ytx_result ytx_tracker_advance_clock(const ytx_tracker *tracker, uint64_t ms,
        //     ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_tracker_advance_clock(YtxTrackerHandle tracker, ulong ms, out YtxOutcomeHandle outcome);

        // ytx_event_kind ytx_event_kind_of(const ytx_event *event);  (uint32_t)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_event_kind_of(IntPtr evt);

        // const char *ytx_event_kind_name(ytx_event_kind kind);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_event_kind_name(uint kind);

        // const char *ytx_event_request_id(const ytx_event *event);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_event_request_id(IntPtr evt);

        // const char *ytx_event_custom_parm(const ytx_event *event);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_event_custom_parm(IntPtr evt);

        // const ytx_record *ytx_event_record(const ytx_event *event);  (borrowed; NULL when none)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_event_record(IntPtr evt);

        // int32_t ytx_event_placed(const ytx_event *event);  (1, 0, -1)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_event_placed(IntPtr evt);

        // int32_t ytx_event_verified(const ytx_event *event);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_event_verified(IntPtr evt);

        // const char *ytx_event_state(const ytx_event *event);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_event_state(IntPtr evt);

        // const char *ytx_event_number(const ytx_event *event);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_event_number(IntPtr evt);

        // const char *ytx_event_leg(const ytx_event *event);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_event_leg(IntPtr evt);

        // const char *ytx_event_timestamp(const ytx_event *event);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_event_timestamp(IntPtr evt);

        // const char *ytx_event_ticket(const ytx_event *event);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_event_ticket(IntPtr evt);

        // const char *ytx_event_reason(const ytx_event *event);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_event_reason(IntPtr evt);

        // void ytx_event_free(ytx_event *event);  (only YtxEventHandle.ReleaseHandle)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ytx_event_free(IntPtr evt);

        // size_t ytx_pending_count(const ytx_pending *pending);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr ytx_pending_count(IntPtr pending);

        // const char *ytx_pending_request_id(const ytx_pending *pending, size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_pending_request_id(IntPtr pending, UIntPtr index);

        // const char *ytx_pending_custom_parm(const ytx_pending *pending, size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_pending_custom_parm(IntPtr pending, UIntPtr index);

        // int64_t ytx_pending_sent_unix(const ytx_pending *pending, size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern long ytx_pending_sent_unix(IntPtr pending, UIntPtr index);

        // uint32_t ytx_pending_credit(const ytx_pending *pending, size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_pending_credit(IntPtr pending, UIntPtr index);

        // const char *ytx_pending_src(const ytx_pending *pending, size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_pending_src(IntPtr pending, UIntPtr index);

        // const char *ytx_pending_dst(const ytx_pending *pending, size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_pending_dst(IntPtr pending, UIntPtr index);

        // int64_t ytx_pending_src_timeout(const ytx_pending *pending, size_t index);  (-1: not known)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern long ytx_pending_src_timeout(IntPtr pending, UIntPtr index);

        // int64_t ytx_pending_dst_timeout(const ytx_pending *pending, size_t index);  (-1: not known)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern long ytx_pending_dst_timeout(IntPtr pending, UIntPtr index);

        // const char *ytx_pending_ticket(const ytx_pending *pending, size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_pending_ticket(IntPtr pending, UIntPtr index);

        // const char *ytx_pending_json(const ytx_pending *pending, size_t index);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_pending_json(IntPtr pending, UIntPtr index);

        // void ytx_pending_free(ytx_pending *pending);  (only YtxPendingHandle.ReleaseHandle)
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ytx_pending_free(IntPtr pending);
    }
}
