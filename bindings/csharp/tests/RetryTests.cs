// Issue 18, parts 3, 5 and 9 through the C# binding: RetrySafe and RetryAfter
// read the library's advice (no copy of the rule here), the opt-in automatic
// retry, the size limits of free-text fields, and the Sign kept out of
// exception messages. Part of the YtxTests program (see YtxTests.cs).

using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Ytx;

internal static partial class YtxTests
{
    private static void RunRetryTests()
    {
        Run("retry: -104 is RetrySafe after 1 s; other refusals and unknown outcomes are not", TestRetryAdvice);
        Run("retry: MaxRetries resends -104 once more and an unknown outcome never", TestAutomaticRetry);
        Run("retry: bad retry options name themselves", TestRetryOptionErrors);
        Run("limits: a 1 MiB CustomParm and long file names are refused before sending", TestSizeLimits);
        Run("secrets: a page echoing the request line leaves no Sign in the exception", TestEchoedSign);
    }

    private static string PlatformCodeDst(int code)
    {
        return "19900001" + code.ToString("D3", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void TestRetryAdvice()
    {
        using (var client = NewClient())
        {
            int before = Count();
            var e = Throws<YtxPlatformException>(() => client.CallbackCall(Src, PlatformCodeDst(104), 600));
            Equal("-104", e.StatusCode, "status");
            Equal(YtxDelivery.Answered, e.Delivery, "delivery");
            Check(e.RetrySafe, "-104 RetrySafe");
            Equal(TimeSpan.FromSeconds(1), e.RetryAfter.Value, "-104 RetryAfter");
            Equal(before + 1, Count(), "off by default: sent once");
            foreach (string dst in new[] { PlatformCodeDst(204), PlatformCodeDst(100), "19900000002", "19900000011" })
            {
                var x = Throws<YtxException>(() => client.CallbackCall(Src, dst, 600));
                Check(!x.RetrySafe && !x.RetryAfter.HasValue, dst + ": not RetrySafe");
            }
            var a = Throws<YtxArgumentException>(() => client.CallbackCall(Src, "1", 600));
            Check(!a.RetrySafe, "an argument error is not RetrySafe");
        }
        Check(!Throws<YtxException>(() => YtxPush.Parse(Encoding.UTF8.GetBytes("nope"))).RetrySafe, "a push parse error is not RetrySafe");
        using (var client = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = "http://127.0.0.1:" + ClosedPort() }))
        {
            var e = Throws<YtxTransportException>(() => client.CallbackCall(Src, Dst, 600));
            Check(e.RetrySafe, "not written: RetrySafe");
            Equal(TimeSpan.Zero, e.RetryAfter.Value, "not written: at once");
        }
    }

    private static void TestAutomaticRetry()
    {
        var o = Options();
        o.MaxRetries = 1;
        o.RetryBackoff = TimeSpan.FromMilliseconds(1);
        using (var client = new YtxClient(Sid, Token, App, o))
        {
            int before = Count();
            Throws<YtxPlatformException>(() => client.CallbackCall(Src, PlatformCodeDst(104), 600));
            Equal(before + 2, Count(), "-104 with MaxRetries 1: two requests");
            before = Count();
            var e = Throws<YtxTransportException>(() => client.CallbackCall(Src, "19900000002", 600));
            Equal(YtxDelivery.Unknown, e.Delivery, "dropped: unknown");
            Equal(before + 1, Count(), "an unknown outcome is never resent");
        }
    }

    private static void TestRetryOptionErrors()
    {
        ArgError(() => new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = _baseUrl, MaxRetries = 11 }),
            YtxResultCode.InvalidArgument, "max_retries");
        ArgError(() => new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = _baseUrl, RetryBudget = TimeSpan.FromMinutes(6) }),
            YtxResultCode.InvalidArgument, "retry_budget_ms");
    }

    private static void TestSizeLimits()
    {
        using (var client = NewClient())
        {
            int before = Count();
            var e = ArgError(() => client.CallbackCall(Src, Dst, 600, new CallbackOptions { CustomParm = new string('x', 1 << 20) }),
                YtxResultCode.InvalidArgument, "customParm");
            Check(e.Message.Contains("1024"), "the limit is in the message: " + e.Message);
            ArgError(() => client.CallbackCall(Src, Dst, 600, new CallbackOptions { DstFailHintFile = new string('f', 1025) }),
                YtxResultCode.InvalidArgument, "dstfailhintfile");
            Equal(before, Count(), "nothing sent");
            // At the limit, in bytes of UTF-8 (订 is three): sent.
            client.CallbackCall(Src, Dst, 600, new CallbackOptions { CustomParm = new string('订', 341) });
            Equal(before + 1, Count(), "the call within the limit was sent");
        }
    }

    private static void TestEchoedSign()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        string requestLine = null;
        var server = new Thread(() =>
        {
            using (var conn = listener.AcceptTcpClient())
            using (var stream = conn.GetStream())
            {
                var buf = new byte[65536];
                int got = 0;
                string text = "";
                while (true)
                {
                    int n = stream.Read(buf, got, buf.Length - got);
                    if (n <= 0) break;
                    got += n;
                    text = Encoding.UTF8.GetString(buf, 0, got);
                    int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    Match m = Regex.Match(text, "(?i)content-length:\\s*(\\d+)");
                    if (end >= 0 && m.Success && got - (end + 4) >= int.Parse(m.Groups[1].Value)) break;
                }
                requestLine = text.Substring(0, Math.Max(0, text.IndexOf("\r\n", StringComparison.Ordinal)));
                byte[] page = Encoding.UTF8.GetBytes("<html><p>Bad request: " + requestLine + "</p></html>");
                byte[] head = Encoding.ASCII.GetBytes(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nConnection: close\r\nContent-Length: " + page.Length + "\r\n\r\n");
                stream.Write(head, 0, head.Length);
                stream.Write(page, 0, page.Length);
            }
        });
        server.Start();
        try
        {
            using (var client = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = "http://127.0.0.1:" + port }))
            {
                var e = Throws<YtxProtocolException>(() => client.VoiceCode(Dst, Clid, "1234"));
                server.Join(10000);
                Check(requestLine != null && requestLine.Contains("Sign="), "the server saw the request line: " + requestLine);
                string sign = requestLine.Substring(requestLine.IndexOf("Sign=", StringComparison.Ordinal) + 5).Split(' ')[0];
                Equal(32, sign.Length, "the Sign's length");
                NotContains(e.Message.ToLowerInvariant(), sign.ToLowerInvariant(), "the exception's message");
                NotContains(e.ToString().ToLowerInvariant(), sign.ToLowerInvariant(), "the exception's ToString");
                Check(e.Message.Contains("Sign=<redacted>"), "the page is still quoted: " + e.Message);
            }
        }
        finally
        {
            listener.Stop();
        }
    }
}
