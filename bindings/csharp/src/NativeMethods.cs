using System;
using System.Runtime.InteropServices;

namespace Ytx
{
    /// <summary>
    /// Every entry point of the native library, declared once, in the order of
    /// <c>include/ytx.h</c>. Strings go in as UTF-8 <c>byte[]</c> with a trailing NUL
    /// (see <see cref="Utf8"/>) and come out as borrowed <c>IntPtr</c>s read by hand;
    /// C enums (<c>ytx_result</c>, <c>ytx_delivery</c>, <c>ytx_log_level</c>) are C <c>int</c>s.
    /// </summary>
    /// <remarks>
    /// The library name is <c>"ytx"</c>: <c>ytx.dll</c> on Windows, <c>libytx.so</c> on
    /// Linux (Mono: see <c>Ytx.dll.config</c>), <c>libytx.dylib</c> on macOS.
    /// </remarks>
    internal static class NativeMethods
    {
        internal const string Library = "ytx";

        // const char *ytx_version(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_version();

        // uint32_t ytx_version_number(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ytx_version_number();

        // const char *ytx_result_name(int32_t code);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_result_name(int code);

        // ytx_result ytx_client_new(const char *account_sid, const char *auth_token,
        //     const char *app_id, const char *const *option_names,
        //     const char *const *option_values, size_t option_count,
        //     ytx_client **client_out, ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_client_new(
            byte[] accountSid,
            byte[] authToken,
            byte[] appId,
            IntPtr[] optionNames,
            IntPtr[] optionValues,
            UIntPtr optionCount,
            out YtxClientHandle client,
            out IntPtr outcome);

        // ytx_result ytx_free(ytx_client *client);
        // Takes the raw value: only YtxClientHandle.ReleaseHandle calls it.
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_free(IntPtr client);

        // ytx_result ytx_callback_call(const ytx_client *client, const char *src,
        //     const char *dst, int64_t credit, const char *const *option_names,
        //     const char *const *option_values, size_t option_count,
        //     ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_callback_call(
            YtxClientHandle client,
            byte[] src,
            byte[] dst,
            long credit,
            IntPtr[] optionNames,
            IntPtr[] optionValues,
            UIntPtr optionCount,
            out IntPtr outcome);

        // ytx_result ytx_callback_prepare(...): same parameters as ytx_callback_call.
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_callback_prepare(
            YtxClientHandle client,
            byte[] src,
            byte[] dst,
            long credit,
            IntPtr[] optionNames,
            IntPtr[] optionValues,
            UIntPtr optionCount,
            out IntPtr outcome);

        // ytx_result ytx_voice_code(const ytx_client *client, const char *dst,
        //     const char *dstclid, const char *code, int32_t times,
        //     ytx_outcome **outcome_out);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_voice_code(
            YtxClientHandle client,
            byte[] dst,
            byte[] dstClid,
            byte[] code,
            int times,
            out IntPtr outcome);

        // ytx_result ytx_voice_code_prepare(...): same parameters as ytx_voice_code.
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_voice_code_prepare(
            YtxClientHandle client,
            byte[] dst,
            byte[] dstClid,
            byte[] code,
            int times,
            out IntPtr outcome);

        // typedef void (*ytx_log_callback)(void *user_data, enum ytx_log_level level,
        //     const char *message);
        // Called on the thread of the call being logged; message is borrowed for
        // the duration of the call. See YtxLog for how it is kept alive.
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void LogCallback(IntPtr userData, int level, IntPtr message);

        // ytx_result ytx_set_logger(ytx_log_callback callback, void *user_data,
        //     int32_t min_level);
        // A null delegate is marshaled as NULL (logging off).
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_set_logger(LogCallback callback, IntPtr userData, int minLevel);

        // size_t ytx_live_clients(void);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr ytx_live_clients();

        // ytx_result ytx_outcome_result(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_outcome_result(IntPtr outcome);

        // ytx_delivery ytx_outcome_delivery(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ytx_outcome_delivery(IntPtr outcome);

        // const char *ytx_outcome_message(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_message(IntPtr outcome);

        // const char *ytx_outcome_field(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_field(IntPtr outcome);

        // const char *ytx_outcome_status_code(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_status_code(IntPtr outcome);

        // const char *ytx_outcome_status_msg(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_status_msg(IntPtr outcome);

        // const char *ytx_outcome_request_id(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_request_id(IntPtr outcome);

        // uint16_t ytx_outcome_http_status(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ushort ytx_outcome_http_status(IntPtr outcome);

        // const char *ytx_outcome_request_method(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_request_method(IntPtr outcome);

        // const char *ytx_outcome_request_url(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_request_url(IntPtr outcome);

        // const char *ytx_outcome_request_headers(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_request_headers(IntPtr outcome);

        // const char *ytx_outcome_request_body(const ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ytx_outcome_request_body(IntPtr outcome);

        // void ytx_outcome_free(ytx_outcome *outcome);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ytx_outcome_free(IntPtr outcome);
    }
}
