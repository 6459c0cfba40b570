// Tests of the Ytx C# binding against the local platform emulator.
//
// No test framework: compiled with mcs against Ytx.dll and run with mono by
// ../run-tests.sh. It starts the emulator from $YTX_EMULATOR itself (port 0,
// --exit-on-stdin-eof, --slow-secs 5) and kills it at the end. Calls that must
// still be in flight when the test looks go through a Gate (Gate.cs). Exit code
// 0 only when every test passed; the closing line is exactly "N passed, N failed".

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Ytx;

internal static partial class YtxTests
{
    private const string Sid = "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8";
    private const string Token = "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8";
    private const string WrongToken = "00000000000000000000000000abcdef";
    private const string App = "ff8080813fc70a7b013fc72312324213";
    private const string CallbackOnlyApp = "ff8080813fc70a7b013fc72300000001";

    private const string Src = "13800138000";
    private const string Dst = "13900139000";
    private const string Clid = "02161234567";

    private const string FaultSlowAnswer = "19900000001";
    private const string FaultDropConnection = "19900000002";
    private const string FaultHttp500 = "19900000003";
    private const string FaultNotJson = "19900000004";
    private const string FaultTruncatedJson = "19900000005";
    private const string FaultNoStatusCode = "19900000006";
    private const string FaultNumericStatusCode = "19900000007";
    private const string FaultHugeBody = "19900000008";
    private const string FaultNotUtf8 = "19900000009";
    private const string FaultHttp502 = "19900000011";
    private const string FaultResetMidBody = "19900000012";

    private static string _baseUrl;
    private static Process _emulator;
    private static int _passed;
    private static int _failed;
    private static readonly List<Exception> Thrown = new List<Exception>();
    private static readonly List<object> Printed = new List<object>();

    private static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--version-mismatch-child")
        {
            return VersionMismatchChild(); // OneHomeTests.cs: run against a stand-in library
        }
        var total = Stopwatch.StartNew();
        // Results must not depend on the host's culture (number formatting).
        Thread.CurrentThread.CurrentCulture = new CultureInfo("ar-SA");
        try
        {
            StartEmulator();
        }
        catch (Exception e)
        {
            Console.WriteLine("FAIL start the emulator: " + e);
            Console.WriteLine("0 passed, 1 failed");
            return 1;
        }
        long liveAtStart = -1;
        try
        {
            Run("native library loads, version matches the binding", () =>
            {
                Equal(YtxLibrary.BindingVersion, YtxLibrary.Version, "version");
                Equal(YtxLibrary.BindingVersionNumber, YtxLibrary.VersionNumber, "version number");
                liveAtStart = YtxLibrary.LiveClients;
                Equal(0L, liveAtStart, "live clients at start");
                Equal(0L, YtxLibrary.LiveObjects, "live objects at start");
            });
            RunOneHomeTests(); // OneHomeTests.cs: the binding's tables vs ytx.h and the library; version check; exact leaks
            Run("YtxResult (the old name of YtxAccepted) still compiles and converts", TestOldResultName);
            Run("callback call succeeds: 29-digit requestId, 提交成功", TestCallbackSuccess);
            Run("voice code succeeds: 29-digit requestId, 提交成功", TestVoiceCodeSuccess);
            Run("voice code with dstClid null or empty: accepted on CodeCallOut.wx, no dstclid sent", TestVoiceCodeWithoutClid);
            Run("voice code with times; the NoticeCall.wx override reaches the wire (-2)", TestVoiceCodeOverride);
            Run("callback action override reaches the wire (-3)", TestCallbackActionOverride);
            Run("every CallbackOptions property reaches the wire by its name", TestAllCallbackOptions);
            Run("non-ASCII CustomParm round trip (订单-1)", TestNonAscii);
            Run("dry runs send nothing and are signed correctly", TestDryRuns);
            Run("environments choose the host; BaseUrl wins", TestEnvironments);
            Run("PreparedRequest.ToString redacts the Sign", TestPreparedRedaction);
            Run("platform -203 via a wrong token", TestWrongToken);
            Run("platform -205 via the callback-only app", TestCallbackOnlyApp);
            Run("platform codes via the magic numbers", TestMagicPlatformCodes);
            Run("NotSent via a closed port: RetrySafe", TestNotSent);
            Run("NotSent via a closed proxy port", TestClosedProxy);
            Run("OutcomeUnknown via the dropped connection, sent once", TestDropConnection);
            Run("OutcomeUnknown via the reset mid-body, sent once", TestResetMidBody);
            Run("Timeout via the slow answer with a 1 s timeout, sent once", TestTimeout);
            Run("protocol errors: HTTP 500 and 502, sent once", TestHttpStatus);
            Run("protocol errors: not JSON, truncated, no/numeric statusCode, huge, not UTF-8", TestProtocolFaults);
            Run("client arguments: null, empty, malformed name the field", TestClientArguments);
            Run("client options: invalid values name the field", TestClientOptionErrors);
            Run("callback arguments: null, empty, malformed name the field", TestCallbackArguments);
            Run("voice code arguments: null, empty, malformed name the field", TestVoiceArguments);
            Run("8 threads x 50 calls share one client", TestThreads);
            Run("Dispose twice; use after Dispose throws ObjectDisposedException", TestDispose);
            Run("Dispose while a call is in flight", TestDisposeInFlight);
            Run("the finalizer releases a client that was never disposed", TestFinalizer);
            Run("create and dispose 200 clients: no leak", TestManyClients);
            RunAsyncTests();  // AsyncTests.cs: the ...Async methods, cancellation
            RunInputMatrix(); // InputMatrixTests.cs: one test per row of tests/data/input_matrix.tsv
            RunLogTests();    // LogTests.cs: YtxLog
            RunPushTests();   // PushTests.cs: pushes, records, balance, the receiver example (issue 12)
            RunRetryTests();  // RetryTests.cs: retry advice, the opt-in retry, size limits, secrets (issue 18)
            RunResolveTests(); // ResolveTests.cs: resolving an outcome unknown (issue 18, part 2)
            RunTrackerTests(); // TrackerTests.cs: the tracker (issue 21)
            Run("the token never appears in ToString of client or exceptions", TestNoTokenInToString);
            Run("live clients and live objects back to 0", () =>
            {
                // A client freed while one of its calls is still in flight
                // stays live in the library until that call ends (the
                // abandoned async calls of the tests above are answered
                // seconds later): collect and look again until then, within
                // a deadline far beyond the slowest answer. A leaked client
                // or object never reaches 0 and fails here.
                WaitFor(() =>
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    return YtxLibrary.LiveClients == 0 && YtxLibrary.LiveObjects == 0;
                }, TimeSpan.FromSeconds(30), "ytx_live_clients() and ytx_live_objects() to reach 0");
                Equal(0L, YtxLibrary.LiveClients, "ytx_live_clients()");
                Equal(0L, YtxLibrary.LiveObjects, "ytx_live_objects()");
            });
        }
        finally
        {
            StopEmulator();
        }
        Console.WriteLine("time: " + total.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s");
        Console.WriteLine(_passed + " passed, " + _failed + " failed");
        return _failed == 0 ? 0 : 1;
    }

    // ------------------------------------------------------------------ tests

#pragma warning disable 618 // YtxResult is obsolete: this checks it still works
    private static void TestOldResultName()
    {
        using (var client = NewClient())
        {
            YtxResult old = client.CallbackCall(Src, Dst, 100); // 0.1 code, unchanged
            Check(Regex.IsMatch(old.RequestId, "^[0-9]{29}$"), "RequestId through the old name");
            Equal("0", old.StatusCode, "StatusCode");
            YtxAccepted back = old;
            Equal(old.RequestId, back.RequestId, "converts back");
            YtxAccepted fromMock = new YtxResult("1", "0", "ok"); // a 0.1 mock's return
            Equal("1", fromMock.RequestId, "a mock's YtxResult converts");
            YtxResult none = (YtxAccepted)null;
            Check(none == null, "null stays null");
            var attr = (ObsoleteAttribute)Attribute.GetCustomAttribute(typeof(YtxResult), typeof(ObsoleteAttribute));
            Check(attr != null && !attr.IsError && attr.Message.Contains("YtxAccepted"), "obsolete, a warning naming YtxAccepted");
        }
    }
#pragma warning restore 618

    private static void TestCallbackSuccess()
    {
        using (var client = NewClient())
        {
            int before = Count();
            YtxAccepted r = client.CallbackCall(Src, Dst, 3600);
            Equal(before + 1, Count(), "requests received");
            Check(Regex.IsMatch(r.RequestId, "^[0-9]{29}$"), "29-digit requestId, got " + r.RequestId);
            Equal("0", r.StatusCode, "statusCode");
            Equal("提交成功", r.StatusMsg, "statusMsg");
            Contains(r.ToString(), r.RequestId, "ToString");
            var last = LastRequest();
            Equal(r.RequestId, (string)last["request_id"], "requestId in the emulator's log");
            EndsWith((string)last["path"], "/call/DailbackCall.wx", "path");
            var body = Json.ParseObject((string)last["body"]);
            Equal("callDailBack", body["action"], "action");
            Equal(App, body["appid"], "appid");
            Equal(Src, body["src"], "src");
            Equal(Dst, body["dst"], "dst");
            Equal("3600", body["credit"], "credit (a string on the wire)");
            Equal(5, body.Count, "no optional field sent when none is set");
            Check(client.CallbackCall(Src, Dst, 61, new CallbackOptions()).RequestId != r.RequestId, "fresh requestId");
        }
    }

    private static void TestVoiceCodeSuccess()
    {
        using (var client = NewClient())
        {
            int before = Count();
            YtxAccepted r = client.VoiceCode(Dst, Clid, "A1b2C3");
            Equal(before + 1, Count(), "requests received");
            Check(Regex.IsMatch(r.RequestId, "^[0-9]{29}$"), "29-digit requestId, got " + r.RequestId);
            Equal("0", r.StatusCode, "statusCode");
            Equal("提交成功", r.StatusMsg, "statusMsg");
            var last = LastRequest();
            EndsWith((string)last["path"], "/call/CodeCallOut.wx", "path (the default endpoint, PROTOCOL.md ambiguity 2)");
            var body = Json.ParseObject((string)last["body"]);
            Equal("callOutCode", body["action"], "action");
            Equal(Dst, body["dst"], "dst");
            Equal(Clid, body["dstclid"], "dstclid");
            Equal("A1b2C3", body["code"], "code");
            Check(!body.ContainsKey("time"), "no time when times is null");
            Equal(5, body.Count, "action, appid, dst, dstclid, code: " + (string)last["body"]);
        }
    }

    private static void TestVoiceCodeWithoutClid()
    {
        using (var client = NewClient())
        {
            foreach (string clid in new[] { null, "" })
            {
                string what = clid == null ? "dstClid null" : "dstClid \"\"";
                int before = Count();
                YtxAccepted r = client.VoiceCode(Dst, clid, "4821");
                Equal(before + 1, Count(), what + ": sent once");
                Equal("0", r.StatusCode, what + ": accepted");
                Check(Regex.IsMatch(r.RequestId, "^[0-9]{29}$"), what + ": 29-digit requestId, got " + r.RequestId);
                var last = LastRequest();
                EndsWith((string)last["path"], "/call/CodeCallOut.wx", what + ": path");
                Equal("0", (string)last["answer_status_code"], what + ": the emulator answered 0");
                var body = Json.ParseObject((string)last["body"]);
                Equal("callOutCode", body["action"], what + ": action");
                Check(!body.ContainsKey("dstclid"), what + ": no dstclid on the wire, got " + (string)last["body"]);
                Equal(4, body.Count, what + ": action, appid, dst, code");

                var p = Json.ParseObject(client.PrepareVoiceCode(Dst, clid, "4821", 1).Body);
                Check(!p.ContainsKey("dstclid"), what + ": no dstclid in the dry run");
                Equal("1", p["time"], what + ": time in the dry run");
            }
        }
    }

    private static void TestVoiceCodeOverride()
    {
        using (var client = NewClient())
        {
            YtxAccepted r = client.VoiceCode(Dst, Clid, "1234", 3);
            Equal("0", r.StatusCode, "statusCode");
            var body = Json.ParseObject((string)LastRequest()["body"]);
            Equal("3", body["time"], "time");
        }
        // The override reaches the wire: the old default (the template voice
        // notice's endpoint) is refused by the emulator as the platform would,
        // -2 for the missing templateId.
        var options = Options();
        options.VoiceCodeFuncUrl = "NoticeCall.wx";
        options.VoiceCodeAction = "templateNoticeCall";
        using (var client = new YtxClient(Sid, Token, App, options))
        {
            int before = Count();
            var e = Throws<YtxPlatformException>(() => client.VoiceCode(Dst, Clid, "1234", 3));
            Equal("-2", e.StatusCode, "statusCode of a voice code on NoticeCall.wx");
            Equal(before + 1, Count(), "sent once");
            var last = LastRequest();
            EndsWith((string)last["path"], "/call/NoticeCall.wx", "path");
            var body = Json.ParseObject((string)last["body"]);
            Equal("templateNoticeCall", body["action"], "action");
            Equal("3", body["time"], "time");
        }
    }

    private static void TestCallbackActionOverride()
    {
        var options = Options();
        options.CallbackAction = "callDailBackX";
        using (var client = new YtxClient(Sid, Token, App, options))
        {
            var e = Throws<YtxPlatformException>(() => client.CallbackCall(Src, Dst, 100));
            Equal("-3", e.StatusCode, "statusCode");
            Equal("无效的action", e.StatusMsg, "statusMsg");
        }
        options = Options();
        options.CallbackFuncUrl = "NoSuch.wx";
        using (var client = new YtxClient(Sid, Token, App, options))
        {
            var e = Throws<YtxProtocolException>(() => client.CallbackCall(Src, Dst, 100));
            Equal(YtxResultCode.HttpStatus, e.Code, "code");
            Equal(404, e.HttpStatus, "HTTP status of an unknown funcURL");
            EndsWith((string)LastRequest()["path"], "/call/NoSuch.wx", "path");
        }
    }

    private static void TestAllCallbackOptions()
    {
        var o = new CallbackOptions
        {
            CustomParm = "订单-1",
            SrcClid = Clid,
            DstClid = "13700137000",
            SrcTimeout = 30,
            DstTimeout = 40,
            SrcHintFile = "src.wav",
            DstHintFile = "dst.wav",
            RingbackType = RingbackType.Custom,
            CustomHintFile = "ring.wav",
            DstFailHintFile = "fail.wav",
            SrcThreshold = 50,
            DstThreshold = 55,
            SrcThresholdFile = "srcwarn.wav",
            DstThresholdFile = "dstwarn.wav",
            CallStatusCheck = true,
        };
        var expected = new Dictionary<string, string>
        {
            { "customParm", "订单-1" }, { "srcclid", Clid }, { "dstclid", "13700137000" },
            { "srctimeout", "30" }, { "dsttimeout", "40" }, { "srchintfile", "src.wav" },
            { "dsthintfile", "dst.wav" }, { "ringbacktype", "3" }, { "customhintfile", "ring.wav" },
            { "dstfailhintfile", "fail.wav" }, { "srcthreshold", "50" }, { "dstthreshold", "55" },
            { "srcthresholdfile", "srcwarn.wav" }, { "dstthresholdfile", "dstwarn.wav" },
            { "iscallstatuscheck", "1" },
        };
        using (var client = NewClient())
        {
            YtxAccepted r = client.CallbackCall(Src, Dst, 120, o);
            Equal("0", r.StatusCode, "statusCode");
            var body = Json.ParseObject((string)LastRequest()["body"]);
            foreach (var kv in expected)
            {
                Check(body.ContainsKey(kv.Key), "wire field " + kv.Key + " sent");
                Equal(kv.Value, body[kv.Key], "wire field " + kv.Key);
            }
            Equal(5 + expected.Count, body.Count, "number of fields");

            o.CallStatusCheck = false;
            o.RingbackType = RingbackType.PassThrough;
            client.CallbackCall(Src, Dst, 120, o);
            body = Json.ParseObject((string)LastRequest()["body"]);
            Equal("0", body["iscallstatuscheck"], "iscallstatuscheck false");
            Equal("1", body["ringbacktype"], "ringbacktype PassThrough");
        }
    }

    private static void TestNonAscii()
    {
        using (var client = NewClient())
        {
            const string parm = "订单-1 ñ 🎉";
            PreparedRequest p = client.PrepareCallbackCall(Src, Dst, 100, new CallbackOptions { CustomParm = parm });
            Equal(parm, Json.ParseObject(p.Body)["customParm"], "customParm in the prepared body");
            YtxAccepted r = client.CallbackCall(Src, Dst, 100, new CallbackOptions { CustomParm = parm });
            Equal("提交成功", r.StatusMsg, "statusMsg");
            var body = Json.ParseObject((string)LastRequest()["body"]);
            Equal(parm, body["customParm"], "customParm received by the emulator");
        }
    }

    private static void TestDryRuns()
    {
        using (var client = NewClient())
        {
            int before = Count();
            PreparedRequest p = client.PrepareCallbackCall(Src, Dst, 3600, new CallbackOptions { CustomParm = "x1" });
            PreparedRequest v = client.PrepareVoiceCode(Dst, Clid, "9876", 2);
            Equal(before, Count(), "requests received after two dry runs");

            Equal("POST", p.Method, "method");
            StartsWith(p.Url, _baseUrl + "/201512/sid/" + Sid + "/call/DailbackCall.wx?Sign=", "callback URL");
            StartsWith(v.Url, _baseUrl + "/201512/sid/" + Sid + "/call/CodeCallOut.wx?Sign=", "voice code URL");
            var body = Json.ParseObject(p.Body);
            Equal("callDailBack", body["action"], "action");
            Equal("x1", body["customParm"], "customParm");
            Equal("3600", body["credit"], "credit");
            var vbody = Json.ParseObject(v.Body);
            Equal("callOutCode", vbody["action"], "voice action");
            Equal("2", vbody["time"], "time");
            Contains(p.GetHeader("Content-Type") ?? "", "application/json", "Content-Type");
            Equal("application/json", p.GetHeader("accept"), "Accept (case-insensitive lookup)");

            // Sign = MD5(sid + token + timestamp), upper hex; Authorization =
            // Base64(sid|timestamp): checked independently of the library.
            string auth = Encoding.UTF8.GetString(Convert.FromBase64String(p.GetHeader("Authorization")));
            Check(Regex.IsMatch(auth, "^" + Sid + "\\|[0-9]{14}$"), "Authorization decodes to sid|timestamp, got " + auth);
            string timestamp = auth.Substring(Sid.Length + 1);
            string sign;
            using (var md5 = MD5.Create())
            {
                sign = string.Concat(md5.ComputeHash(Encoding.ASCII.GetBytes(Sid + Token + timestamp))
                    .Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));
            }
            Equal(sign, p.Url.Substring(p.Url.IndexOf("Sign=", StringComparison.Ordinal) + 5).ToUpperInvariant(), "Sign");
            Equal(before, Count(), "still nothing sent");
        }
    }

    private static void TestEnvironments()
    {
        using (var prod = new YtxClient(Sid, Token, App))
        using (var sandbox = new YtxClient(Sid, Token, App, new YtxClientOptions { Environment = YtxEnvironment.Sandbox }))
        using (var custom = new YtxClient(Sid, Token, App,
            new YtxClientOptions { BaseUrl = "https://gw.example.com/ytx" }))
        {
            StartsWith(prod.PrepareVoiceCode(Dst, Clid, "1").Url, YtxLibrary.ProductionUrl + "/201512/sid/", "production");
            StartsWith(sandbox.PrepareVoiceCode(Dst, Clid, "1").Url, YtxLibrary.SandboxUrl + "/201512/sid/", "sandbox");
            StartsWith(custom.PrepareVoiceCode(Dst, Clid, "1").Url, "https://gw.example.com/ytx/201512/sid/", "base URL");
            Contains(sandbox.ToString(), YtxLibrary.SandboxUrl, "ToString");
            Contains(custom.ToString(), "https://gw.example.com/ytx", "ToString");
        }
        ArgError(() => new YtxClient(Sid, Token, App,
            new YtxClientOptions { Environment = YtxEnvironment.Sandbox, BaseUrl = "https://gw.example.com/ytx" }),
            YtxResultCode.InvalidArgument, "base_url");
        // Issue 18: a user name or password in the base URL is the library's
        // error naming base_url, and the value is never echoed.
        var withUser = ArgError(() => new YtxClient(Sid, Token, App,
            new YtxClientOptions { BaseUrl = "http://user:secretpw@127.0.0.1:1" }),
            YtxResultCode.InvalidArgument, "base_url");
        NotContains(withUser.Message, "secretpw", "message of a base URL with a password");
        using (var upper = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = "HTTPS://GW.example.com/ytx/" }))
        {
            Equal("https://gw.example.com/ytx", upper.BaseUrl, "the base URL normalised by the library");
        }
        var o = new YtxClientOptions
        {
            BaseUrl = _baseUrl,
            Timeout = TimeSpan.FromMilliseconds(2500.2),
            ConnectTimeout = TimeSpan.FromSeconds(1),
            Proxy = null,
        };
        using (var c = new YtxClient(Sid, Token, App, o))
        {
            Equal("0", c.CallbackCall(Src, Dst, 100).StatusCode, "timeouts accepted");
        }
        // A Timeout shorter than the default connect timeout (5 s) alone is fine.
        using (var c = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = _baseUrl, Timeout = TimeSpan.FromSeconds(2) }))
        {
            Equal("0", c.CallbackCall(Src, Dst, 100).StatusCode, "short timeout accepted");
        }
    }

    private static void TestPreparedRedaction()
    {
        using (var client = NewClient())
        {
            PreparedRequest p = client.PrepareCallbackCall(Src, Dst, 100);
            string sign = p.Url.Substring(p.Url.IndexOf("Sign=", StringComparison.Ordinal) + 5);
            Equal(32, sign.Length, "Sign length");
            NotContains(p.ToString(), sign, "ToString");
            NotContains(p.RedactedUrl, sign, "RedactedUrl");
            Contains(p.ToString(), "Sign=<redacted>", "ToString (the library's redaction)");
            Contains(p.ToString(), "POST ", "ToString");
            Contains(p.ToString(), "callDailBack", "ToString shows the body");
            NotContains(p.ToString(), Token, "ToString");
            Printed.Add(p);
        }
    }

    private static void TestWrongToken()
    {
        using (var client = new YtxClient(Sid, WrongToken, App, Options()))
        {
            int before = Count();
            var e = Throws<YtxPlatformException>(() => client.CallbackCall(Src, Dst, 100));
            Equal(before + 1, Count(), "sent once");
            Equal(YtxResultCode.Platform, e.Code, "code");
            Equal("-203", e.StatusCode, "statusCode");
            Equal("Sign验证失败", e.StatusMsg, "statusMsg");
            Equal(YtxDelivery.Answered, e.Delivery, "delivery");
            Check(!e.RetrySafe, "not retry-safe");
            NotContains(e.ToString(), WrongToken, "exception ToString");
            NotContains(e.Message, WrongToken, "exception Message");
            NotContains(client.ToString(), WrongToken, "client ToString");
            Contains(e.ToString(), "-203", "ToString shows the statusCode");
            Printed.Add(client);
        }
    }

    private static void TestCallbackOnlyApp()
    {
        using (var client = new YtxClient(Sid, Token, CallbackOnlyApp, Options()))
        {
            Equal("0", client.CallbackCall(Src, Dst, 100).StatusCode, "callback works");
            var e = Throws<YtxPlatformException>(() => client.VoiceCode(Dst, Clid, "1234"));
            Equal("-205", e.StatusCode, "statusCode");
            Equal("应用验证失败", e.StatusMsg, "statusMsg");
            Equal("", e.RequestId, "requestId");
        }
    }

    private static void TestMagicPlatformCodes()
    {
        var cases = new[]
        {
            new[] { "19900001001", "-1", "号码无效" },
            new[] { "19900001100", "-100", "平台内部错误" },
            new[] { "19900001204", "-204", "余额不足" },
            new[] { "19900001999", "-999", "未知错误" },
        };
        using (var client = NewClient())
        {
            foreach (var c in cases)
            {
                int before = Count();
                var e = Throws<YtxPlatformException>(() => client.CallbackCall(Src, c[0], 100));
                Equal(c[1], e.StatusCode, "callback statusCode for " + c[0]);
                Equal(c[2], e.StatusMsg, "callback statusMsg for " + c[0]);
                Equal(YtxDelivery.Answered, e.Delivery, "delivery");
                Contains(e.Message, c[2], "the Chinese statusMsg survives in the message");
                var v = Throws<YtxPlatformException>(() => client.VoiceCode(c[0], Clid, "1234"));
                Equal(c[1], v.StatusCode, "voice statusCode for " + c[0]);
                Equal(c[2], v.StatusMsg, "voice statusMsg for " + c[0]);
                Equal(before + 2, Count(), "each sent once");
            }
        }
    }

    private static void TestNotSent()
    {
        string url = "http://127.0.0.1:" + ClosedPort();
        using (var client = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = url }))
        {
            var e = Throws<YtxTransportException>(() => client.CallbackCall(Src, Dst, 100));
            Equal(typeof(YtxTransportException), e.GetType(), "exact type");
            Equal(YtxResultCode.NotSent, e.Code, "code");
            Equal(YtxDelivery.NotSent, e.Delivery, "delivery");
            Check(e.RetrySafe, "RetrySafe");
            var v = Throws<YtxTransportException>(() => client.VoiceCode(Dst, Clid, "1234"));
            Check(v.RetrySafe, "voice code RetrySafe");
            Printed.Add(e);
        }
    }

    private static void TestClosedProxy()
    {
        var o = Options();
        o.Proxy = "http://127.0.0.1:" + ClosedPort();
        using (var client = new YtxClient(Sid, Token, App, o))
        {
            int before = Count();
            var e = Throws<YtxTransportException>(() => client.CallbackCall(Src, Dst, 100));
            Equal(YtxResultCode.NotSent, e.Code, "code");
            Check(e.RetrySafe, "RetrySafe");
            Equal(before, Count(), "nothing reached the emulator");
        }
    }

    private static void TestDropConnection()
    {
        using (var client = NewClient())
        {
            int before = Count();
            var e = Throws<YtxTransportException>(() => client.CallbackCall(Src, FaultDropConnection, 100));
            Equal(before + 1, Count(), "sent exactly once (no retry)");
            Equal(YtxResultCode.OutcomeUnknown, e.Code, "code");
            Equal(YtxDelivery.Unknown, e.Delivery, "delivery");
            Check(!e.RetrySafe, "not RetrySafe");
            before = Count();
            var v = Throws<YtxTransportException>(() => client.VoiceCode(FaultDropConnection, Clid, "1"));
            Equal(YtxResultCode.OutcomeUnknown, v.Code, "voice code");
            Equal(before + 1, Count(), "voice code sent exactly once");
            Printed.Add(e);
        }
    }

    private static void TestResetMidBody()
    {
        using (var client = NewClient())
        {
            int before = Count();
            var e = Throws<YtxTransportException>(() => client.CallbackCall(Src, FaultResetMidBody, 100));
            Equal(before + 1, Count(), "sent exactly once");
            Equal(YtxResultCode.OutcomeUnknown, e.Code, "code");
            Equal(YtxDelivery.Unknown, e.Delivery, "delivery");
            Check(!e.RetrySafe, "not RetrySafe");
        }
    }

    private static void TestTimeout()
    {
        // Through a closed gate (Gate.cs): the slow answer (5 s) is held too, so
        // the 1 s timeout is the only way the call can end, however loaded the
        // machine.
        using (var gate = new Gate())
        using (var client = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = gate.BaseUrl, Timeout = TimeSpan.FromSeconds(1) }))
        {
            int before = Count();
            var sw = Stopwatch.StartNew();
            var e = Throws<YtxTimeoutException>(() => client.CallbackCall(Src, FaultSlowAnswer, 100));
            sw.Stop();
            // The client may give up before the emulator has read the request
            // (it logs it when it reads it): wait for it, then count exactly.
            WaitFor(() => Count() > before, AsyncDeadline, "the request to reach the emulator");
            Equal(before + 1, Count(), "sent exactly once");
            // A lower bound only: a timer that fires early. (The upper one
            // catches a hang, far beyond any load.)
            Check(sw.Elapsed >= TimeSpan.FromSeconds(0.9), "waited the 1 s timeout, took " + sw.Elapsed);
            Check(sw.Elapsed < TimeSpan.FromSeconds(60), "no hang, took " + sw.Elapsed);
            Equal(YtxResultCode.Timeout, e.Code, "code");
            Equal(YtxDelivery.Unknown, e.Delivery, "delivery");
            Check(!e.RetrySafe, "not RetrySafe");
            Check(e is YtxTransportException, "a YtxTransportException");
            Printed.Add(e);
        }
    }

    private static void TestHttpStatus()
    {
        using (var client = NewClient())
        {
            foreach (var c in new[] { Tuple.Create(FaultHttp500, 500), Tuple.Create(FaultHttp502, 502) })
            {
                int before = Count();
                var e = Throws<YtxProtocolException>(() => client.CallbackCall(Src, c.Item1, 100));
                Equal(before + 1, Count(), "sent exactly once: " + c.Item1);
                Equal(YtxResultCode.HttpStatus, e.Code, "code");
                Equal(c.Item2, e.HttpStatus, "HttpStatus");
                Equal(YtxDelivery.Unknown, e.Delivery, "delivery");
                Check(!e.RetrySafe, "not RetrySafe");
                Contains(e.ToString(), "HttpStatus=" + c.Item2, "ToString");
                Printed.Add(e);
            }
        }
    }

    private static void TestProtocolFaults()
    {
        using (var client = NewClient())
        {
            foreach (string dst in new[]
            {
                FaultNotJson, FaultTruncatedJson, FaultNoStatusCode, FaultNumericStatusCode, FaultHugeBody, FaultNotUtf8,
            })
            {
                int before = Count();
                var e = Throws<YtxProtocolException>(() => client.CallbackCall(Src, dst, 100));
                Equal(before + 1, Count(), "sent exactly once: " + dst);
                Equal(YtxResultCode.Protocol, e.Code, "code for " + dst);
                Equal(YtxDelivery.Unknown, e.Delivery, "delivery for " + dst);
                Check(e.HttpStatus == 0 || e.HttpStatus == 200, "HttpStatus for " + dst + ": " + e.HttpStatus);
                Check(!e.RetrySafe, "not RetrySafe");
            }
            var v = Throws<YtxProtocolException>(() => client.VoiceCode(FaultNotJson, Clid, "1"));
            Equal(YtxResultCode.Protocol, v.Code, "voice code");
        }
    }

    private static void TestClientArguments()
    {
        int before = Count();
        long live = YtxLibrary.LiveClients;
        ArgError(() => new YtxClient(null, Token, App), YtxResultCode.NullArgument, "account_sid");
        ArgError(() => new YtxClient(Sid, null, App), YtxResultCode.NullArgument, "auth_token");
        ArgError(() => new YtxClient(Sid, Token, null), YtxResultCode.NullArgument, "app_id");
        ArgError(() => new YtxClient("", Token, App), YtxResultCode.InvalidArgument, "account_sid");
        ArgError(() => new YtxClient(Sid, "", App), YtxResultCode.InvalidArgument, "auth_token");
        ArgError(() => new YtxClient(Sid, Token, ""), YtxResultCode.InvalidArgument, "app_id");
        ArgError(() => new YtxClient(Sid + " ", Token, App), YtxResultCode.InvalidArgument, "account_sid");
        var e = ArgError(() => new YtxClient(Sid, Token + "\n", App), YtxResultCode.InvalidArgument, "auth_token");
        NotContains(e.ToString(), Token, "ToString of a bad-token error");
        e = ArgError(() => new YtxClient(Sid, Token + "\0x", App), YtxResultCode.InvalidArgument, "auth_token");
        NotContains(e.ToString(), Token, "ToString of a NUL-token error");
        e = ArgError(() => new YtxClient(Sid, "\ud800" + Token, App), YtxResultCode.InvalidUtf8, "auth_token");
        NotContains(e.ToString(), Token, "ToString of a bad-UTF-16 token error");
        Equal(YtxDelivery.NotSent, e.Delivery, "delivery");
        Check(!e.RetrySafe, "argument errors sent nothing, but fail the same way again: not RetrySafe");
        Equal(live, YtxLibrary.LiveClients, "no client made");
        Equal(before, Count(), "nothing sent");
    }

    private static void TestClientOptionErrors()
    {
        long live = YtxLibrary.LiveClients;
        Action<YtxClientOptions, string> bad = (o, field) =>
            ArgError(() => new YtxClient(Sid, Token, App, o), YtxResultCode.InvalidArgument, field);
        bad(new YtxClientOptions { BaseUrl = "ftp://example.com" }, "base_url");
        bad(new YtxClientOptions { BaseUrl = "" }, "base_url");
        bad(new YtxClientOptions { Timeout = TimeSpan.Zero }, "timeout_ms");
        bad(new YtxClientOptions { Timeout = TimeSpan.FromSeconds(-1) }, "timeout_ms");
        bad(new YtxClientOptions { ConnectTimeout = TimeSpan.Zero }, "connect_timeout_ms");
        bad(new YtxClientOptions { Timeout = TimeSpan.FromSeconds(2), ConnectTimeout = TimeSpan.FromSeconds(3) }, "connect_timeout_ms");
        bad(new YtxClientOptions { ConnectTimeout = TimeSpan.FromSeconds(40) }, "connect_timeout_ms");
        bad(new YtxClientOptions { CallbackFuncUrl = "a/b" }, "callback_func_url");
        bad(new YtxClientOptions { VoiceCodeAction = "" }, "voice_code_action");
        bad(new YtxClientOptions { Environment = (YtxEnvironment)7 }, "environment");
        bad(new YtxClientOptions { Proxy = "not a url" }, "proxy");
        bad(new YtxClientOptions { BaseUrl = "http://x\0y" }, "base_url");
        Equal(live, YtxLibrary.LiveClients, "no client made");
    }

    private static void TestCallbackArguments()
    {
        using (var client = NewClient())
        {
            int before = Count();
            Func<string, string, long, CallbackOptions, Action> call = (s, d, c, o) => () => client.CallbackCall(s, d, c, o);
            Func<string, string, long, CallbackOptions, Action> prep = (s, d, c, o) => () => client.PrepareCallbackCall(s, d, c, o);
            foreach (var f in new[] { call, prep })
            {
                ArgError(f(null, Dst, 100, null), YtxResultCode.NullArgument, "src");
                ArgError(f(Src, null, 100, null), YtxResultCode.NullArgument, "dst");
                ArgError(f("", Dst, 100, null), YtxResultCode.InvalidArgument, "src");
                ArgError(f(Src, "", 100, null), YtxResultCode.InvalidArgument, "dst");
                ArgError(f("1380013800a", Dst, 100, null), YtxResultCode.InvalidArgument, "src");
                ArgError(f(Src, "138\u00000", 100, null), YtxResultCode.InvalidArgument, "dst");
                ArgError(f(Src, Dst, 60, null), YtxResultCode.InvalidArgument, "credit");
                ArgError(f(Src, Dst, -1, null), YtxResultCode.InvalidArgument, "credit");
                ArgError(f(Src, Dst, long.MaxValue, null), YtxResultCode.InvalidArgument, "credit");
                ArgError(f(Src, Dst, 100, new CallbackOptions { CustomParm = "a\ud800" }), YtxResultCode.InvalidUtf8, "customParm");
                ArgError(f(Src, Dst, 100, new CallbackOptions { CustomParm = "a\0b" }), YtxResultCode.InvalidArgument, "customParm");
                ArgError(f(Src, Dst, 100, new CallbackOptions { SrcClid = "12ab" }), YtxResultCode.InvalidArgument, "srcclid");
                ArgError(f(Src, Dst, 100, new CallbackOptions { DstClid = "" }), YtxResultCode.InvalidArgument, "dstclid");
                ArgError(f(Src, Dst, 100, new CallbackOptions { RingbackType = (RingbackType)9 }), YtxResultCode.InvalidArgument, "ringbacktype");
                ArgError(f(Src, Dst, 100, new CallbackOptions { SrcTimeout = -5 }), YtxResultCode.InvalidArgument, "srctimeout");
            }
            Equal(before, Count(), "nothing sent");
        }
    }

    private static void TestVoiceArguments()
    {
        using (var client = NewClient())
        {
            int before = Count();
            Func<string, string, string, int?, Action> call = (d, c, code, t) => () => client.VoiceCode(d, c, code, t);
            Func<string, string, string, int?, Action> prep = (d, c, code, t) => () => client.PrepareVoiceCode(d, c, code, t);
            foreach (var f in new[] { call, prep })
            {
                ArgError(f(null, Clid, "1234", null), YtxResultCode.NullArgument, "dst");
                ArgError(f(Dst, Clid, null, null), YtxResultCode.NullArgument, "code");
                ArgError(f("", Clid, "1234", null), YtxResultCode.InvalidArgument, "dst");
                ArgError(f(Dst, " ", "1234", null), YtxResultCode.InvalidArgument, "dstclid");
                ArgError(f(Dst, "0216123456x", "1234", null), YtxResultCode.InvalidArgument, "dstclid");
                ArgError(f(Dst, "0216\u00001234", "1234", null), YtxResultCode.InvalidArgument, "dstclid");
                ArgError(f(Dst, Clid, "", null), YtxResultCode.InvalidArgument, "code");
                ArgError(f(Dst, Clid, "12-34", null), YtxResultCode.InvalidArgument, "code");
                ArgError(f(Dst, Clid, "12345678901234567890", null), YtxResultCode.InvalidArgument, "code");
                ArgError(f(Dst, Clid, "验证码", null), YtxResultCode.InvalidArgument, "code");
                ArgError(f(Dst, Clid, "1234", 0), YtxResultCode.InvalidArgument, "time");
                ArgError(f(Dst, Clid, "1234", 4), YtxResultCode.InvalidArgument, "time");
                ArgError(f(Dst, Clid, "1234", -1), YtxResultCode.InvalidArgument, "time");
            }
            Equal(before, Count(), "nothing sent");
        }
    }

    private static void TestThreads()
    {
        const int threads = 8;
        const int calls = 50;
        Reset();
        var results = new List<KeyValuePair<string, string>>[threads];
        var errors = new List<Exception>();
        using (var client = NewClient())
        {
            var workers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                int id = t;
                results[id] = new List<KeyValuePair<string, string>>();
                workers[t] = new Thread(() =>
                {
                    try
                    {
                        for (int i = 0; i < calls; i++)
                        {
                            string parm = "线程" + id + "-" + i;
                            YtxAccepted r = (i % 5 == 4)
                                ? client.VoiceCode(Dst, Clid, "T" + id + "C" + i)
                                : client.CallbackCall(Src, Dst, 100 + i, new CallbackOptions { CustomParm = parm });
                            results[id].Add(new KeyValuePair<string, string>(
                                r.RequestId, (i % 5 == 4) ? "code:T" + id + "C" + i : parm));
                        }
                    }
                    catch (Exception e)
                    {
                        lock (errors)
                        {
                            errors.Add(e);
                        }
                    }
                });
                workers[t].Start();
            }
            foreach (var w in workers)
            {
                w.Join();
            }
        }
        if (errors.Count > 0)
        {
            throw new Exception(errors.Count + " calls failed; first: " + errors[0]);
        }
        var byId = new Dictionary<string, Dictionary<string, object>>();
        foreach (object o in Requests())
        {
            var entry = (Dictionary<string, object>)o;
            var id = entry["request_id"] as string;
            Check(id != null, "every request succeeded");
            byId.Add(id, Json.ParseObject((string)entry["body"]));
        }
        Equal(threads * calls, byId.Count, "distinct requestIds received");
        foreach (var list in results)
        {
            Equal(calls, list.Count, "calls per thread");
            foreach (var kv in list)
            {
                Check(byId.ContainsKey(kv.Key), "requestId " + kv.Key + " was received");
                var body = byId[kv.Key];
                string got = body.ContainsKey("code") ? "code:" + body["code"] : (string)body["customParm"];
                Equal(kv.Value, got, "the answer matches its own request");
            }
        }
    }

    private static void TestDispose()
    {
        long live = YtxLibrary.LiveClients;
        var client = NewClient();
        Equal(live + 1, YtxLibrary.LiveClients, "live after create");
        Check(!client.IsDisposed, "not disposed");
        client.Dispose();
        Equal(live, YtxLibrary.LiveClients, "live after Dispose");
        client.Dispose();
        ((IDisposable)client).Dispose();
        Equal(live, YtxLibrary.LiveClients, "live after Dispose x3");
        Check(client.IsDisposed, "IsDisposed");
        Contains(client.ToString(), "disposed", "ToString");
        Throws<ObjectDisposedException>(() => client.CallbackCall(Src, Dst, 100));
        Throws<ObjectDisposedException>(() => client.PrepareCallbackCall(Src, Dst, 100));
        Throws<ObjectDisposedException>(() => client.VoiceCode(Dst, Clid, "1"));
        Throws<ObjectDisposedException>(() => client.PrepareVoiceCode(Dst, Clid, "1"));
        Throws<ObjectDisposedException>(() => client.CallbackCall(null, null, 0));
    }

    private static void TestDisposeInFlight()
    {
        long live = YtxLibrary.LiveClients;
        // Through a closed gate (Gate.cs), with a long timeout: the call stays
        // in flight until the test opens the gate, however loaded the machine.
        var gate = new Gate();
        var client = new YtxClient(Sid, Token, App, GatedOptions(gate));
        Exception inFlight = null;
        YtxAccepted answer = null;
        var started = new ManualResetEvent(false);
        int before = Count();
        var t = new Thread(() =>
        {
            try
            {
                started.Set();
                answer = client.CallbackCall(Src, Dst, 100);
            }
            catch (Exception e)
            {
                inFlight = e;
            }
        });
        t.Start();
        try
        {
            started.WaitOne();
            // In flight: the emulator has the request, the gate holds its answer.
            WaitFor(() => Count() > before || !t.IsAlive, AsyncDeadline, "the request to reach the emulator");
            Check(t.IsAlive, "the call is still in flight: " + inFlight);
            client.Dispose();
            Check(client.IsDisposed, "disposed");
            Throws<ObjectDisposedException>(() => client.CallbackCall(Src, Dst, 100));
            Throws<ObjectDisposedException>(() => client.PrepareVoiceCode(Dst, Clid, "1"));
            Equal(live + 1, YtxLibrary.LiveClients, "still alive while the call is in flight");
            Check(t.IsAlive, "the call is still in flight after Dispose: " + inFlight);
        }
        finally
        {
            gate.Open();
            t.Join();
            gate.Dispose();
        }
        Check(inFlight == null, "the call in flight ended normally, got " + inFlight);
        Check(answer != null && answer.StatusCode == "0", "with its answer, accepted");
        Equal(live, YtxLibrary.LiveClients, "released once the call returned");
    }

    private static void TestFinalizer()
    {
        long live = YtxLibrary.LiveClients;
        var t = new Thread(() =>
        {
            var c = NewClient();
            c.PrepareVoiceCode(Dst, Clid, "1");
        });
        t.Start();
        t.Join();
        Equal(live + 1, YtxLibrary.LiveClients, "live before collection");
        var sw = Stopwatch.StartNew();
        while (YtxLibrary.LiveClients != live && sw.Elapsed < TimeSpan.FromSeconds(20))
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(20);
        }
        Equal(live, YtxLibrary.LiveClients, "released by the finalizer");
    }

    private static void TestManyClients()
    {
        long live = YtxLibrary.LiveClients;
        for (int i = 0; i < 200; i++)
        {
            using (var c = NewClient())
            {
                if (i % 50 == 0)
                {
                    c.PrepareCallbackCall(Src, Dst, 100);
                }
            }
        }
        Equal(live, YtxLibrary.LiveClients, "live clients");
    }

    private static void TestNoTokenInToString()
    {
        using (var client = NewClient())
        {
            NotContains(client.ToString(), Token, "client ToString");
            Contains(client.ToString(), Sid, "client ToString shows the account");
        }
        Check(Thrown.Count > 50, "exceptions collected: " + Thrown.Count);
        foreach (var e in Thrown)
        {
            NotContains(e.ToString(), Token, e.GetType().Name + ".ToString");
            NotContains(e.Message, Token, e.GetType().Name + ".Message");
            NotContains(e.ToString(), WrongToken, e.GetType().Name + ".ToString");
        }
        Check(Printed.Count > 0, "objects printed: " + Printed.Count);
        foreach (var o in Printed)
        {
            NotContains(o.ToString(), Token, o.GetType().Name + ".ToString");
            NotContains(o.ToString(), WrongToken, o.GetType().Name + ".ToString");
        }
        var kinds = new HashSet<Type>(Thrown.Select(e => e.GetType()));
        foreach (var k in new[]
        {
            typeof(YtxArgumentException), typeof(YtxTransportException), typeof(YtxTimeoutException),
            typeof(YtxProtocolException), typeof(YtxPlatformException), typeof(ObjectDisposedException),
        })
        {
            Check(kinds.Contains(k), "an exception of type " + k.Name + " was checked");
        }
    }

    // ---------------------------------------------------------------- helpers

    private static YtxClientOptions Options()
    {
        return new YtxClientOptions { BaseUrl = _baseUrl };
    }

    private static YtxClient NewClient()
    {
        return new YtxClient(Sid, Token, App, Options());
    }

    private static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static void Run(string name, Action body)
    {
        // YTX_TEST_FILTER=text runs only the tests whose name contains it.
        string filter = Environment.GetEnvironmentVariable("YTX_TEST_FILTER");
        if (!string.IsNullOrEmpty(filter) && name.IndexOf(filter, StringComparison.Ordinal) < 0)
        {
            return;
        }
        var sw = Stopwatch.StartNew();
        try
        {
            body();
            _passed++;
            Console.WriteLine("ok   " + name + " (" + sw.ElapsedMilliseconds + " ms)");
        }
        catch (Exception e)
        {
            _failed++;
            Console.WriteLine("FAIL " + name + " (" + sw.ElapsedMilliseconds + " ms)");
            Console.WriteLine("     " + e.ToString().Replace("\n", "\n     "));
        }
    }

    private sealed class AssertionException : Exception
    {
        public AssertionException(string message)
            : base(message)
        {
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new AssertionException(what);
        }
    }

    private static void Equal<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
        {
            throw new AssertionException(what + ": expected <" + expected + ">, got <" + actual + ">");
        }
    }

    private static void Equal(string expected, object actual, string what)
    {
        Equal<object>(expected, actual, what);
    }

    private static void Contains(string haystack, string needle, string what)
    {
        Check(haystack.Contains(needle), what + ": <" + needle + "> not in <" + haystack + ">");
    }

    private static void NotContains(string haystack, string needle, string what)
    {
        Check(!haystack.Contains(needle), what + ": must not contain <" + needle + ">");
    }

    private static void StartsWith(string s, string prefix, string what)
    {
        Check(s.StartsWith(prefix, StringComparison.Ordinal), what + ": <" + s + "> does not start with <" + prefix + ">");
    }

    private static void EndsWith(string s, string suffix, string what)
    {
        Check(s.EndsWith(suffix, StringComparison.Ordinal), what + ": <" + s + "> does not end with <" + suffix + ">");
    }

    private static TEx Throws<TEx>(Action action) where TEx : Exception
    {
        try
        {
            action();
        }
        catch (TEx e)
        {
            lock (Thrown)
            {
                Thrown.Add(e);
            }
            return e;
        }
        catch (Exception e)
        {
            throw new AssertionException("expected " + typeof(TEx).Name + ", got " + e);
        }
        throw new AssertionException("expected " + typeof(TEx).Name + ", nothing was thrown");
    }

    private static YtxArgumentException ArgError(Action action, YtxResultCode code, string field)
    {
        var e = Throws<YtxArgumentException>(action);
        Equal(field, e.Field, "field of <" + e.Message + ">");
        Equal(code, e.Code, "code of <" + e.Message + ">");
        Equal(YtxDelivery.NotSent, e.Delivery, "delivery of an argument error");
        Check(e.Message.Length > 0, "message");
        return e;
    }

    // --------------------------------------------------------------- emulator

    private static void StartEmulator()
    {
        string path = System.Environment.GetEnvironmentVariable("YTX_EMULATOR");
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            throw new Exception("set YTX_EMULATOR to the ytx-emulator binary (got '" + path + "')");
        }
        var psi = new ProcessStartInfo(path, "--listen 127.0.0.1:0 --exit-on-stdin-eof --slow-secs 5")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        _emulator = Process.Start(psi);
        _emulator.ErrorDataReceived += (s, e) => { };
        _emulator.BeginErrorReadLine();
        string line = null;
        var reader = new Thread(() => { line = _emulator.StandardOutput.ReadLine(); });
        reader.IsBackground = true;
        reader.Start();
        if (!reader.Join(TimeSpan.FromSeconds(15)) || line == null)
        {
            StopEmulator();
            throw new Exception("the emulator did not print its address");
        }
        const string prefix = "ytx-emulator listening on ";
        if (!line.StartsWith(prefix, StringComparison.Ordinal))
        {
            StopEmulator();
            throw new Exception("unexpected first line from the emulator: " + line);
        }
        _baseUrl = line.Substring(prefix.Length).Trim();
        var drain = new Thread(() =>
        {
            try
            {
                _emulator.StandardOutput.ReadToEnd();
            }
            catch (Exception)
            {
            }
        });
        drain.IsBackground = true;
        drain.Start();
        Console.WriteLine("emulator at " + _baseUrl);
    }

    private static void StopEmulator()
    {
        if (_emulator == null)
        {
            return;
        }
        try
        {
            _emulator.StandardInput.Close(); // --exit-on-stdin-eof
            if (!_emulator.WaitForExit(5000))
            {
                _emulator.Kill();
                _emulator.WaitForExit(5000);
            }
        }
        catch (Exception e)
        {
            Console.WriteLine("warning: stopping the emulator: " + e.Message);
            try
            {
                _emulator.Kill();
            }
            catch (Exception)
            {
            }
        }
        _emulator = null;
    }

    private static string Http(string method, string path)
    {
        return HttpAt(_baseUrl, method, path);
    }

    private static string HttpAt(string baseUrl, string method, string path)
    {
        var req = (HttpWebRequest)WebRequest.Create(baseUrl + path);
        req.Method = method;
        req.Proxy = null;
        req.Timeout = 10000;
        if (method == "POST")
        {
            req.ContentLength = 0;
        }
        using (var resp = (HttpWebResponse)req.GetResponse())
        using (var reader = new StreamReader(resp.GetResponseStream(), Encoding.UTF8))
        {
            return reader.ReadToEnd();
        }
    }

    private static int Count()
    {
        var o = Json.ParseObject(Http("GET", "/_emulator/count"));
        return Convert.ToInt32(o["count"], CultureInfo.InvariantCulture);
    }

    private static void Reset()
    {
        Http("POST", "/_emulator/reset");
    }

    private static List<object> Requests()
    {
        return (List<object>)Json.Parse(Http("GET", "/_emulator/requests"));
    }

    private static Dictionary<string, object> LastRequest()
    {
        var all = Requests();
        Check(all.Count > 0, "the emulator received a request");
        return (Dictionary<string, object>)all[all.Count - 1];
    }
}

/// <summary>A minimal JSON reader for the emulator's answers (objects, arrays, strings, numbers, literals).</summary>
internal sealed class Json
{
    private readonly string _s;
    private int _i;

    private Json(string s)
    {
        _s = s;
    }

    public static object Parse(string s)
    {
        var j = new Json(s);
        object v = j.Value();
        j.Ws();
        if (j._i != s.Length)
        {
            throw new FormatException("trailing text in JSON at " + j._i);
        }
        return v;
    }

    public static Dictionary<string, object> ParseObject(string s)
    {
        return (Dictionary<string, object>)Parse(s);
    }

    private void Ws()
    {
        while (_i < _s.Length && char.IsWhiteSpace(_s[_i]))
        {
            _i++;
        }
    }

    private void Expect(char c)
    {
        Ws();
        if (_i >= _s.Length || _s[_i] != c)
        {
            throw new FormatException("expected '" + c + "' at " + _i);
        }
        _i++;
    }

    private object Value()
    {
        Ws();
        if (_i >= _s.Length)
        {
            throw new FormatException("unexpected end of JSON");
        }
        char c = _s[_i];
        if (c == '{')
        {
            var o = new Dictionary<string, object>();
            _i++;
            Ws();
            if (_s[_i] == '}')
            {
                _i++;
                return o;
            }
            while (true)
            {
                Ws();
                string k = String();
                Expect(':');
                o[k] = Value();
                Ws();
                if (_s[_i] == ',')
                {
                    _i++;
                    continue;
                }
                Expect('}');
                return o;
            }
        }
        if (c == '[')
        {
            var a = new List<object>();
            _i++;
            Ws();
            if (_s[_i] == ']')
            {
                _i++;
                return a;
            }
            while (true)
            {
                a.Add(Value());
                Ws();
                if (_s[_i] == ',')
                {
                    _i++;
                    continue;
                }
                Expect(']');
                return a;
            }
        }
        if (c == '"')
        {
            return String();
        }
        foreach (var lit in new[] { "true", "false", "null" })
        {
            if (string.CompareOrdinal(_s, _i, lit, 0, lit.Length) == 0)
            {
                _i += lit.Length;
                return lit == "null" ? null : (object)(lit == "true");
            }
        }
        int start = _i;
        while (_i < _s.Length && "+-0123456789.eE".IndexOf(_s[_i]) >= 0)
        {
            _i++;
        }
        if (start == _i)
        {
            throw new FormatException("unexpected '" + c + "' at " + _i);
        }
        return decimal.Parse(_s.Substring(start, _i - start), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private string String()
    {
        Expect('"');
        var sb = new StringBuilder();
        while (true)
        {
            char c = _s[_i++];
            if (c == '"')
            {
                return sb.ToString();
            }
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            char e = _s[_i++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'u':
                    sb.Append((char)int.Parse(_s.Substring(_i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    _i += 4;
                    break;
                default: sb.Append(e); break;
            }
        }
    }
}
