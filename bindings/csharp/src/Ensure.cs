using System;
using System.Collections.Generic;

namespace Ytx
{
    /// <summary>
    /// Turns a native result code and its outcome into a value or an exception, and
    /// frees the outcome exactly once, in <c>finally</c>, whatever happens.
    /// </summary>
    internal static class Ensure
    {
        /// <summary>
        /// Returns <paramref name="onOk"/>(outcome) when <paramref name="code"/> is
        /// <c>YTX_OK</c>, otherwise throws the exception for the code. Always frees
        /// <paramref name="outcome"/> (which may be <see cref="IntPtr.Zero"/>).
        /// </summary>
        internal static T Success<T>(uint code, IntPtr outcome, Func<IntPtr, T> onOk)
        {
            try
            {
                if (code == (uint)YtxResultCode.Ok)
                {
                    return onOk(outcome);
                }
                throw ToException(code, outcome);
            }
            finally
            {
                if (outcome != IntPtr.Zero)
                {
                    NativeMethods.ytx_outcome_free(outcome);
                }
            }
        }

        /// <summary>As <see cref="Success{T}"/>, for calls with nothing to return.</summary>
        internal static void Success(uint code, IntPtr outcome)
        {
            Success<object>(code, outcome, o => null);
        }

        /// <summary>
        /// The exception for a non-OK code, read from a live outcome, with the
        /// library's retry advice and, for an outcome unknown, its ticket (<c>ytx_outcome_retry_safe</c>: no copy of the rule here).
        /// </summary>
        internal static YtxException ToException(uint rawCode, IntPtr outcome)
        {
            YtxException e = ExceptionOfKind(rawCode, outcome);
            if (NativeMethods.ytx_outcome_retry_safe(outcome))
            {
                e.RetryAfter = TimeSpan.FromMilliseconds(NativeMethods.ytx_outcome_retry_after_ms(outcome));
            }
            string ticket = Utf8.Decode(NativeMethods.ytx_outcome_ticket(outcome));
            e.Ticket = ticket.Length == 0 ? null : ticket;
            return e;
        }

        private static YtxException ExceptionOfKind(uint rawCode, IntPtr outcome)
        {
            // The header types ytx_result as uint32_t; every defined code is small.
            int code = rawCode > int.MaxValue ? -1 : (int)rawCode;
            string message = Utf8.Decode(NativeMethods.ytx_outcome_message(outcome));
            if (message.Length == 0)
            {
                message = YtxLibrary.ResultName(rawCode);
            }
            var delivery = (YtxDelivery)(int)NativeMethods.ytx_outcome_delivery(outcome);
            switch ((YtxResultCode)code)
            {
                case YtxResultCode.NullArgument:
                case YtxResultCode.InvalidUtf8:
                case YtxResultCode.InvalidArgument:
                    return new YtxArgumentException(
                        message, (YtxResultCode)code, Utf8.Decode(NativeMethods.ytx_outcome_field(outcome)));
                case YtxResultCode.InvalidHandle:
                    return new YtxInvalidHandleException(message);
                case YtxResultCode.NotSent:
                case YtxResultCode.OutcomeUnknown:
                    return new YtxTransportException(message, (YtxResultCode)code, delivery);
                case YtxResultCode.Timeout:
                    return new YtxTimeoutException(message, delivery);
                case YtxResultCode.HttpStatus:
                case YtxResultCode.Protocol:
                    return new YtxProtocolException(
                        message, (YtxResultCode)code, delivery, NativeMethods.ytx_outcome_http_status(outcome));
                case YtxResultCode.Platform:
                    return new YtxPlatformException(
                        message,
                        Utf8.Decode(NativeMethods.ytx_outcome_status_code(outcome)),
                        Utf8.Decode(NativeMethods.ytx_outcome_status_msg(outcome)),
                        Utf8.Decode(NativeMethods.ytx_outcome_request_id(outcome)));
                default: // YTX_ERR_PANIC, or a code newer than this binding
                    return new YtxInternalException(message, (YtxResultCode)code, delivery);
            }
        }

        internal static YtxAccepted ReadAccepted(IntPtr outcome)
        {
            return new YtxAccepted(
                Utf8.Decode(NativeMethods.ytx_outcome_request_id(outcome)),
                Utf8.Decode(NativeMethods.ytx_outcome_status_code(outcome)),
                Utf8.Decode(NativeMethods.ytx_outcome_status_msg(outcome)));
        }

        internal static PreparedRequest ReadPrepared(IntPtr outcome)
        {
            List<KeyValuePair<string, string>> headers =
                PreparedRequest.ParseHeaders(Utf8.Decode(NativeMethods.ytx_outcome_request_headers(outcome)));
            return new PreparedRequest(
                Utf8.Decode(NativeMethods.ytx_outcome_request_method(outcome)),
                Utf8.Decode(NativeMethods.ytx_outcome_request_url(outcome)),
                Utf8.Decode(NativeMethods.ytx_outcome_request_url_redacted(outcome)),
                headers,
                Utf8.Decode(NativeMethods.ytx_outcome_request_body(outcome)));
        }
    }
}
