// Resolving an outcome unknown (issue 18, part 2) through the C# binding,
// against an emulator of its own whose record pages hold at most 50 records
// (a gateway capping `limit`): the exception's Ticket, YtxClient.Resolve and
// ResolveAsync, the four statuses, the cursor, AutoCustomParm, and the
// YTX_RESOLUTION_* constants of ytx.h. Tickets sent "long ago" are written in
// the documented text format, so nothing sleeps.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using Ytx;

internal static partial class YtxTests
{
    private const string LostDst = "19900000002"; // the emulator's dropped-connection fault

    private static void RunResolveTests()
    {
        using (Emu emu = Emu.Start("--max-records-per-page 50"))
        {
            Run("resolve: a lost answer's Ticket resolves as Placed behind a page capped at 50", () => TestResolvePlaced(emu));
            Run("resolve: NotPlaced only after the bound, NotKnownYet before it", () => TestResolveBound(emu));
            Run("resolve: out of pages is NotKnownYet with a cursor; resuming finds the call", () => TestResolveCursor(emu));
            Run("resolve: voice code, no customParm, no ticket: CannotBeResolved; bad input names the field", () => TestResolveCannot(emu));
            Run("resolve: AutoCustomParm makes a bare call resolvable; ResolveAsync", () => TestResolveAuto(emu));
        }
    }

    private static string TicketText(string parm, long sent, string anchor = "")
    {
        string enc = string.Concat(System.Text.Encoding.UTF8.GetBytes(parm).Select(b =>
            (b < 128 && (char.IsLetterOrDigit((char)b) || "_.~".IndexOf((char)b) >= 0))
                ? ((char)b).ToString() : "%" + b.ToString("X2", CultureInfo.InvariantCulture)));
        return "ytx-ticket:1;kind=callback;sent=" + sent.ToString(CultureInfo.InvariantCulture)
            + ";credit=600;srctimeout=;dsttimeout=;anchor=" + anchor + ";customParm=" + enc;
    }

    private static YtxClient ResolveClient(Emu emu, bool? auto = null)
    {
        return new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = emu.BaseUrl, AutoCustomParm = auto });
    }

    private static void TestResolvePlaced(Emu emu)
    {
        using (YtxClient c = ResolveClient(emu))
        using (YtxClient other = ResolveClient(emu))
        {
            string anchor = c.CallbackCall("13800138000", "13900139000", 600, new CallbackOptions { CustomParm = "cs-before" }).RequestId;
            for (int i = 0; i < 60; i++)
            {
                other.CallbackCall("13800138000", "13900139000", 600, new CallbackOptions { CustomParm = "cs-other-" + i });
            }
            var e = Throws<YtxTransportException>(() =>
                c.CallbackCall("13800138000", LostDst, 600, new CallbackOptions { CustomParm = "cs-lost" }));
            Equal(YtxDelivery.Unknown, e.Delivery, "delivery");
            StartsWith(e.Ticket, "ytx-ticket:1;kind=callback;", "ticket");
            Contains(e.Ticket, "anchor=" + anchor + ";", "the anchor is the last accepted call");
            YtxResolution r = c.Resolve(e);
            Equal(YtxResolutionStatus.Placed, r.Status, "status: " + r.Reason);
            Equal("cs-lost", r.Record.CustomParm, "the record");
            Check(r.CheckAgainAt == null && r.Cursor == null, "nothing to ask again");
            using (YtxClient fresh = ResolveClient(emu))
            {
                Equal(YtxResolutionStatus.Placed, fresh.Resolve(e.Ticket).Status, "from the saved text");
            }
        }
    }

    private static void TestResolveBound(Emu emu)
    {
        using (YtxClient c = ResolveClient(emu))
        {
            YtxResolution r = c.Resolve(TicketText("cs-never", 1000));
            Equal(YtxResolutionStatus.NotPlaced, r.Status, "long ago: " + r.Reason);
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            r = c.Resolve(TicketText("cs-never", now));
            Equal(YtxResolutionStatus.NotKnownYet, r.Status, "just now: " + r.Reason);
            Equal((DateTimeOffset?)DateTimeOffset.FromUnixTimeSeconds(now + 780), r.CheckAgainAt, "ask again at the bound");
            Check(r.Record == null && r.Cursor == null, "no record, cursor at the anchor");
        }
    }

    private static void TestResolveCursor(Emu emu)
    {
        using (YtxClient c = ResolveClient(emu))
        {
            c.CallbackCall("13800138000", "13900139000", 600, new CallbackOptions { CustomParm = "cs-resume" });
            string t = TicketText("cs-resume", 1000);
            YtxResolution r = c.Resolve(t, maxPages: 1);
            int steps = 0;
            while (r.Status == YtxResolutionStatus.NotKnownYet)
            {
                Check(r.Cursor != null && r.CheckAgainAt != null, "a cursor and a time: " + r.Reason);
                Check(++steps < 50, "resuming gets somewhere");
                r = c.Resolve(t, r.Cursor, maxPages: 1);
            }
            Equal(YtxResolutionStatus.Placed, r.Status, "found: " + r.Reason);
            Check(steps >= 1, "the one-page budget ran out at least once");
        }
    }

    private static void TestResolveCannot(Emu emu)
    {
        using (YtxClient c = ResolveClient(emu))
        {
            var e = Throws<YtxTransportException>(() => c.CallbackCall("13800138000", LostDst, 600));
            YtxResolution r = c.Resolve(e);
            Equal(YtxResolutionStatus.CannotBeResolved, r.Status, "no customParm");
            Contains(r.Reason, "customParm", "reason");
            e = Throws<YtxTransportException>(() => c.VoiceCode(LostDst, null, "1234"));
            Equal(YtxResolutionStatus.CannotBeResolved, c.Resolve(e).Status, "voice code");
            var notUnknown = new YtxException("x", YtxResultCode.NotSent, YtxDelivery.NotSent);
            Check(notUnknown.Ticket == null, "no ticket");
            Equal(YtxResolutionStatus.CannotBeResolved, c.Resolve(notUnknown).Status, "no ticket");
            Equal("ticket", Throws<YtxArgumentException>(() => c.Resolve("ytx-ticket:2;x")).Field, "bad ticket");
            Equal("cursor", Throws<YtxArgumentException>(() => c.Resolve(TicketText("a", 1), "a-b")).Field, "bad cursor");
            // A far-future sent: refused; the latest accepted still gives a date (9999-12-31T23:59:59Z).
            Func<long, string> far = sent => "ytx-ticket:1;kind=callback;sent=" + sent.ToString(CultureInfo.InvariantCulture)
                + ";credit=4294967295;srctimeout=4294967295;dsttimeout=4294967295;anchor=;customParm=csfar";
            YtxResolution latest = c.Resolve(far(240517398854L));
            Equal(YtxResolutionStatus.NotKnownYet, latest.Status, "latest sent: " + latest.Reason);
            Equal((DateTimeOffset?)DateTimeOffset.FromUnixTimeSeconds(253402300799L), latest.CheckAgainAt, "the last second of 9999");
            Equal("ticket", Throws<YtxArgumentException>(() => c.Resolve(far(240517398855L))).Field, "sent past the cap");
            Equal("ticket", Throws<YtxArgumentException>(() => c.Resolve(far(253402300799L))).Field, "sent in 9999");
            Equal("max_pages", Throws<YtxArgumentException>(() => c.Resolve(TicketText("a", 1), maxPages: 0)).Field, "max_pages");
            Equal("deadline", Throws<YtxArgumentException>(() => c.Resolve(TicketText("a", 1), deadline: TimeSpan.Zero)).Field, "deadline");
        }
    }

    private static void TestResolveAuto(Emu emu)
    {
        using (YtxClient c = ResolveClient(emu, true))
        {
            var e = Throws<YtxTransportException>(() => c.CallbackCall("13800138000", LostDst, 600));
            Contains(e.Ticket, "customParm=ytx", "an automatic customParm");
            YtxResolution r = c.ResolveAsync(e).GetAwaiter().GetResult();
            Equal(YtxResolutionStatus.Placed, r.Status, "placed: " + r.Reason);
            StartsWith(r.Record.CustomParm, "ytx-", "the record's customParm");
            r = c.ResolveAsync(TicketText("cs-never", 1000), deadline: TimeSpan.FromSeconds(30), maxPages: 1000).GetAwaiter().GetResult();
            Equal(YtxResolutionStatus.NotPlaced, r.Status, "async from text: " + r.Reason);
        }
    }
}
