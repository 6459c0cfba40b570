using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Text;

namespace Ytx
{
    /// <summary>The platform's answer to an accepted request (statusCode <c>"0"</c>).</summary>
    public sealed class YtxResult
    {
        /// <summary>Creates a result (the client makes these; tests and mocks may too).</summary>
        public YtxResult(string requestId, string statusCode, string statusMsg)
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
    /// timestamp window: do not log it. <see cref="ToString"/> redacts it.
    /// </remarks>
    public sealed class PreparedRequest
    {
        private const string SignParameter = "Sign=";

        /// <summary>Creates a prepared request (the client makes these).</summary>
        public PreparedRequest(string method, string url, IList<KeyValuePair<string, string>> headers, string body)
        {
            Method = method ?? string.Empty;
            Url = url ?? string.Empty;
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
        /// by <c>REDACTED</c>: safe to log.
        /// </summary>
        public string RedactedUrl
        {
            get { return Redact(Url); }
        }

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

        internal static string Redact(string url)
        {
            int q = url.IndexOf('?');
            if (q < 0)
            {
                return url;
            }
            var sb = new StringBuilder(url.Length);
            sb.Append(url, 0, q + 1);
            string[] parts = url.Substring(q + 1).Split('&');
            for (int i = 0; i < parts.Length; i++)
            {
                if (i > 0)
                {
                    sb.Append('&');
                }
                if (parts[i].StartsWith(SignParameter, StringComparison.OrdinalIgnoreCase))
                {
                    sb.Append(parts[i], 0, SignParameter.Length).Append("REDACTED");
                }
                else
                {
                    sb.Append(parts[i]);
                }
            }
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
