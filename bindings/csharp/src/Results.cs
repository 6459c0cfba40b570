using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Text;

namespace Ytx
{
    /// <summary>
    /// The platform accepted the request (statusCode <c>"0"</c>): what
    /// <see cref="YtxClient.CallbackCall"/> and <see cref="YtxClient.VoiceCode"/> return.
    /// Named apart from <see cref="YtxResultCode"/>, the library's error codes; until
    /// 0.1 it was <see cref="YtxResult"/>, which still converts to and from it.
    /// </summary>
    public sealed class YtxAccepted
    {
        /// <summary>Creates an answer (the client makes these; tests and mocks may too).</summary>
        public YtxAccepted(string requestId, string statusCode, string statusMsg)
        {
            RequestId = requestId ?? string.Empty;
            StatusCode = statusCode ?? string.Empty;
            StatusMsg = statusMsg ?? string.Empty;
        }

        /// <summary>
        /// The platform's id for this request: an opaque string (29 digits on the
        /// real platform, more than a <c>long</c> holds). Keep it as a string; the
        /// status push and the CDR refer to it.
        /// </summary>
        public string RequestId { get; }

        /// <summary>The platform's statusCode: <c>"0"</c>.</summary>
        public string StatusCode { get; }

        /// <summary>The platform's statusMsg, e.g. <c>提交成功</c> ("submitted").</summary>
        public string StatusMsg { get; }

        /// <summary>E.g. <c>YtxAccepted(RequestId=2026..., StatusCode=0, StatusMsg=提交成功)</c>.</summary>
        public override string ToString()
        {
            return "YtxAccepted(RequestId=" + RequestId + ", StatusCode=" + StatusCode +
                   ", StatusMsg=" + StatusMsg + ")";
        }
    }

    /// <summary>
    /// The old name of <see cref="YtxAccepted"/>, kept so that code written for 0.1
    /// (<c>YtxResult call = client.CallbackCall(...)</c>, a mock's
    /// <c>return new YtxResult(...)</c>) still compiles, with a warning: it converts
    /// implicitly to and from <see cref="YtxAccepted"/>. It will be removed in a later
    /// 0.x release.
    /// </summary>
    [Obsolete("YtxResult is now YtxAccepted (it was easily confused with YtxResultCode); it converts implicitly, and will be removed in a later 0.x release.")]
    public sealed class YtxResult
    {
        /// <summary>Creates a result; prefer <see cref="YtxAccepted"/>.</summary>
        public YtxResult(string requestId, string statusCode, string statusMsg)
        {
            RequestId = requestId ?? string.Empty;
            StatusCode = statusCode ?? string.Empty;
            StatusMsg = statusMsg ?? string.Empty;
        }

        /// <summary>See <see cref="YtxAccepted.RequestId"/>.</summary>
        public string RequestId { get; }

        /// <summary>See <see cref="YtxAccepted.StatusCode"/>.</summary>
        public string StatusCode { get; }

        /// <summary>See <see cref="YtxAccepted.StatusMsg"/>.</summary>
        public string StatusMsg { get; }

        /// <summary>The same answer under its old name (<c>null</c> stays <c>null</c>).</summary>
        public static implicit operator YtxResult(YtxAccepted accepted)
        {
            return accepted == null ? null : new YtxResult(accepted.RequestId, accepted.StatusCode, accepted.StatusMsg);
        }

        /// <summary>The same answer under its new name (<c>null</c> stays <c>null</c>).</summary>
        public static implicit operator YtxAccepted(YtxResult result)
        {
            return result == null ? null : new YtxAccepted(result.RequestId, result.StatusCode, result.StatusMsg);
        }

        /// <summary>E.g. <c>YtxResult(RequestId=2026..., StatusCode=0, StatusMsg=提交成功)</c>.</summary>
        public override string ToString()
        {
            return "YtxResult(RequestId=" + RequestId + ", StatusCode=" + StatusCode +
                   ", StatusMsg=" + StatusMsg + ")";
        }
    }

    /// <summary>
    /// A request the library built and signed but did not send (a dry run from
    /// <see cref="YtxClient.PrepareCallbackCall"/> or <see cref="YtxClient.PrepareVoiceCode"/>),
    /// for debugging or for sending through your own HTTP stack.
    /// </summary>
    /// <remarks>
    /// <see cref="Url"/> carries the real <c>Sign</c>, a credential for the platform's
    /// timestamp window: do not log it. <see cref="RedactedUrl"/> and
    /// <see cref="ToString"/> use the library's redaction (<c>Sign=&lt;redacted&gt;</c>, as in
    /// its log events).
    /// </remarks>
    public sealed class PreparedRequest
    {
        /// <summary>Creates a prepared request (the client makes these; tests and mocks may too).</summary>
        /// <param name="method">The HTTP method.</param>
        /// <param name="url">The full URL, with the real Sign.</param>
        /// <param name="redactedUrl">The same URL with the Sign redacted (the library's <c>ytx_outcome_request_url_redacted</c>).</param>
        /// <param name="headers">The headers, in order.</param>
        /// <param name="body">The JSON body.</param>
        public PreparedRequest(string method, string url, string redactedUrl, IList<KeyValuePair<string, string>> headers, string body)
        {
            Method = method ?? string.Empty;
            Url = url ?? string.Empty;
            RedactedUrl = redactedUrl ?? string.Empty;
            Headers = new ReadOnlyCollection<KeyValuePair<string, string>>(
                new List<KeyValuePair<string, string>>(headers ?? new KeyValuePair<string, string>[0]));
            Body = body ?? string.Empty;
        }

        /// <summary>The HTTP method: <c>POST</c>.</summary>
        public string Method { get; }

        /// <summary>The full URL, including the real <c>?Sign=</c>. Do not log it unredacted.</summary>
        public string Url { get; }

        /// <summary>The request headers, in order (<c>Authorization</c>, <c>Content-Type</c>, <c>Accept</c>, ...).</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

        /// <summary>The JSON body, UTF-8 on the wire.</summary>
        public string Body { get; }

        /// <summary>The first header with this name (case-insensitive), or <c>null</c>.</summary>
        public string GetHeader(string name)
        {
            foreach (var h in Headers)
            {
                if (string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    return h.Value;
                }
            }
            return null;
        }

        /// <summary>
        /// <see cref="Url"/> with the value of its <c>Sign</c> query parameter replaced
        /// by <c>&lt;redacted&gt;</c>, by the native library (the one redaction its log
        /// events use too): safe to log.
        /// </summary>
        public string RedactedUrl { get; }

        /// <summary>The request as text (method, redacted URL, headers, body): safe to log.</summary>
        public override string ToString()
        {
            var sb = new StringBuilder();
            sb.Append(Method).Append(' ').Append(RedactedUrl).Append('\n');
            foreach (var h in Headers)
            {
                sb.Append(h.Key).Append(": ").Append(h.Value).Append('\n');
            }
            sb.Append('\n').Append(Body);
            return sb.ToString();
        }

        internal static List<KeyValuePair<string, string>> ParseHeaders(string text)
        {
            var headers = new List<KeyValuePair<string, string>>();
            foreach (string line in text.Split('\n'))
            {
                string l = line.TrimEnd('\r');
                if (l.Length == 0)
                {
                    continue;
                }
                int colon = l.IndexOf(':');
                if (colon < 0)
                {
                    headers.Add(new KeyValuePair<string, string>(l, string.Empty));
                }
                else
                {
                    headers.Add(new KeyValuePair<string, string>(
                        l.Substring(0, colon), l.Substring(colon + 1).TrimStart(' ')));
                }
            }
            return headers;
        }
    }
}
