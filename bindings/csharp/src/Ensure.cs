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
        /// <paramref name="outcome"/> (which may be null or an invalid, NULL handle).
        /// </summary>
        internal static T Success<T>(uint code, YtxOutcomeHandle outcome, Func<YtxOutcomeHandle, T> onOk)
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
                if (outcome != null)
                {
                    outcome.Dispose(); // frees a non-NULL outcome, once
                }
            }
        }

        /// <summary>As <see cref="Success{T}"/>, for calls with nothing to return.</summary>
        internal static void Success(uint code, YtxOutcomeHandle outcome)
        {
            Success<object>(code, outcome, o => null);
        }

        /// <summary>
        /// The exception for a non-OK code, read from a live outcome, with the
        /// library's retry advice and, for an outcome unknown, its ticket (<c>ytx_outcome_retry_safe</c>: no copy of the rule here).
        /// </summary>
        internal static YtxException ToException(uint rawCode, YtxOutcomeHandle outcome)
        {
            YtxException e = ExceptionOfKind(rawCode, outcome);
            if (NativeProxy.ytx_outcome_retry_safe(outcome))
            {
                e.RetryAfter = TimeSpan.FromMilliseconds(NativeProxy.ytx_outcome_retry_after_ms(outcome));
            }
            string ticket = NativeProxy.ytx_outcome_ticket(outcome);
            e.Ticket = ticket.Length == 0 ? null : ticket;
            return e;
        }

        private static YtxException ExceptionOfKind(uint rawCode, YtxOutcomeHandle outcome)
        {
            // The header types ytx_result as uint32_t; every defined code is small.
            int code = rawCode > int.MaxValue ? -1 : (int)rawCode;
            string message = NativeProxy.ytx_outcome_message(outcome);
            if (message.Length == 0)
            {
                message = YtxLibrary.ResultName(rawCode);
            }
            var delivery = (YtxDelivery)(int)NativeProxy.ytx_outcome_delivery(outcome);
            switch ((YtxResultCode)code)
            {
                case YtxResultCode.NullArgument:
                case YtxResultCode.InvalidUtf8:
                case YtxResultCode.InvalidArgument:
                    return new YtxArgumentException(
                        message, (YtxResultCode)code, NativeProxy.ytx_outcome_field(outcome));
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
                        message, (YtxResultCode)code, delivery, NativeProxy.ytx_outcome_http_status(outcome));
                case YtxResultCode.Platform:
                    return new YtxPlatformException(
                        message,
                        NativeProxy.ytx_outcome_status_code(outcome),
                        NativeProxy.ytx_outcome_status_msg(outcome),
                        NativeProxy.ytx_outcome_request_id(outcome));
                default: // YTX_ERR_PANIC, or a code newer than this binding
                    return new YtxInternalException(message, (YtxResultCode)code, delivery);
            }
        }

        internal static YtxAccepted ReadAccepted(YtxOutcomeHandle outcome)
        {
            return new YtxAccepted(
                NativeProxy.ytx_outcome_request_id(outcome),
                NativeProxy.ytx_outcome_status_code(outcome),
                NativeProxy.ytx_outcome_status_msg(outcome));
        }

        internal static PreparedRequest ReadPrepared(YtxOutcomeHandle outcome)
        {
            List<KeyValuePair<string, string>> headers =
                PreparedRequest.ParseHeaders(NativeProxy.ytx_outcome_request_headers(outcome));
            return new PreparedRequest(
                NativeProxy.ytx_outcome_request_method(outcome),
                NativeProxy.ytx_outcome_request_url(outcome),
                NativeProxy.ytx_outcome_request_url_redacted(outcome),
                headers,
                NativeProxy.ytx_outcome_request_body(outcome));
        }
    }
}
