// Issue 12, the C# part: what happens after a call is accepted. Push parsing
// (PROTOCOL.md's exact samples, leniency, unknown states and fields, garbage),
// the record and balance queries against the emulator, the push receiver
// example, and the whole life of a call: the emulator pushes to a local
// HttpListener, FindCall finds the call by its customParm.
//
// Waits are for events (a push arriving, a line printed), with generous
// deadlines that only bound a hang; nothing asserts how fast anything is.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Ytx;

internal static partial class YtxTests
{
    // PROTOCOL.md, "After a call is accepted", byte for byte.
    private const string StateSample =
        "{\"requestid\":\"20200437755840048670965760400\",\"dsc\":\"18610559223\",\n" +
        " \"state\":\"answer\",\"stateDesc\":\"...\",\"timestamp\":\"2020-04-28 14:51:37\"}";

    private const string RecordSample =
        "{\"requestid\":\"20200437755811196850667520400\",\"appid\":\"ff1f324a0604417c9c7f5f1186225fda\",\n" +
        " \"fid\":4,\"caller\":\"18610559223\",\"called\":\"01053189990\",\n" +
        " \"callerstime\":\"2020-04-28 14:51:37\",\"calleretime\":\"2020-04-28 14:51:47\",\n" +
        " \"calledstime\":\"2020-04-28 14:51:43\",\"calledetime\":\"2020-04-28 14:51:47\",\n" +
        " \"tapesurl\":\"http://101.200.159.167:16214/.../20200428145126_xxx.mp3\",\n" +
        " \"duration\":10,\"oriamount\":0.31,\"customParm\":\"order-id-123456\",\"stateDesc\":\"应答|正常\"}";

    private static readonly TimeSpan China = TimeSpan.FromHours(8);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60); // only bounds a hang

    private static void RunPushTests()
    {
        Run("push: PROTOCOL.md's state push sample parses to its values", TestStateSample);
        Run("push: PROTOCOL.md's call record sample parses to its values (0.31 = 31 fen, duration 10)", TestRecordSample);
        Run("push: a one-leg record (tel, stime, etime, NoTapes)", TestOneLegRecord);
        Run("push: lenient: numbers as strings, missing and empty fields, other time formats", TestLenient);
        Run("push: an unknown state and unknown fields survive", TestUnknownSurvives);
        Run("push: garbage is a YtxProtocolException with the library's reason", TestGarbage);
        Run("push: Parse(Stream) reads at most 4 MiB + 1 and parses the same", TestParseStream);
        Run("push: 8 threads parse at once", TestParseThreads);
        Run("push: a time DateTimeOffset cannot hold keeps its text, the value is null", TestUnrepresentableTime);
        Run("push: a lone surrogate or NUL in a field not read never rejects the push", TestOdditiesKept);
        Run("push: Parse(body, target) routes by ?Call / ?CallState, by shape without", TestRouted);
        Run("push: 4 MiB hostile shapes parse or are refused (no hang)", TestHostileShapes);
        Run("YtxCallState and YTX_CALL_STATE_*/YTX_PUSH_* of ytx.h agree", TestHeaderConstants);
        Run("every DllImport of the binding resolves in the loaded library", TestEntryPoints);
        Run("CallRecord: the record of an accepted call, sent as getCdrByResId limit 0", TestCallRecord);
        Run("CallRecord: no record is null; fid reaches the wire", TestCallRecordNone);
        Run("CallRecordsAfter: paging in order; limit and ids validated, nothing sent", TestCallRecordsAfter);
        Run("FindCall: finds by customParm; never placed is null", TestFindCall);
        Run("Balance: exact, goes down by the call's charge, sent on 201612/getBlance.wx", TestBalance);
        Run("Balance and records on a broke account: -204, and the balance left", TestBroke);
        Run("queries: -203, NotSent, ObjectDisposedException like the calls", TestQueryErrors);
        Run("-104 (request rate too high) explained by the library", Test104);
        Run("README's status-code table equals the library's explanations", TestStatusTable);
        Run("life of a call: emulator pushes to a local HttpListener, then FindCall", TestLifeOfACall);
        Run("life of a call: busy, no answer, duplicate and out-of-order pushes", TestScenarios);
        Run("examples/PushReceiver.cs: feeds a tracker: one line per fact, repeats not reported, 400 for not JSON", TestReceiverExample);
        Run("examples/PushReceiver.cs receives a call's pushes from the emulator", TestReceiverWithEmulator);
        Run("examples/PushReceiver.cs: a slow client does not stop the others; bad Content-Length refused at once", TestReceiverProtections);
        Run("examples/PushReceiver.cs: secret path, routing by ?Call / ?CallState, read deadline", TestReceiverPathRoutingDeadline);
    }

    // ---------------------------------------------------------------- parsing

    private static YtxPush ParseText(string json)
    {
        return YtxPush.Parse(Encoding.UTF8.GetBytes(json));
    }

    private static YtxCallRecord OneRecord(string recordJson)
    {
        var push = ParseText("{\"cdr\":[" + recordJson + "]}");
        Check(push is YtxRecordPush, "a record push, got " + push.GetType().Name);
        var records = ((YtxRecordPush)push).Records;
        Equal(1, records.Count, "records");
        return records[0];
    }

    private static DateTimeOffset Cst(int y, int mo, int d, int h, int mi, int s)
    {
        return new DateTimeOffset(y, mo, d, h, mi, s, China);
    }

    private static void SameInstantAndOffset(DateTimeOffset expected, DateTimeOffset? actual, string what)
    {
        Check(actual.HasValue, what + ": parsed");
        Equal(expected, actual.Value, what);
        Equal(China, actual.Value.Offset, what + ": offset +08:00");
    }

    private static void TestStateSample()
    {
        var push = ParseText(StateSample);
        var s = push as YtxStatePush;
        Check(s != null, "a state push, got " + push.GetType().Name);
        Equal("20200437755840048670965760400", s.RequestId, "the 29-digit requestId, intact");
        Equal("18610559223", s.Number, "number (dsc)");
        Equal(YtxCallState.Answer, s.State, "state");
        Equal("answer", s.StateText, "state text");
        Equal("...", s.StateDesc, "stateDesc");
        Equal("2020-04-28 14:51:37", s.TimestampText, "timestamp as sent");
        SameInstantAndOffset(Cst(2020, 4, 28, 14, 51, 37), s.Timestamp, "timestamp");
        Equal(new DateTime(2020, 4, 28, 6, 51, 37, DateTimeKind.Utc), s.Timestamp.Value.UtcDateTime, "timestamp in UTC");
        Equal(1588056697L, s.Timestamp.Value.ToUnixTimeSeconds(), "Unix seconds (PROTOCOL.md's 14:51:37 UTC+8)");
        Equal("requestid,dsc,state,stateDesc,timestamp", string.Join(",", s.Fields.Keys), "fields in the order sent");
        Equal("18610559223", s["dsc"], "indexer by wire name");
        Equal(null, s["nope"], "absent field");
        Equal(null, s[null], "null name");
        Contains(s.ToString(), "20200437755840048670965760400", "ToString");
    }

    private static void TestRecordSample()
    {
        var push = ParseText("{\"cdr\":[" + RecordSample + "]}");
        var rp = push as YtxRecordPush;
        Check(rp != null, "a record push");
        Equal(1, rp.Records.Count, "one record");
        var r = rp.Records[0];
        Equal("20200437755811196850667520400", r.RequestId, "the 29-digit requestId, intact");
        Equal("ff1f324a0604417c9c7f5f1186225fda", r.AppId, "appid");
        Equal("4", r.Fid, "fid (a JSON number)");
        Equal("18610559223", r.Caller, "caller");
        Equal("01053189990", r.Called, "called (leading zero kept)");
        Equal(null, r.Tel, "tel (two-leg record)");
        SameInstantAndOffset(Cst(2020, 4, 28, 14, 51, 37), r.CallerAnswered, "callerstime");
        SameInstantAndOffset(Cst(2020, 4, 28, 14, 51, 47), r.CallerEnded, "calleretime");
        SameInstantAndOffset(Cst(2020, 4, 28, 14, 51, 43), r.CalledAnswered, "calledstime");
        SameInstantAndOffset(Cst(2020, 4, 28, 14, 51, 47), r.CalledEnded, "calledetime");
        Equal(new DateTime(2020, 4, 28, 6, 51, 43, DateTimeKind.Utc), r.CalledAnswered.Value.UtcDateTime, "calledstime in UTC");
        Equal(null, r.Start, "stime (one-leg only)");
        Equal(null, r.End, "etime (one-leg only)");
        Equal("http://101.200.159.167:16214/.../20200428145126_xxx.mp3", r.RecordingUrl, "recording URL");
        Equal(10L, r.Duration, "duration 10");
        Equal(31L, r.AmountFen, "0.31 yuan is 31 fen");
        Equal(0.31m, r.Amount, "amount exact");
        Equal("0.31", r.Amount.Value.ToString(CultureInfo.InvariantCulture), "amount's decimal text");
        Equal("0.31", r.AmountText, "amount as sent");
        Equal("order-id-123456", r.CustomParm, "customParm");
        Equal("应答|正常", r.StateDesc, "stateDesc (UTF-8)");
        Equal(14, r.Fields.Count, "every field");
        Equal("requestid,appid,fid,caller,called,callerstime,calleretime,calledstime,calledetime,tapesurl,duration,oriamount,customParm,stateDesc",
              string.Join(",", r.Fields.Keys), "fields in the order sent");
        Equal("10", r["duration"], "a JSON number's exact digits");
        Equal("0.31", r["oriamount"], "0.31 kept as text, never a float");
        Contains(r.ToString(), "order-id-123456", "ToString");
    }

    private static void TestOneLegRecord()
    {
        var r = OneRecord("{\"requestid\":\"20200437755811196850667520401\",\"appid\":\"a\",\"fid\":\"7\",\"tel\":\"13800138000\"," +
                          "\"stime\":\"2020-04-28 14:51:37\",\"etime\":\"20200428145142\",\"tapesurl\":\"NoTapes\"," +
                          "\"duration\":\"5\",\"oriamount\":\"0.06\",\"stateDesc\":\"关机\"}");
        Equal("13800138000", r.Tel, "tel");
        Equal(null, r.Caller, "caller");
        Equal(null, r.Called, "called");
        SameInstantAndOffset(Cst(2020, 4, 28, 14, 51, 37), r.Start, "stime");
        SameInstantAndOffset(Cst(2020, 4, 28, 14, 51, 42), r.End, "etime in yyyyMMddHHmmss");
        Equal(null, r.CallerAnswered, "no callerstime");
        Equal(null, r.RecordingUrl, "NoTapes is no recording");
        Equal("NoTapes", r["tapesurl"], "the wire text stays reachable");
        Equal(5L, r.Duration, "duration as a string");
        Equal(6L, r.AmountFen, "amount as a string");
        Equal(0.06m, r.Amount, "amount");
        Equal("7", r.Fid, "fid");
        Equal("关机", r.StateDesc, "stateDesc");
    }

    private static void TestLenient()
    {
        // Numbers as strings and as numbers; a 29-digit requestId as a JSON number.
        var r = OneRecord("{\"requestid\":20200437755811196850667520400,\"duration\":\"10\",\"oriamount\":\"0.31\"}");
        Equal("20200437755811196850667520400", r.RequestId, "a requestId sent as a JSON number keeps its 29 digits");
        Equal(10L, r.Duration, "duration as a string");
        Equal(31L, r.AmountFen, "amount as a string");
        Equal(null, r.CustomParm, "missing customParm");
        Equal(null, r.StateDesc, "missing stateDesc");
        Equal(null, r.RecordingUrl, "missing tapesurl");
        Equal(null, r.AppId, "missing appid");
        Equal(null, r.Fid, "missing fid");
        Equal(null, r.CallerAnswered, "missing callerstime");
        Equal(3, r.Fields.Count, "only the fields sent");

        // Empty times: the leg never answered. null values are "".
        r = OneRecord("{\"requestid\":\"1\",\"calledstime\":\"\",\"calledetime\":null,\"duration\":0,\"oriamount\":0}");
        Equal(null, r.CalledAnswered, "empty calledstime: the second leg never answered");
        Equal(null, r.CalledEnded, "null calledetime");
        Equal("", r["calledetime"], "null is \"\"");
        Equal(0L, r.Duration, "duration 0");
        Equal(0L, r.AmountFen, "amount 0");
        Equal(0m, r.Amount, "amount 0");

        // Amounts and durations that are not whole: the text stays.
        r = OneRecord("{\"requestid\":\"1\",\"duration\":10.5,\"oriamount\":0.315}");
        Equal(null, r.Duration, "10.5 s is not a whole number");
        Equal(null, r.AmountFen, "0.315 is not whole fen");
        Equal(null, r.Amount, "no exact amount");
        Equal("0.315", r.AmountText, "the text as sent");
        r = OneRecord("{\"requestid\":\"1\",\"oriamount\":7.1}");
        Equal(710L, r.AmountFen, "7.1 yuan");
        Equal(7.10m, r.Amount, "7.1 yuan exact");
        r = OneRecord("{\"requestid\":\"1\",\"oriamount\":\"12345678901.99\"}");
        Equal(1234567890199L, r.AmountFen, "a large amount, exact");
        Equal(12345678901.99m, r.Amount, "a large amount, exact decimal");
        r = OneRecord("{\"requestid\":\"1\",\"oriamount\":\"-0.05\"}");
        Equal(-5L, r.AmountFen, "a negative amount");
        Equal(-0.05m, r.Amount, "a negative amount, exact");
        r = OneRecord("{\"requestid\":\"1\",\"oriamount\":1e2}");
        Equal(null, r.AmountFen, "an exponent is not taken as an amount");
        Equal("1e2", r.AmountText, "its text stays");

        // Time formats: the two known ones parse, anything else keeps its text.
        var s = (YtxStatePush)ParseText("{\"requestid\":\"1\",\"state\":\"callout\",\"timestamp\":\"20200428145137\"}");
        SameInstantAndOffset(Cst(2020, 4, 28, 14, 51, 37), s.Timestamp, "yyyyMMddHHmmss");
        Equal(YtxCallState.Callout, s.State, "callout");
        Equal("", s.StateDesc, "missing stateDesc is \"\"");
        Equal("", s.Number, "missing dsc is \"\"");
        s = (YtxStatePush)ParseText("{\"requestid\":\"1\",\"state\":\"alerting\",\"timestamp\":\"28/04/2020 14:51\"}");
        Equal(null, s.Timestamp, "an unknown format does not parse");
        Equal("28/04/2020 14:51", s.TimestampText, "its text stays");
        Equal(YtxCallState.Alerting, s.State, "alerting");
        s = (YtxStatePush)ParseText("{\"requestid\":\"1\",\"state\":\"disconnect\",\"timestamp\":\"2020-02-30 10:00:00\"}");
        Equal(null, s.Timestamp, "no 30 February");
        Equal(YtxCallState.Disconnect, s.State, "disconnect");
        s = (YtxStatePush)ParseText("{\"requestid\":\"1\",\"state\":\"answer\"}");
        Equal(null, s.Timestamp, "no timestamp");
        Equal("", s.TimestampText, "no timestamp text");
        // A UTF-8 byte order mark before the JSON is accepted.
        var bom = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(StateSample)).ToArray();
        Equal("20200437755840048670965760400", ((YtxStatePush)YtxPush.Parse(bom)).RequestId, "after a BOM");
        // An empty record list.
        Equal(0, ((YtxRecordPush)ParseText("{\"cdr\":[]}")).Records.Count, "cdr []");
    }

    private static void TestUnknownSurvives()
    {
        var s = (YtxStatePush)ParseText(
            "{\"requestid\":\"20200437755840048670965760400\",\"dsc\":\"1\",\"state\":\"transferring\"," +
            "\"newField\":\"新\",\"nested\":{\"a\":[1,2]},\"flag\":true,\"n\":12.50}");
        Equal(YtxCallState.Unknown, s.State, "an unknown state");
        Equal("transferring", s.StateText, "its text survives");
        Equal("新", s["newField"], "an unknown field");
        Equal("{\"a\":[1,2]}", s["nested"], "an object as its raw JSON");
        Equal("true", s["flag"], "true");
        Equal("12.50", s["n"], "a number's exact text");
        Equal(7, s.Fields.Count, "every field");

        var r = OneRecord("{\"requestid\":\"1\",\"calltype\":\"video\",\"extra\":[\"x\"],\"tapesurl\":\"NoTapes\"}");
        Equal("video", r["calltype"], "an unknown record field");
        Equal("[\"x\"]", r["extra"], "an array as its raw JSON");
        Check(r.Fields.ContainsKey("calltype"), "in Fields");
        string v;
        Check(r.Fields.TryGetValue("extra", out v) && v == "[\"x\"]", "TryGetValue");
        Check(!r.Fields.ContainsKey("Calltype"), "names are case-sensitive");
        Equal("calltype,extra,tapesurl", string.Join(",", r.Fields.Where(kv => kv.Key != "requestid").Select(kv => kv.Key)), "enumeration order");

        // Several records in one push, in order.
        var p = (YtxRecordPush)ParseText("{\"cdr\":[{\"requestid\":\"1\"},{\"requestid\":\"2\",\"x\":\"y\"}],\"other\":1}");
        Equal("1,2", string.Join(",", p.Records.Select(x => x.RequestId)), "two records in order");
    }

    private static void GarbageCase(byte[] body, string reason, string what)
    {
        var e = Throws<YtxProtocolException>(() => YtxPush.Parse(body));
        Equal(YtxResultCode.Protocol, e.Code, what + ": code");
        Contains(e.Message, reason, what + ": the library's reason");
        Equal(0, e.HttpStatus, what + ": no HTTP status");
    }

    private static void GarbageCase(string body, string reason, string what)
    {
        GarbageCase(Encoding.UTF8.GetBytes(body), reason, what);
    }

    private static void TestGarbage()
    {
        GarbageCase("hello", "not JSON", "not JSON");
        GarbageCase("<html>502</html>", "not JSON", "HTML");
        GarbageCase("", "JSON", "empty body");
        GarbageCase("{\"requestid\":\"1\",\"state\":", "truncated JSON", "truncated");
        GarbageCase("[1,2]", "not a JSON object", "an array");
        GarbageCase("\"cdr\"", "not a JSON object", "a string");
        GarbageCase("42", "not a JSON object", "a number");
        GarbageCase("null", "not a JSON object", "null");
        GarbageCase("{\"cdr\":{}}", "cdr is not an array", "cdr an object");
        GarbageCase("{\"cdr\":\"[]\"}", "cdr is not an array", "cdr a string");
        GarbageCase("{\"cdr\":[1]}", "cdr[0] is not a JSON object", "a record that is not an object");
        GarbageCase("{\"cdr\":[{\"requestid\":\"1\"},\"x\"]}", "cdr[1]", "the second record names its index");
        GarbageCase("{\"dsc\":\"1\",\"state\":\"answer\"}", "state push has no requestid", "state push without requestid");
        GarbageCase("{\"requestid\":\"\",\"state\":\"answer\"}", "state push has no requestid", "state push with an empty requestid");
        GarbageCase("{\"a\":1}", "neither a state push", "neither state nor cdr");
        GarbageCase(new byte[] { (byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}' }, "not UTF-8", "not UTF-8");
        GarbageCase(new byte[YtxPush.MaxBodyBytes + 1], "larger than 4194304 bytes", "larger than 4 MiB");
        var e = Throws<YtxArgumentException>(() => YtxPush.Parse((byte[])null));
        Equal("body", e.Field, "null body");
        Equal(YtxResultCode.NullArgument, e.Code, "null body's code");
    }

    private static void TestParseStream()
    {
        var s = (YtxStatePush)YtxPush.Parse(new MemoryStream(Encoding.UTF8.GetBytes(StateSample)));
        Equal("20200437755840048670965760400", s.RequestId, "from a stream");
        var big = new MemoryStream(new byte[YtxPush.MaxBodyBytes + 1000]);
        var e = Throws<YtxProtocolException>(() => YtxPush.Parse(big));
        Contains(e.Message, "larger than", "an endless stream is cut and refused");
        Equal((long)YtxPush.MaxBodyBytes + 1, big.Position, "read at most MaxBodyBytes + 1");
        GarbageCase("{\"cdr\":5}", "cdr is not an array", "garbage from a stream too");
        Equal("body", Throws<YtxArgumentException>(() => YtxPush.Parse((Stream)null)).Field, "null stream");
    }

    private static void TestParseThreads()
    {
        var errors = new List<string>();
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            try
            {
                for (int i = 0; i < 300; i++)
                {
                    string id = "2020043775581119685066752" + (t * 1000 + i).ToString("0000", CultureInfo.InvariantCulture);
                    var r = OneRecord("{\"requestid\":\"" + id + "\",\"oriamount\":0.31,\"duration\":10}");
                    if (r.RequestId != id || r.AmountFen != 31)
                    {
                        lock (errors) errors.Add("thread " + t + ": " + r);
                    }
                    try
                    {
                        YtxPush.Parse(Encoding.UTF8.GetBytes("{\"cdr\":" + i + "}"));
                        lock (errors) errors.Add("garbage parsed");
                    }
                    catch (YtxProtocolException)
                    {
                    }
                }
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e.ToString());
            }
        })).ToList();
        threads.ForEach(x => x.Start());
        threads.ForEach(x => x.Join());
        Equal(0, errors.Count, "errors: " + string.Join("; ", errors.Take(3)));
    }

    // ------------------------------------------------ the binding vs ytx.h

    private static void TestUnrepresentableTime()
    {
        // .NET's unset date: 0001-01-01 00:00:00 at +08:00 is before DateTimeOffset.MinValue in UTC.
        var s = (YtxStatePush)ParseText("{\"requestid\":\"1\",\"state\":\"answer\",\"timestamp\":\"0001-01-01 00:00:00\"}");
        Check(s.Timestamp == null, "the unset date has no value: " + s.Timestamp);
        Check(s.TimestampText == "0001-01-01 00:00:00", "its text is kept: " + s.TimestampText);
        // The same code copies the records of CallRecord and FindCall.
        var r = OneRecord("{\"requestid\":\"2\",\"callerstime\":\"0001-01-01 00:00:00\",\"calleretime\":\"9999-12-31 23:59:59\"}");
        Check(r.CallerAnswered == null, "callerstime 0001-01-01 has no value");
        Check(r.Fields["callerstime"] == "0001-01-01 00:00:00", "callerstime text kept");
        Check(r.CallerEnded.HasValue && r.CallerEnded.Value.Year == 9999, "9999-12-31 23:59:59 +08:00 is representable");
    }

    private static void TestOdditiesKept()
    {
        var s = (YtxStatePush)ParseText("{\"requestid\":\"1\",\"state\":\"answer\",\"x\":\"a\\ud800b\",\"\\udc00\":\"k\",\"z\":\"n\\u0000l\"}");
        Check(s.RequestId == "1" && s.State == YtxCallState.Answer, "the push reads");
        Check(s.Fields["x"] == "a\uFFFDb", "a lone surrogate is U+FFFD: " + s.Fields["x"]);
        Check(s.Fields["\uFFFD"] == "k", "in a key too");
        Check(s.Fields["z"] == "n\uFFFDl", "a NUL is U+FFFD: " + s.Fields["z"]);
    }

    private static void TestRouted()
    {
        byte[] state = Encoding.UTF8.GetBytes("{\"requestid\":\"1\",\"state\":\"answer\"}");
        byte[] record = Encoding.UTF8.GetBytes("{\"cdr\":[{\"requestid\":\"1\"}]}");
        Check(YtxPush.Parse(state, "/ytx/push?CallState") is YtxStatePush, "?CallState");
        Check(YtxPush.Parse(record, "/ytx/push?Call") is YtxRecordPush, "?Call");
        Check(YtxPush.Parse(record, "/ytx/push") is YtxRecordPush, "no key: by shape");
        Check(YtxPush.Parse(state, (string)null) is YtxStatePush, "null target: by shape");
        foreach (var bad in new[] { Tuple.Create(state, "/p?Call", "?Call"), Tuple.Create(record, "/p?CallState", "?CallState"), Tuple.Create(state, "/p?SMS", "SMS") })
        {
            try
            {
                YtxPush.Parse(bad.Item1, bad.Item2);
                Check(false, bad.Item2 + " should be refused");
            }
            catch (YtxProtocolException e)
            {
                Check(e.Message.Contains(bad.Item3), "names " + bad.Item3 + ": " + e.Message);
            }
        }
    }

    private static T WithinDeadline<T>(Func<T> f, string what)
    {
        T result = default(T);
        Exception error = null;
        var t = new Thread(() =>
        {
            try { result = f(); } catch (Exception e) { error = e; }
        });
        t.IsBackground = true;
        t.Start();
        Check(t.Join(TimeSpan.FromSeconds(300)), what + " finished within 300 s (a hang otherwise)");
        if (error != null)
        {
            throw error;
        }
        return result;
    }

    private static void TestHostileShapes()
    {
        const int size = 4 * 1024 * 1024 - 64;
        string head = "{\"requestid\":\"1\",\"state\":\"answer\"";
        var many = new StringBuilder(head, size + 64);
        int i = 0;
        while (many.Length < size - 20)
        {
            many.Append(",\"k").Append(i).Append("\":").Append(i);
            i++;
        }
        many.Append('}');
        byte[] manyBody = Encoding.UTF8.GetBytes(many.ToString());
        var p = (YtxStatePush)WithinDeadline(() => YtxPush.Parse(manyBody), "many keys");
        Check(p.Fields.Count == i + 2 && p.Fields["k7"] == "7", "every key: " + p.Fields.Count);
        var empties = new StringBuilder("{\"cdr\":[{}", size + 64);
        while (empties.Length < size - 8)
        {
            empties.Append(",{}");
        }
        empties.Append("]}");
        byte[] emptiesBody = Encoding.UTF8.GetBytes(empties.ToString());
        try
        {
            WithinDeadline(() => YtxPush.Parse(emptiesBody), "many empty records");
            Check(false, "a flood of empty records is refused");
        }
        catch (YtxProtocolException e)
        {
            Check(e.Message.Contains("more than 10000 records"), e.Message);
        }
    }

    private static string FindUp(string envVar, string relative)
    {
        string env = System.Environment.GetEnvironmentVariable(envVar);
        if (!string.IsNullOrEmpty(env))
        {
            Check(File.Exists(env), envVar + "=" + env + " does not exist");
            return env;
        }
        foreach (string start in new[] { AppDomain.CurrentDomain.BaseDirectory, System.Environment.CurrentDirectory })
        {
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                string p = Path.Combine(d.FullName, relative);
                if (File.Exists(p))
                {
                    return p;
                }
            }
        }
        throw new AssertionException(relative + " not found; set " + envVar);
    }

    private static void TestHeaderConstants()
    {
        string header = File.ReadAllText(FindUp("YTX_HEADER", Path.Combine("include", "ytx.h")));
        var states = HeaderEnum(header, "ytx_call_state")
            .ToDictionary(kv => kv.Key.Substring("YTX_CALL_STATE_".Length), kv => (int)kv.Value);
        Check(states.Count > 0, "ytx.h defines YTX_CALL_STATE_*");
        var names = Enum.GetNames(typeof(YtxCallState));
        Equal(states.Count, names.Length, "as many YtxCallState members as YTX_CALL_STATE_* constants");
        foreach (string name in names)
        {
            string c = name.ToUpperInvariant();
            Check(states.ContainsKey(c), "YTX_CALL_STATE_" + c + " in ytx.h");
            Equal(states[c], (int)Enum.Parse(typeof(YtxCallState), name), "YTX_CALL_STATE_" + c);
        }
        Check(Regex.IsMatch(header, @"typedef uint32_t ytx_call_state;"), "ytx_call_state is uint32_t (the binding reads a uint)");
        Check(Regex.IsMatch(header, @"typedef uint32_t ytx_push_kind;"), "ytx_push_kind is uint32_t");
        var kinds = HeaderEnum(header, "ytx_push_kind")
            .ToDictionary(kv => kv.Key.Substring("YTX_PUSH_".Length), kv => (uint)kv.Value);
        var flags = BindingFlags.NonPublic | BindingFlags.Static;
        Equal(kinds["STATE"], (uint)typeof(YtxPush).GetField("KindState", flags).GetValue(null), "YTX_PUSH_STATE");
        Equal(kinds["RECORDS"], (uint)typeof(YtxPush).GetField("KindRecords", flags).GetValue(null), "YTX_PUSH_RECORDS");
        Equal(3, kinds.Count, "YTX_PUSH_NONE, _STATE, _RECORDS");
        // The binding calls each of these; each must be in the header's API.
        foreach (string f in new[] { "ytx_push_parse", "ytx_push_free", "ytx_push_kind_of", "ytx_push_state",
                                     "ytx_push_timestamp_unix", "ytx_push_records", "ytx_records_count", "ytx_records_get",
                                     "ytx_records_free", "ytx_record_time_unix", "ytx_record_amount_fen", "ytx_record_duration",
                                     "ytx_call_record", "ytx_call_records_after", "ytx_find_call", "ytx_query_balance",
                                     "ytx_balance_text", "ytx_balance_fen", "ytx_balance_free" })
        {
            Check(Regex.IsMatch(header, @"\b" + f + @"\("), f + " declared in ytx.h");
        }
    }

    private static void TestEntryPoints()
    {
        Type native = typeof(YtxClient).Assembly.GetType("Ytx.NativeMethods", true);
        var imports = native.GetMethods(BindingFlags.NonPublic | BindingFlags.Static)
            .Where(m => m.GetCustomAttributes(typeof(DllImportAttribute), false).Length > 0).ToList();
        Check(imports.Count >= 60, "the binding's imports: " + imports.Count);
        var missing = new List<string>();
        foreach (MethodInfo m in imports)
        {
            try
            {
                Marshal.Prelink(m);
            }
            catch (EntryPointNotFoundException)
            {
                missing.Add(m.Name);
            }
        }
        Equal("", string.Join(", ", missing), "imports the library does not export");
    }

    // ---------------------------------------------------------------- queries

    private static void TestCallRecord()
    {
        using (var client = NewClient())
        {
            string parm = "rec-" + Guid.NewGuid().ToString("N");
            YtxAccepted call = client.CallbackCall(Src, Dst, 600, new CallbackOptions { CustomParm = parm });
            int before = Count();
            YtxCallRecord r = client.CallRecord(call.RequestId);
            Equal(before + 1, Count(), "one query sent");
            var last = LastRequest();
            EndsWith((string)last["path"], "/201512/sid/" + Sid + "/call/CallCdr.wx", "path");
            var body = Json.ParseObject((string)last["body"]);
            Equal("getCdrByResId", body["action"], "action");
            Equal(App, body["appid"], "appid");
            Equal("4", body["fid"], "fid defaults to 4");
            Equal(call.RequestId, body["lastresid"], "lastresid");
            Equal("0", body["limit"], "limit 0: the one record");

            Check(r != null, "a record");
            Equal(call.RequestId, r.RequestId, "requestId");
            Equal(parm, r.CustomParm, "customParm");
            Equal(Src, r.Caller, "caller");
            Equal(Dst, r.Called, "called");
            Equal(App, r.AppId, "appid");
            Equal("4", r.Fid, "fid");
            Check(r.Duration.HasValue && r.Duration.Value > 0, "a duration, got " + r.Duration);
            Check(r.AmountFen.HasValue && r.AmountFen.Value > 0, "a charge, got " + r.AmountFen);
            Equal(r.AmountFen.Value, (long)(r.Amount.Value * 100m), "Amount and AmountFen agree");
            Equal(r.Amount.Value.ToString(CultureInfo.InvariantCulture), r.AmountText, "AmountText");
            Equal("应答|正常", r.StateDesc, "a normal call");
            Check(r.RecordingUrl != null, "a recording");
            Check(r.CallerAnswered.HasValue && r.CalledAnswered.HasValue && r.CalledEnded.HasValue, "the four times");
            Check(r.CallerAnswered <= r.CalledAnswered && r.CalledAnswered <= r.CalledEnded, "times in order");
            Equal(China, r.CalledEnded.Value.Offset, "offset");
            Check(Math.Abs((DateTimeOffset.UtcNow - r.CallerAnswered.Value).TotalHours) < 1, "the call's time is now, read from UTC+8: " + r.CallerAnswered);
            Check(r.Fields.Count >= 13, "every field");

            Equal(r.RequestId, client.CallRecord(call.RequestId, "4").RequestId, "fid 4 given");
            Equal(r.RequestId, client.CallRecord(call.RequestId, "").RequestId, "fid \"\" is the default");
        }
    }

    private static void TestCallRecordNone()
    {
        using (var client = NewClient())
        {
            Equal(null, client.CallRecord("19990101000000000000000000001"), "a requestId never issued");
            YtxAccepted call = client.CallbackCall(Src, Dst, 600);
            Equal(null, client.CallRecord(call.RequestId, "5"), "another product's record");
            Equal("5", Json.ParseObject((string)LastRequest()["body"])["fid"], "fid on the wire");
            int before = Count();
            ArgError(() => client.CallRecord(null), YtxResultCode.NullArgument, "request_id");
            ArgError(() => client.CallRecord(""), YtxResultCode.InvalidArgument, "lastresid");
            ArgError(() => client.CallRecord("1 2"), YtxResultCode.InvalidArgument, "lastresid");
            ArgError(() => client.CallRecord(new string('1', 65)), YtxResultCode.InvalidArgument, "lastresid");
            ArgError(() => client.CallRecord("1\u00002"), YtxResultCode.InvalidArgument, "request_id");
            ArgError(() => client.CallRecord("1", "x"), YtxResultCode.InvalidArgument, "fid");
            Equal(before, Count(), "nothing sent for invalid input");
        }
    }

    private static void TestCallRecordsAfter()
    {
        using (var client = NewClient())
        {
            var ids = Enumerable.Range(0, 3).Select(i => client.CallbackCall(Src, Dst, 600,
                new CallbackOptions { CustomParm = "page-" + i }).RequestId).ToList();
            string before0 = client.CallRecord(ids[0]).RequestId;
            var page = client.CallRecordsAfter(ids[0], 2);
            var body = Json.ParseObject((string)LastRequest()["body"]);
            Equal(ids[0], body["lastresid"], "lastresid");
            Equal("2", body["limit"], "limit");
            Equal("4", body["fid"], "fid");
            Equal(ids[1] + "," + ids[2], string.Join(",", page.Select(r => r.RequestId)), "the two records after the first, in order");
            Equal("page-1", page[0].CustomParm, "customParm of the second call");
            Equal(0, client.CallRecordsAfter(ids[2], 10).Count, "none after the last: the end");
            // From the first record, page by page (the shared emulator holds many
            // calls by now): the last requestId of a page starts the next.
            string after = "0";
            bool seen = false;
            for (int pages = 0; !seen && pages < 1000; pages++)
            {
                var chunk = client.CallRecordsAfter(after, 500);
                Check(chunk.Count > 0, "reached the end without finding " + before0);
                seen = chunk.Any(r => r.RequestId == before0);
                Check(chunk.Select(r => r.RequestId).Distinct().Count() == chunk.Count, "no record twice in a page");
                after = chunk[chunk.Count - 1].RequestId;
            }
            Check(seen, "paging from \"0\" reaches the first call");
            Equal(1, client.CallRecordsAfter(ids[1], 1).Count, "limit 1");
            Check(page is IReadOnlyList<YtxCallRecord>, "read-only list");
            Throws<NotSupportedException>(() => ((IList<YtxCallRecord>)page).Add(null));

            int sent = Count();
            ArgError(() => client.CallRecordsAfter(ids[0], 0), YtxResultCode.InvalidArgument, "limit");
            ArgError(() => client.CallRecordsAfter(ids[0], -1), YtxResultCode.InvalidArgument, "limit");
            ArgError(() => client.CallRecordsAfter(ids[0], 1001), YtxResultCode.InvalidArgument, "limit");
            ArgError(() => client.CallRecordsAfter(null, 10), YtxResultCode.NullArgument, "request_id");
            ArgError(() => client.CallRecordsAfter("", 10), YtxResultCode.InvalidArgument, "lastresid");
            ArgError(() => client.CallRecordsAfter("0", 10, "four"), YtxResultCode.InvalidArgument, "fid");
            Equal(sent, Count(), "nothing sent for invalid input");
        }
    }

    private static void TestFindCall()
    {
        using (var client = NewClient())
        {
            string known = client.CallbackCall(Src, Dst, 600).RequestId; // "a requestId known from before"
            string parm = "find-" + Guid.NewGuid().ToString("N");
            string id = client.CallbackCall(Src, Dst, 600, new CallbackOptions { CustomParm = parm }).RequestId;
            client.CallbackCall(Src, Dst, 600, new CallbackOptions { CustomParm = parm + "-other" });

            int before = Count();
            YtxCallRecord found = client.FindCall(parm, known);
            Check(found != null, "found by customParm");
            Equal(id, found.RequestId, "the call");
            Equal(parm, found.CustomParm, "customParm");
            Check(Count() > before, "queries sent");
            var body = Json.ParseObject((string)LastRequest()["body"]);
            Equal("getCdrByResId", body["action"], "action");
            Equal("100", body["limit"], "pages of 100");
            Equal(id, client.FindCall(parm, "0").RequestId, "from the first record");
            Equal(null, client.FindCall("never-placed-" + Guid.NewGuid().ToString("N"), known), "a customParm never placed");
            Equal(null, client.FindCall(parm, id), "searching after the call itself finds nothing");
            Equal(null, client.FindCall(parm, known, "5"), "another product");
            Equal("5", Json.ParseObject((string)LastRequest()["body"])["fid"], "fid on the wire");

            int sent = Count();
            ArgError(() => client.FindCall(null, known), YtxResultCode.NullArgument, "custom_parm");
            ArgError(() => client.FindCall("", known), YtxResultCode.InvalidArgument, "customParm");
            ArgError(() => client.FindCall(parm, null), YtxResultCode.NullArgument, "after_request_id");
            ArgError(() => client.FindCall(parm, ""), YtxResultCode.InvalidArgument, "lastresid");
            Equal(sent, Count(), "nothing sent for invalid input");
        }
    }

    private static void TestBalance()
    {
        using (var client = NewClient())
        {
            YtxBalance b0 = client.Balance();
            var last = LastRequest();
            EndsWith((string)last["path"], "/201612/sid/" + Sid + "/account/getBlance.wx", "path: version 201612");
            var body = Json.ParseObject((string)last["body"]);
            Equal("queryBlance", body["action"], "action");
            Equal(App, body["appid"], "appid");
            Equal(2, body.Count, "action and appid only");
            Check(b0.Fen > 0, "a balance: " + b0);
            Equal(b0.Fen, (long)(b0.Amount * 100m), "Amount and Fen agree");
            Equal(b0.Amount, decimal.Parse(b0.Text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture), "Text is the amount");
            Contains(b0.ToString(), b0.Text, "ToString");

            string id = client.CallbackCall(Src, Dst, 600).RequestId;
            YtxBalance b1 = client.Balance();
            YtxCallRecord r = client.CallRecord(id);
            Equal(b0.Fen - r.AmountFen.Value, b1.Fen, "the balance went down by the call's charge");
            Equal(b0.Amount - r.Amount.Value, b1.Amount, "exactly, in yuan");
        }
        var made = new YtxBalance(708, "7.08");
        Equal(7.08m, made.Amount, "a balance made by hand");
        Equal("-0.05", new YtxBalance(-5).Text, "canonical text");
    }

    private static void TestBroke()
    {
        // 10 fen: one call (6 fen a started minute) leaves 4, below the 6 a call needs.
        using (var emu = Emu.Start("--balance-fen 10"))
        using (var client = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = emu.BaseUrl }))
        {
            Equal(10L, client.Balance().Fen, "the starting balance");
            Equal("0.10", client.Balance().Text, "as text");
            string id = client.CallbackCall(Src, Dst, 600).RequestId;
            var b = client.Balance();
            Equal(4L, b.Fen, "after one call");
            Equal(0.04m, b.Amount, "0.04 yuan");
            var e = Throws<YtxPlatformException>(() => client.CallbackCall(Src, Dst, 600));
            Equal("-204", e.StatusCode, "balance too low");
            Contains(e.Message, "top up", "the library's explanation");
            Equal(id, client.CallRecord(id).RequestId, "the record of the call that was placed");
            Equal(4L, client.Balance().Fen, "a refused call costs nothing");
        }
    }

    private static void TestQueryErrors()
    {
        using (var client = new YtxClient(Sid, WrongToken, App, Options()))
        {
            Equal("-203", Throws<YtxPlatformException>(() => client.CallRecord("1")).StatusCode, "CallRecord -203");
            Equal("-203", Throws<YtxPlatformException>(() => client.CallRecordsAfter("0", 10)).StatusCode, "CallRecordsAfter -203");
            Equal("-203", Throws<YtxPlatformException>(() => client.FindCall("x", "0")).StatusCode, "FindCall -203");
            var e = Throws<YtxPlatformException>(() => client.Balance());
            Equal("-203", e.StatusCode, "Balance -203");
            Equal(YtxDelivery.Answered, e.Delivery, "answered");
        }
        using (var client = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = "http://127.0.0.1:" + ClosedPort() }))
        {
            var e = Throws<YtxTransportException>(() => client.CallRecord("1"));
            Equal(YtxResultCode.NotSent, e.Code, "code");
            Check(e.RetrySafe, "retry-safe");
            Equal(YtxResultCode.NotSent, Throws<YtxTransportException>(() => client.Balance()).Code, "Balance NotSent");
            Equal(YtxResultCode.NotSent, Throws<YtxTransportException>(() => client.FindCall("x", "0")).Code, "FindCall NotSent");
        }
        var c = NewClient();
        c.Dispose();
        Throws<ObjectDisposedException>(() => c.CallRecord("1"));
        Throws<ObjectDisposedException>(() => c.CallRecordsAfter("0", 1));
        Throws<ObjectDisposedException>(() => c.FindCall("x", "0"));
        Throws<ObjectDisposedException>(() => c.Balance());
        IYtxClient mockable = NewClient();
        using (mockable)
        {
            Check(mockable.Balance().Fen > 0, "through IYtxClient");
        }
    }

    private static void Test104()
    {
        using (var client = NewClient())
        {
            var e = Throws<YtxPlatformException>(() => client.CallbackCall(Src, "19900001104", 100));
            Equal("-104", e.StatusCode, "statusCode");
            Contains(e.Message, "request rate too high", "explained");
            Contains(e.Message, "nothing was placed", "explained");
            Equal(YtxDelivery.Answered, e.Delivery, "answered: final");
            var v = Throws<YtxPlatformException>(() => client.VoiceCode("19900001104", null, "1234"));
            Equal("-104", v.StatusCode, "voice code statusCode");
        }
    }

    /// <summary>
    /// The README's status-code table is a copy of the library's explanations:
    /// each row's text must be what the library says for that code, and the
    /// library must explain no code the table lacks (codes 1 to 999, through the
    /// emulator's magic numbers).
    /// </summary>
    private static void TestStatusTable()
    {
        string readme = File.ReadAllText(FindUp("YTX_CSHARP_README", Path.Combine("bindings", "csharp", "README.md")));
        var rows = Regex.Matches(readme, @"^\| `(-[0-9]+)` \| (.*) \|\r?$", RegexOptions.Multiline)
            .Cast<Match>().ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
        Check(rows.ContainsKey("-104") && rows.ContainsKey("-204") && rows.ContainsKey("-1"), "the README has the table: " + string.Join(" ", rows.Keys));
        using (var client = NewClient())
        {
            for (int n = 1; n <= 999; n++)
            {
                string code = "-" + n.ToString(CultureInfo.InvariantCulture);
                var e = Throws<YtxPlatformException>(() => client.CallbackCall(Src, "19900001" + n.ToString("000", CultureInfo.InvariantCulture), 100));
                Equal(code, e.StatusCode, "statusCode");
                string prefix = "platform error " + code + " (" + e.StatusMsg + ")";
                StartsWith(e.Message, prefix, "message of " + code);
                string explanation = e.Message.Length > prefix.Length && e.Message.Substring(prefix.Length).StartsWith(": ", StringComparison.Ordinal)
                    ? e.Message.Substring(prefix.Length + 2)
                    : null;
                string row;
                if (rows.TryGetValue(code, out row))
                {
                    Equal(row, explanation, "README row " + code + " vs the library's explanation");
                }
                else
                {
                    Equal(null, explanation, "the library explains " + code + ", which the README's table lacks");
                }
            }
        }
    }

    // ------------------------------------------------------- life of a call

    /// <summary>An emulator process of its own (some tests need other flags).</summary>
    private sealed class Emu : IDisposable
    {
        private Process _p;
        public string BaseUrl { get; private set; }

        public static Emu Start(string extraArgs)
        {
            string path = System.Environment.GetEnvironmentVariable("YTX_EMULATOR");
            var psi = new ProcessStartInfo(path, "--listen 127.0.0.1:0 --exit-on-stdin-eof " + extraArgs)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                StandardOutputEncoding = Encoding.UTF8,
            };
            var emu = new Emu { _p = Process.Start(psi) };
            emu._p.ErrorDataReceived += (s, e) => { };
            emu._p.BeginErrorReadLine();
            string line = ReadLineWithin(emu._p.StandardOutput, TimeSpan.FromSeconds(15));
            const string prefix = "ytx-emulator listening on ";
            if (line == null || !line.StartsWith(prefix, StringComparison.Ordinal))
            {
                emu.Dispose();
                throw new Exception("the emulator (" + extraArgs + ") did not start: " + line);
            }
            emu.BaseUrl = line.Substring(prefix.Length).Trim();
            return emu;
        }

        public void Dispose()
        {
            StopProcess(_p);
            _p = null;
        }
    }

    private static string ReadLineWithin(StreamReader reader, TimeSpan wait)
    {
        string line = null;
        var t = new Thread(() =>
        {
            try
            {
                line = reader.ReadLine();
            }
            catch (Exception)
            {
            }
        });
        t.IsBackground = true;
        t.Start();
        return t.Join(wait) ? line : null;
    }

    private static void StopProcess(Process p)
    {
        if (p == null)
        {
            return;
        }
        try
        {
            p.StandardInput.Close();
            if (!p.WaitForExit(10000))
            {
                p.Kill();
                p.WaitForExit(5000);
            }
        }
        catch (Exception)
        {
            try
            {
                p.Kill();
            }
            catch (Exception)
            {
            }
        }
    }

    private static int FreePort()
    {
        return ClosedPort(); // bound and released: free for the listener to take
    }

    /// <summary>
    /// An HttpListener started on a free port: a port found free may be taken
    /// before the listener binds it (HttpListener cannot bind port 0), so a few
    /// ports are tried. <paramref name="path"/> is the prefix's path ("/x/").
    /// </summary>
    private static HttpListener StartListener(string path, out string prefix)
    {
        for (int attempt = 1; ; attempt++)
        {
            var l = new HttpListener();
            prefix = "http://127.0.0.1:" + FreePort() + path;
            l.Prefixes.Add(prefix);
            try
            {
                l.Start();
                return l;
            }
            catch (Exception e) when (attempt < 10 && (e is HttpListenerException || e is SocketException))
            {
                l.Close(); // taken meanwhile: another port
            }
        }
    }

    /// <summary>
    /// A local push receiver for the tests: answers 200, parses, keeps everything.
    /// The emulator tries a push again when an attempt gets no answer in 2 s
    /// (PUSH_TIMEOUT_SECS), so on a loaded machine a push can arrive more than
    /// once: with <see cref="EmulatorUrl"/> set, <see cref="WaitFor(string, int)"/>
    /// counts each push the emulator logged once, however many of its attempts
    /// arrived (and no more than it made).
    /// </summary>
    private sealed class Receiver : IDisposable
    {
        private readonly HttpListener _listener;
        private readonly List<YtxPush> _pushes = new List<YtxPush>();
        private readonly List<string> _bodies = new List<string>(); // _pushes' bodies, as received
        private readonly List<string> _errors = new List<string>();
        private readonly Thread _thread;
        public string Url { get; private set; }

        /// <summary>The emulator pushing here, whose push log tells a repeated attempt from a push sent twice.</summary>
        public string EmulatorUrl { get; set; }

        public Receiver()
        {
            string prefix;
            _listener = StartListener("/ytx/", out prefix);
            Url = prefix + "push";
            _thread = new Thread(Loop) { IsBackground = true };
            _thread.Start();
        }

        private void Loop()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext c;
                try
                {
                    c = _listener.GetContext();
                }
                catch (Exception)
                {
                    return;
                }
                byte[] body;
                string method;
                string type;
                try
                {
                    using (var ms = new MemoryStream())
                    {
                        c.Request.InputStream.CopyTo(ms);
                        body = ms.ToArray();
                    }
                    method = c.Request.HttpMethod;
                    type = c.Request.ContentType ?? "";
                }
                catch (Exception)
                {
                    continue; // the sender gave up mid-body: it tries again
                }
                try
                {
                    c.Response.StatusCode = 200;
                    c.Response.Close();
                }
                catch (Exception)
                {
                    // The sender gave up waiting (its 2 s per attempt) and
                    // closed the connection: the push arrived, and a repeated
                    // attempt will follow (WaitFor counts it once).
                }
                lock (_pushes)
                {
                    if (method != "POST" || !type.StartsWith("application/json", StringComparison.Ordinal))
                    {
                        _errors.Add(method + " " + type);
                    }
                    try
                    {
                        _pushes.Add(YtxPush.Parse(body));
                        _bodies.Add(Encoding.UTF8.GetString(body));
                    }
                    catch (YtxException e)
                    {
                        _errors.Add(e.Message + ": " + Encoding.UTF8.GetString(body));
                    }
                    Monitor.PulseAll(_pushes);
                }
            }
        }

        /// <summary>The pushes of one call once <paramref name="count"/> of them arrived.</summary>
        public List<YtxPush> WaitFor(string requestId, int count)
        {
            return WaitFor(requestId, mine => mine.Count >= count, count + " pushes");
        }

        /// <summary>The pushes of one call once <paramref name="done"/> says so.</summary>
        public List<YtxPush> WaitFor(string requestId, Func<List<YtxPush>, bool> done, string what)
        {
            var sw = Stopwatch.StartNew();
            while (true)
            {
                List<Dictionary<string, object>> log = EmulatorUrl == null ? null
                    : ((List<object>)Json.Parse(HttpAt(EmulatorUrl, "GET", "/_emulator/pushes"))).Cast<Dictionary<string, object>>().ToList();
                lock (_pushes)
                {
                    Check(_errors.Count == 0, "receiver errors: " + string.Join("; ", _errors));
                    var arrived = Enumerable.Range(0, _pushes.Count).Where(i => Of(_pushes[i]) == requestId).ToList();
                    string why = null;
                    var mine = log == null ? arrived.Select(i => _pushes[i]).ToList() : Distinct(arrived, log, requestId, out why);
                    if (mine != null && done(mine))
                    {
                        return mine;
                    }
                    var left = Deadline - sw.Elapsed;
                    Check(left > TimeSpan.Zero, "waiting for " + what + " of " + requestId + (why == null ? "" : " (" + why + ")") + "; " + arrived.Count + " arrived: " +
                          string.Join(" | ", arrived.Select(i => _pushes[i].ToString())) +
                          (log == null ? "" : "; the emulator's log: " + string.Join(" | ",
                              log.Where(e => ((string)e["body"]).Contains(requestId)).Select(e => e["attempts"] + "x " + e["body"]))));
                    Monitor.Wait(_pushes, TimeSpan.FromMilliseconds(50)); // the emulator logs a push after its answer
                }
            }
        }

        /// <summary>
        /// The pushes of one call, each push the emulator logged once: runs of
        /// identical bodies are compared with its log, where a run of n pushes
        /// with a attempts in all must have arrived k times, n &lt;= k &lt;= a.
        /// Null while the two do not match yet (a push still on its way).
        /// </summary>
        private List<YtxPush> Distinct(List<int> arrived, List<Dictionary<string, object>> log, string requestId, out string why)
        {
            var sent = log.Where(e => ((string)e["body"]).Contains(requestId) && Convert.ToInt32(e["attempts"], CultureInfo.InvariantCulture) > 0).ToList();
            var result = new List<YtxPush>();
            int i = 0;
            int j = 0;
            while (i < arrived.Count && j < sent.Count)
            {
                string body = (string)sent[j]["body"];
                int n = 0;
                int attempts = 0;
                for (; j < sent.Count && (string)sent[j]["body"] == body; j++)
                {
                    n++;
                    attempts += Convert.ToInt32(sent[j]["attempts"], CultureInfo.InvariantCulture);
                }
                int first = i;
                for (; i < arrived.Count && _bodies[arrived[i]] == body; i++)
                {
                }
                int k = i - first;
                if (k < n || k > attempts)
                {
                    why = "arrived " + k + " times, logged " + n + " push(es) in " + attempts + " attempt(s): " + body;
                    return null;
                }
                result.AddRange(arrived.Skip(first).Take(n).Select(x => _pushes[x]));
            }
            if (i < arrived.Count || j < sent.Count)
            {
                why = (arrived.Count - i) + " arrived and not logged, " + (sent.Count - j) + " logged and not arrived";
                return null;
            }
            why = null;
            return result;
        }

        public static string Of(YtxPush p)
        {
            var s = p as YtxStatePush;
            if (s != null)
            {
                return s.RequestId;
            }
            var r = ((YtxRecordPush)p).Records;
            return r.Count > 0 ? r[0].RequestId : "";
        }

        public void Dispose()
        {
            try
            {
                _listener.Stop();
                _listener.Close();
            }
            catch (Exception)
            {
            }
            _thread.Join(5000);
        }
    }

    private static string Legs(IEnumerable<YtxPush> pushes, string src, string dst)
    {
        return string.Join(" ", pushes.Select(p =>
        {
            var s = p as YtxStatePush;
            if (s == null)
            {
                return "record";
            }
            string leg = s.Number.EndsWith(src, StringComparison.Ordinal) ? "src"
                : s.Number.EndsWith(dst, StringComparison.Ordinal) ? "dst" : "?" + s.Number;
            return leg + ":" + s.State.ToString().ToLowerInvariant();
        }));
    }

    private static void TestLifeOfACall()
    {
        using (var receiver = new Receiver())
        using (var emu = Emu.Start("--push-url " + receiver.Url + " --push-interval-ms 1"))
        using (var client = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = emu.BaseUrl }))
        {
            receiver.EmulatorUrl = emu.BaseUrl;
            // A requestId known from before, as a caller keeps one.
            string known = client.CallbackCall(Src, Dst, 600, new CallbackOptions { CustomParm = "earlier" }).RequestId;
            string parm = "订单-" + Guid.NewGuid().ToString("N");
            YtxAccepted call = client.CallbackCall(Src, Dst, 600, new CallbackOptions { CustomParm = parm });

            List<YtxPush> pushes = receiver.WaitFor(call.RequestId, 9);
            Equal("src:callout src:alerting src:answer dst:callout dst:alerting dst:answer src:disconnect dst:disconnect record",
                  Legs(pushes, Src, Dst), "the call's pushes, in order");
            foreach (var s in pushes.OfType<YtxStatePush>())
            {
                Equal(call.RequestId, s.RequestId, "state push requestId");
                Check(s.Timestamp.HasValue, "timestamp parses: " + s.TimestampText);
                Equal(China, s.Timestamp.Value.Offset, "timestamp offset");
                Check(s.StateDesc.Length > 0, "stateDesc");
            }
            YtxCallRecord pushed = ((YtxRecordPush)pushes.Last()).Records.Single();
            Equal(parm, pushed.CustomParm, "customParm echoed in the record push (UTF-8)");

            // The push is a hint; the signed query confirms it.
            YtxCallRecord queried = client.CallRecord(call.RequestId);
            Check(queried != null, "the record query finds the call");
            Equal(string.Join("\n", pushed.Fields.Select(kv => kv.Key + "=" + kv.Value)),
                  string.Join("\n", queried.Fields.Select(kv => kv.Key + "=" + kv.Value)), "the record push and the query agree");
            Equal(pushed.AmountFen, queried.AmountFen, "charge");

            // Resolving an outcome unknown: found means placed; never placed is null.
            YtxCallRecord found = client.FindCall(parm, known);
            Check(found != null, "FindCall finds the call by customParm");
            Equal(call.RequestId, found.RequestId, "the same call");
            Equal(null, client.FindCall("never-placed-" + Guid.NewGuid().ToString("N"), known), "a customParm never placed");
        }
    }

    private static void TestScenarios()
    {
        using (var receiver = new Receiver())
        using (var emu = Emu.Start("--push-url " + receiver.Url + " --push-interval-ms 1"))
        using (var client = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = emu.BaseUrl }))
        {
            receiver.EmulatorUrl = emu.BaseUrl;
            // Second leg busy.
            string busy = client.CallbackCall(Src, "19900002002", 600).RequestId;
            var p = receiver.WaitFor(busy, 7);
            Check(p.Last() is YtxRecordPush, "the record comes last");
            var r = ((YtxRecordPush)p.Last()).Records[0];
            Equal(null, r.CalledAnswered, "the busy leg never answered");
            Check(r.CallerAnswered.HasValue, "the first leg did");
            Contains(Legs(p, Src, "19900002002"), "dst:disconnect", "the busy leg's disconnect");

            // First leg never answers.
            string noAnswer = client.CallbackCall("19900002001", Dst, 600).RequestId;
            p = receiver.WaitFor(noAnswer, 4);
            Equal("src:callout src:alerting src:disconnect record", Legs(p, "19900002001", Dst), "first leg no answer");
            r = ((YtxRecordPush)p.Last()).Records[0];
            Equal(null, r.CallerAnswered, "first leg never answered");
            Equal(0L, r.Duration, "nothing billed");
            Equal(0L, r.AmountFen, "nothing charged");

            // Duplicates: a receiver keyed by requestId handles the record once.
            string dup = client.CallbackCall(Src, "19900002003", 600).RequestId;
            p = receiver.WaitFor(dup, mine => mine.OfType<YtxRecordPush>().Count() >= 2, "the record twice");
            Equal(2, p.OfType<YtxRecordPush>().Count(), "the record pushed twice");
            Check(p.OfType<YtxStatePush>().GroupBy(x => x.Number + x.StateText + x.TimestampText).Any(g => g.Count() > 1),
                  "a state pushed twice: " + Legs(p, Src, "19900002003"));
            Equal(1, p.OfType<YtxRecordPush>().Select(x => x.Records[0].RequestId).Distinct().Count(), "one call");

            // Out of order: the record before the last state push.
            string ooo = client.CallbackCall(Src, "19900002004", 600).RequestId;
            p = receiver.WaitFor(ooo, 9);
            Check(p.Last() is YtxStatePush, "a state push after the record: " + Legs(p, Src, "19900002004"));
            Check(p.Take(p.Count - 1).Any(x => x is YtxRecordPush), "the record arrived before it");
        }
    }

    // ------------------------------------------------ the receiver example

    private sealed class ReceiverProcess : IDisposable
    {
        private readonly Process _p;
        private readonly List<string> _lines = new List<string>();
        public string Url { get; private set; }

        public ReceiverProcess() : this("")
        {
        }

        /// <summary>The example with the demo account on <paramref name="baseUrl"/> (default: the suite's emulator), at <paramref name="url"/> (default: a free port).</summary>
        public ReceiverProcess(string extraArgs, string baseUrl = null, string url = null)
        {
            string exe = System.Environment.GetEnvironmentVariable("YTX_PUSH_RECEIVER");
            Check(!string.IsNullOrEmpty(exe) && File.Exists(exe), "set YTX_PUSH_RECEIVER to PushReceiver.exe (got '" + exe + "')");
            Url = url ?? "http://127.0.0.1:" + FreePort() + "/";
            var psi = new ProcessStartInfo(RunnerFile, RunnerArgs(Path.GetFullPath(exe), Url + " --exit-on-stdin-eof " + extraArgs))
            {
                WorkingDirectory = Path.GetTempPath(), // where a Mono crash report would go
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                StandardOutputEncoding = Encoding.UTF8,
            };
            psi.EnvironmentVariables["YTX_ACCOUNT_SID"] = Sid;
            psi.EnvironmentVariables["YTX_AUTH_TOKEN"] = Token;
            psi.EnvironmentVariables["YTX_APP_ID"] = App;
            psi.EnvironmentVariables["YTX_BASE_URL"] = baseUrl ?? _baseUrl;
            _p = Process.Start(psi);
            _p.ErrorDataReceived += (s, e) => { if (e.Data != null) lock (_lines) { _lines.Add("stderr: " + e.Data); Monitor.PulseAll(_lines); } };
            _p.BeginErrorReadLine();
            _p.OutputDataReceived += (s, e) => { if (e.Data != null) lock (_lines) { _lines.Add(e.Data); Monitor.PulseAll(_lines); } };
            _p.BeginOutputReadLine();
            WaitLine("listening on " + Url);
        }

        public string[] Lines
        {
            get { lock (_lines) return _lines.ToArray(); }
        }

        /// <summary>Tells it to watch a call (a line on its stdin).</summary>
        public void Watch(string requestId)
        {
            _p.StandardInput.WriteLine(requestId);
            _p.StandardInput.Flush();
        }

        /// <summary>Waits for a line equal to (or, with a trailing *, starting with) <paramref name="want"/>.</summary>
        public string WaitLine(string want)
        {
            bool prefix = want.EndsWith("*", StringComparison.Ordinal);
            string w = prefix ? want.Substring(0, want.Length - 1) : want;
            var sw = Stopwatch.StartNew();
            lock (_lines)
            {
                while (true)
                {
                    string hit = _lines.FirstOrDefault(l => prefix ? l.StartsWith(w, StringComparison.Ordinal) : l == w);
                    if (hit != null)
                    {
                        return hit;
                    }
                    var left = Deadline - sw.Elapsed;
                    Check(left > TimeSpan.Zero && !_p.HasExited, "the receiver did not print <" + want + ">; it printed:\n" + string.Join("\n", _lines));
                    Monitor.Wait(_lines, TimeSpan.FromMilliseconds(Math.Min(left.TotalMilliseconds, 500)));
                }
            }
        }

        public int Count(string startsWith)
        {
            return Lines.Count(l => l.StartsWith(startsWith, StringComparison.Ordinal));
        }

        /// <summary>Closes its stdin and checks that it exits cleanly (0), as the example promises.</summary>
        public void Stop()
        {
            StopProcess(_p);
            Check(_p.HasExited, "the receiver exited when its stdin closed");
            Equal(0, _p.ExitCode, "the receiver's exit code; it printed:\n" + string.Join("\n", Lines));
        }

        public void Dispose()
        {
            StopProcess(_p);
        }
    }

    private static string Post(string url, byte[] body, out int status, bool expectError = false)
    {
        if (expectError)
        {
            try
            {
                return Post(url, body, out status);
            }
            catch (WebException e) when (e.Response is HttpWebResponse)
            {
                status = (int)((HttpWebResponse)e.Response).StatusCode;
                e.Response.Close();
                return "";
            }
        }
        var req = (HttpWebRequest)WebRequest.Create(url);
        req.Method = "POST";
        req.Proxy = null;
        req.Timeout = 30000;
        req.ContentType = "application/json";
        req.ContentLength = body.Length;
        using (var s = req.GetRequestStream())
        {
            s.Write(body, 0, body.Length);
        }
        using (var resp = (HttpWebResponse)req.GetResponse())
        using (var reader = new StreamReader(resp.GetResponseStream(), Encoding.UTF8))
        {
            status = (int)resp.StatusCode;
            return reader.ReadToEnd();
        }
    }

    private static void PostOk(string url, string body, string what)
    {
        int status;
        string answer = Post(url, Encoding.UTF8.GetBytes(body), out status);
        Equal(200, status, what + ": HTTP status");
        Equal("ok", answer, what + ": body");
    }

    private const string SampleRecordId = "20200437755811196850667520400";
    private const string SampleStateId = "20200437755840048670965760400";

    private static void TestReceiverExample()
    {
        using (var rx = new ReceiverProcess("--verify never"))
        {
            rx.Watch(SampleStateId);
            rx.Watch(SampleRecordId);
            Thread.Sleep(100); // the lines reach its stdin (a push before would wait for them anyway)
            PostOk(rx.Url, StateSample, "state push");
            rx.WaitLine("state " + SampleStateId + " ? 18610559223 answer 2020-04-28 14:51:37");
            PostOk(rx.Url, StateSample, "the same state again");
            // PROTOCOL.md's record sample is another app's: the tracker drops it.
            PostOk(rx.Url, "{\"cdr\":[" + RecordSample + "]}", "another app's record push");
            rx.WaitLine("unrecognised push: *");
            string mine = "{\"cdr\":[" + RecordSample.Replace("ff1f324a0604417c9c7f5f1186225fda", App) + "]}";
            PostOk(rx.Url, mine, "record push");
            rx.WaitLine("completed " + SampleRecordId + " customParm=order-id-123456 duration=10 amount=0.31 " +
                        "url=http://101.200.159.167:16214/.../20200428145126_xxx.mp3 desc=应答|正常 verified=False");
            PostOk(rx.Url, mine, "the same record again");
            int status;
            Post(rx.Url, Encoding.UTF8.GetBytes("not json"), out status, expectError: true);
            Equal(400, status, "not JSON: 400");
            rx.WaitLine("answered 400: not JSON");
            PostOk(rx.Url, "{\"requestid\":\"" + SampleStateId + "\",\"dsc\":\"01053189990\",\"state\":\"transferring\",\"timestamp\":\"2020-04-28 14:51:40\"}", "an unknown state");
            rx.WaitLine("state " + SampleStateId + " ? 01053189990 transferring 2020-04-28 14:51:40");
            Equal(1, rx.Count("completed "), "the call completed once: " + string.Join(" | ", rx.Lines));
            Equal(2, rx.Count("state "), "two different states, the repeat not reported");
            Equal(0, rx.Count("stderr: "), "nothing on stderr: " + string.Join(" | ", rx.Lines));
            rx.Stop();
        }
    }

    /// <summary>Sends raw bytes on a new connection and returns the status line answered ("" if closed).</summary>
    private static string RawStatus(string url, string request)
    {
        var uri = new Uri(url);
        using (var tcp = new TcpClient())
        {
            tcp.Connect(uri.Host, uri.Port);
            tcp.ReceiveTimeout = 30000;
            NetworkStream s = tcp.GetStream();
            byte[] bytes = Encoding.ASCII.GetBytes(request);
            s.Write(bytes, 0, bytes.Length);
            var got = new StringBuilder();
            var buf = new byte[1];
            while (!got.ToString().EndsWith("\r\n", StringComparison.Ordinal) && s.Read(buf, 0, 1) == 1)
            {
                got.Append((char)buf[0]);
            }
            return got.ToString().TrimEnd();
        }
    }

    private static void TestReceiverProtections()
    {
        using (var rx = new ReceiverProcess("--verify never"))
        {
            rx.Watch(SampleStateId);
            var uri = new Uri(rx.Url);
            using (var slow = new TcpClient())
            {
                // A slow client: a whole head, one byte of a 10-byte body, then nothing.
                slow.Connect(uri.Host, uri.Port);
                byte[] partial = Encoding.ASCII.GetBytes("POST /?CallState HTTP/1.1\r\nHost: " + uri.Authority + "\r\nContent-Length: 10\r\n\r\n{");
                slow.GetStream().Write(partial, 0, partial.Length);
                PostOk(rx.Url + "?CallState", StateSample, "a push while a slow client waits");
                rx.WaitLine("state " + SampleStateId + " ? 18610559223 answer 2020-04-28 14:51:37");
            }
            string head = "POST /?Call HTTP/1.1\r\nHost: " + uri.Authority + "\r\n";
            // Beyond Int32, Mono's HttpListener answers 400 itself; either way at once.
            string absurd = RawStatus(rx.Url, head + "Content-Length: 99999999999\r\n\r\n");
            Check(absurd.StartsWith("HTTP/1.1 413", StringComparison.Ordinal) || absurd.StartsWith("HTTP/1.1 400", StringComparison.Ordinal), "an absurd Content-Length, at once: " + absurd);
            StartsWith(RawStatus(rx.Url, head + "Content-Length: 65537\r\n\r\n"), "HTTP/1.1 413", "over 64 KiB, at once");
            StartsWith(RawStatus(rx.Url, head + "Content-Length: -1\r\n\r\n"), "HTTP/1.1 400", "a negative Content-Length, at once");
            rx.WaitLine("refused: 413 (Content-Length over the limit)");
            rx.Stop();
        }
    }

    private static void TestReceiverPathRoutingDeadline()
    {
        using (var rx = new ReceiverProcess("--secret-path /push-5f0c2a9e71d4 --read-deadline-ms 300 --verify never"))
        {
            rx.Watch(SampleStateId);
            string host = "Host: " + new Uri(rx.Url).Authority + "\r\n";
            StartsWith(RawStatus(rx.Url, "POST /push-guess?CallState HTTP/1.1\r\n" + host + "Content-Length: 2\r\n\r\n{}"), "HTTP/1.1 404", "a wrong path");
            rx.WaitLine("refused: 404 (wrong path)");
            string url = rx.Url + "push-5f0c2a9e71d4";
            PostOk(url + "?Call", StateSample, "a state push sent as ?Call");
            rx.WaitLine("unrecognised push: *");
            Contains(rx.Lines.First(l => l.StartsWith("unrecognised push: ", StringComparison.Ordinal)), "?Call", "the library's routing");
            PostOk(url + "?CallState", StateSample, "a state push on ?CallState");
            rx.WaitLine("state " + SampleStateId + " *");
            RawStatus(url, "POST /push-5f0c2a9e71d4?CallState HTTP/1.1\r\n" + host + "Content-Length: 10\r\n\r\n{");
            rx.WaitLine("refused: cut off (the body did not arrive within the read deadline)");
            rx.Stop();
        }
    }

    private static void TestReceiverWithEmulator()
    {
        // The receiver's port first: the emulator pushes there, and the
        // receiver's tracker queries that emulator.
        string url = "http://127.0.0.1:" + FreePort() + "/";
        using (var emu = Emu.Start("--push-url " + url + " --push-interval-ms 1"))
        using (var rx = new ReceiverProcess("", emu.BaseUrl, url))
        using (var client = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = emu.BaseUrl }))
        {
            string parm = "rx-" + Guid.NewGuid().ToString("N");
            string id = client.CallbackCall(Src, "19900002003", 600, new CallbackOptions { CustomParm = parm }).RequestId; // duplicate pushes
            rx.Watch(id); // the orphan window keeps a push that comes before this line
            rx.WaitLine("completed " + id + " customParm=" + parm + " *");
            Check(rx.Lines.First(l => l.StartsWith("completed " + id, StringComparison.Ordinal)).EndsWith(" verified=True", StringComparison.Ordinal),
                  "confirmed by the signed query");
            Equal(1, rx.Count("completed " + id), "completed once");
            Equal(8, rx.Count("state " + id + " "), "each state once, the repeated ones not: " + string.Join(" | ", rx.Lines));
            Equal(0, rx.Count("unrecognised"), "every push recognised");
            rx.Stop();
        }
    }
}
