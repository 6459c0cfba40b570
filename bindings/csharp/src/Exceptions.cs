using System;
using System.Globalization;
using System.Text;

namespace Ytx
{
    /// <summary>
    /// The root of every error the ytx library reports. Catch a subclass for one
    /// kind of failure, or this class and look at <see cref="Code"/>,
    /// <see cref="Delivery"/> and <see cref="RetrySafe"/>.
    /// </summary>
    /// <remarks>
    /// Messages come from the native library (English, naming the field at fault)
    /// and never contain the auth token; neither does <see cref="ToString"/>.
    /// </remarks>
    public class YtxException : Exception
    {
        /// <summary>Creates an exception; the library makes these, tests may too.</summary>
        /// <param name="message">A message for a person. Must not contain secrets.</param>
        /// <param name="code">The result code.</param>
        /// <param name="delivery">Whether the request reached the platform.</param>
        public YtxException(string message, YtxResultCode code, YtxDelivery delivery)
            : base(message)
        {
            Code = code;
            Delivery = delivery;
        }

        /// <summary>The library's result code (<c>ytx_result</c>).</summary>
        public YtxResultCode Code { get; }

        /// <summary>Whether the request reached the platform, as far as the client can know.</summary>
        public YtxDelivery Delivery { get; }

        /// <summary>
        /// For an outcome unknown of a call (<see cref="YtxDelivery.Unknown"/>): what resolving it needs,
        /// as text. Pass the exception or this text to <c>YtxClient.Resolve</c>,
        /// or save the text (a stable, versioned format) to resolve the call after a restart.
        /// <c>null</c> for any other error.
        /// </summary>
        public string Ticket { get; internal set; }

        /// <summary>
        /// Whether sending the same request again can succeed without any risk of a
        /// second call: the library's rule (<c>ytx_outcome_retry_safe</c>), not a copy.
        /// <c>true</c> for a request never written (a refused connection, DNS, TLS, a
        /// connect timeout) and for the platform's <c>-104</c> (request rate too high:
        /// nothing was placed; wait <see cref="RetryAfter"/>). <c>false</c> for argument
        /// errors (nothing was sent, but the same arguments fail the same way), an
        /// unknown outcome (<see cref="YtxDelivery.Unknown"/>: do not retry blindly, a
        /// customer could be rung twice), every other platform answer (final), and
        /// exceptions the binding makes itself.
        /// </summary>
        public bool RetrySafe
        {
            get { return RetryAfter.HasValue; }
        }

        /// <summary>
        /// When <see cref="RetrySafe"/>, the pause before sending the same request again
        /// (zero for a request never written, one second for <c>-104</c>); otherwise
        /// <c>null</c>. From <c>ytx_outcome_retry_after_ms</c>.
        /// </summary>
        public TimeSpan? RetryAfter { get; internal set; }

        /// <summary>
        /// The type, message, code, delivery and the subclass's details, then the
        /// stack trace. Never contains the auth token.
        /// </summary>
        public override string ToString()
        {
            var sb = new StringBuilder();
            sb.Append(GetType().FullName).Append(": ").Append(Message);
            sb.Append(" (Code=").Append(Code)
              .Append(", Delivery=").Append(Delivery)
              .Append(", RetrySafe=").Append(RetrySafe ? "true" : "false");
            AppendDetails(sb);
            sb.Append(')');
            if (InnerException != null)
            {
                sb.Append(" ---> ").Append(InnerException.ToString());
            }
            string trace = StackTrace;
            if (trace != null)
            {
                sb.Append(System.Environment.NewLine).Append(trace);
            }
            return sb.ToString();
        }

        /// <summary>Adds <c>", Name=value"</c> pairs for <see cref="ToString"/>.</summary>
        internal virtual void AppendDetails(StringBuilder sb)
        {
        }
    }

    /// <summary>
    /// An argument was rejected before anything was sent (codes
    /// <see cref="YtxResultCode.NullArgument"/>, <see cref="YtxResultCode.InvalidUtf8"/>,
    /// <see cref="YtxResultCode.InvalidArgument"/>). <see cref="Field"/> names it.
    /// </summary>
    public class YtxArgumentException : YtxException
    {
        /// <summary>Creates an argument exception.</summary>
        /// <param name="message">A message for a person; never the rejected value.</param>
        /// <param name="code">NullArgument, InvalidUtf8 or InvalidArgument.</param>
        /// <param name="field">The field at fault (see <see cref="Field"/>).</param>
        public YtxArgumentException(string message, YtxResultCode code, string field)
            : base(message, code, YtxDelivery.NotSent)
        {
            Field = field ?? string.Empty;
        }

        /// <summary>
        /// The field at fault, by the library's name for it: the C API's parameter
        /// name (<c>account_sid</c>, <c>auth_token</c>, <c>app_id</c>, <c>src</c>,
        /// <c>dst</c>, <c>credit</c>, <c>dstclid</c>, <c>code</c>, <c>time</c>, <c>request_id</c>,
        /// <c>custom_parm</c>, <c>after_request_id</c>, <c>body</c>), the wire
        /// name of a callback option (<c>customParm</c>, <c>srcclid</c>,
        /// <c>ringbacktype</c>, ...) or of a record query's field (<c>lastresid</c>,
        /// <c>limit</c>, <c>fid</c>, <c>customParm</c>; <c>max_pages</c> when
        /// <see cref="YtxClient.FindCall"/> ran out of pages), or the name of a client option
        /// (<c>base_url</c>, <c>timeout_ms</c>, <c>connect_timeout_ms</c>, <c>proxy</c>, ...).
        /// Each property's documentation gives its name.
        /// </summary>
        public string Field { get; }

        internal override void AppendDetails(StringBuilder sb)
        {
            sb.Append(", Field=").Append(Field);
        }
    }

    /// <summary>
    /// The native client handle was not valid (<see cref="YtxResultCode.InvalidHandle"/>).
    /// A disposed <see cref="YtxClient"/> throws <see cref="ObjectDisposedException"/>
    /// instead, so this means the handle was released behind the client's back.
    /// </summary>
    public class YtxInvalidHandleException : YtxException
    {
        /// <summary>Creates an invalid-handle exception.</summary>
        public YtxInvalidHandleException(string message)
            : base(message, YtxResultCode.InvalidHandle, YtxDelivery.NotSent)
        {
        }
    }

    /// <summary>
    /// The network failed (<see cref="YtxResultCode.NotSent"/>: nothing was sent,
    /// <see cref="YtxException.RetrySafe"/> is <c>true</c>; or
    /// <see cref="YtxResultCode.OutcomeUnknown"/>: the connection broke after the
    /// request was written, the platform may have placed the call).
    /// </summary>
    public class YtxTransportException : YtxException
    {
        /// <summary>Creates a transport exception.</summary>
        public YtxTransportException(string message, YtxResultCode code, YtxDelivery delivery)
            : base(message, code, delivery)
        {
        }
    }

    /// <summary>
    /// A timeout fired (<see cref="YtxResultCode.Timeout"/>). A connect timeout sent
    /// nothing (<see cref="YtxDelivery.NotSent"/>, retry-safe); a timeout while
    /// waiting for the answer leaves the outcome <see cref="YtxDelivery.Unknown"/>.
    /// </summary>
    public class YtxTimeoutException : YtxTransportException
    {
        /// <summary>Creates a timeout exception.</summary>
        public YtxTimeoutException(string message, YtxDelivery delivery)
            : base(message, YtxResultCode.Timeout, delivery)
        {
        }
    }

    /// <summary>
    /// The answer was not the platform's: an HTTP status other than 200
    /// (<see cref="YtxResultCode.HttpStatus"/>, see <see cref="HttpStatus"/>), or a
    /// body that is not the platform's JSON (<see cref="YtxResultCode.Protocol"/>).
    /// The platform may have acted on the request.
    /// </summary>
    public class YtxProtocolException : YtxException
    {
        /// <summary>Creates a protocol exception.</summary>
        public YtxProtocolException(string message, YtxResultCode code, YtxDelivery delivery, int httpStatus)
            : base(message, code, delivery)
        {
            HttpStatus = httpStatus;
        }

        /// <summary>The HTTP status of the answer (e.g. 500, 502); 0 when none was read.</summary>
        public int HttpStatus { get; }

        internal override void AppendDetails(StringBuilder sb)
        {
            sb.Append(", HttpStatus=").Append(HttpStatus.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// The platform answered and refused the request (<see cref="YtxResultCode.Platform"/>):
    /// its <see cref="StatusCode"/> (e.g. <c>"-203"</c>) and <see cref="StatusMsg"/>
    /// (often Chinese, e.g. <c>Sign验证失败</c>) say why. The answer is final.
    /// </summary>
    public class YtxPlatformException : YtxException
    {
        /// <summary>Creates a platform exception.</summary>
        public YtxPlatformException(string message, string statusCode, string statusMsg, string requestId)
            : base(message, YtxResultCode.Platform, YtxDelivery.Answered)
        {
            StatusCode = statusCode ?? string.Empty;
            StatusMsg = statusMsg ?? string.Empty;
            RequestId = requestId ?? string.Empty;
        }

        /// <summary>
        /// The platform's statusCode, e.g. <c>"-203"</c> (bad Sign), <c>"-204"</c> (balance
        /// too low) or <c>"-104"</c> (request rate too high: slow down; the platform
        /// refused it, so nothing was placed). The binding's README has the whole
        /// table; <see cref="Exception.Message"/> carries the library's explanation of
        /// the codes it knows.
        /// </summary>
        public string StatusCode { get; }

        /// <summary>The platform's statusMsg, as it sent it.</summary>
        public string StatusMsg { get; }

        /// <summary>The platform's requestId; usually empty for a refusal.</summary>
        public string RequestId { get; }

        internal override void AppendDetails(StringBuilder sb)
        {
            sb.Append(", StatusCode=").Append(StatusCode)
              .Append(", StatusMsg=").Append(StatusMsg)
              .Append(", RequestId=").Append(RequestId);
        }
    }

    /// <summary>
    /// A bug inside the native library was caught at its boundary
    /// (<see cref="YtxResultCode.Panic"/>), or it returned a code this binding does not
    /// know. The library is still usable; please report it.
    /// </summary>
    public class YtxInternalException : YtxException
    {
        /// <summary>Creates an internal-error exception.</summary>
        public YtxInternalException(string message, YtxResultCode code, YtxDelivery delivery)
            : base(message, code, delivery)
        {
        }
    }
}
