// A receiver for the pushes the ytx.net platform POSTs to your application's
// callback URL (state pushes and call-record pushes), with HttpListener,
// feeding a YtxTracker: the library turns the pushes (unsigned hints, lost,
// repeated, reordered, forged) and the signed record query (the truth) into
// one event per fact, and this program prints them.
//
//   mcs -r:Ytx.dll -out:PushReceiver.exe PushReceiver.cs
//   YTX_ACCOUNT_SID=... YTX_AUTH_TOKEN=... YTX_APP_ID=... [YTX_BASE_URL=...] \
//   mono PushReceiver.exe http://127.0.0.1:8088/ [--secret-path /SOME-RANDOM-PATH]
//        [--read-deadline-ms MS] [--verify always|when_no_record_push|never] [--exit-on-stdin-eof]
//
// Point the app's callback URL (the ytx.net console; the emulator's --push-url)
// at it. Which calls it watches: in your application, make the tracker on the
// client that places the calls (every callback call it places is tracked).
// This program places none: it watches the requestIds it reads on stdin, one a
// line (or a line of YtxPendingCall.Json, kept over a restart). It prints:
//   listening on http://127.0.0.1:8088/
//   state <requestId> <src|dst|?> <number> <state> <timestamp>
//   completed <requestId> customParm=... duration=... amount=... url=... desc=... verified=True|False
//   resolved customParm=... placed=True|False requestId=...
//   overdue <requestId> <why>
//   unrecognised push: <why>           (forged, another app's, an SMS report)
//   answered 400: not JSON
//   refused: <status> (<why>)
//
// What it shows:
//   * it hands the body to tracker.OnPush(body, request.RawUrl) and answers the
//     status that returns at once (200 for anything that is JSON, 400 for a
//     body that is not); OnPush never touches the network. The routing key the
//     platform appends to the URL (?Call, ?CallState; ?SMS is not a call's) is
//     the library's rule, and so are de-duplication (PROTOCOL.md's keys),
//     ordering each leg's states, and dropping pushes for no watched call;
//   * a second thread takes the tracker's events (tracker.NextEvent()): the
//     tracker has no thread of its own and works there (record queries, with
//     backoff, within a budget; a record is confirmed by the signed query
//     before it is reported, unless --verify says otherwise);
//   * pushes are unauthenticated, so it follows PROTOCOL.md's "Protecting a
//     receiver": a body limit (64 KiB; a record push is a few hundred bytes),
//     and a Content-Length over it, or none, refused at once (413 / 411),
//     before any body is read (HttpListener itself answers 400 to a negative
//     one); a read deadline per request (10 s: a slow client is cut off); each
//     request on the thread pool, at most MaxConcurrent at once, so one slow
//     client cannot stop the others; optionally an unguessable path
//     (--secret-path), compared in constant time (any other path: 404).
// A real receiver would hand the events to a queue instead of printing them,
// and keep tracker.Pending()'s Json over a restart. Under Mono, HttpListener
// prefixes are like http://127.0.0.1:PORT/ (or http://*:PORT/ for every interface).

using System;
using System.Globalization;
using System.IO;
using System.Net;
using System.Text;
using System.Threading;
using Ytx;

internal static class PushReceiver
{
    private const int MaxBody = 64 * 1024;
    private const int MaxConcurrent = 64;

    private static readonly object _lock = new object();
    private static YtxTracker _tracker;
    private static readonly SemaphoreSlim _slots = new SemaphoreSlim(MaxConcurrent);
    private static string _secretPath;
    private static int _readDeadlineMs = 10000;

    private static int Main(string[] args)
    {
        YtxVerify verify = YtxVerify.Always;
        string prefix = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal)
            ? args[0]
            : "http://127.0.0.1:8088/";
        for (int i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "--secret-path")
            {
                _secretPath = args[i + 1];
            }
            else if (args[i] == "--read-deadline-ms")
            {
                _readDeadlineMs = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--verify")
            {
                verify = args[i + 1] == "never" ? YtxVerify.Never
                    : args[i + 1] == "when_no_record_push" ? YtxVerify.WhenNoRecordPush : YtxVerify.Always;
            }
        }
        string baseUrl = Environment.GetEnvironmentVariable("YTX_BASE_URL");
        var client = new YtxClient(
            Environment.GetEnvironmentVariable("YTX_ACCOUNT_SID"), Environment.GetEnvironmentVariable("YTX_AUTH_TOKEN"),
            Environment.GetEnvironmentVariable("YTX_APP_ID"),
            new YtxClientOptions { BaseUrl = string.IsNullOrEmpty(baseUrl) ? null : baseUrl });
        _tracker = new YtxTracker(client, new YtxTrackerOptions { Verify = verify });
        var events = new Thread(PrintEvents) { IsBackground = true };
        events.Start();
        var listener = new HttpListener();
        listener.Prefixes.Add(prefix);
        listener.Start();
        Console.OutputEncoding = new UTF8Encoding(false); // stateDesc is Chinese
        Console.Out.NewLine = "\n";
        Console.WriteLine("listening on " + prefix);
        Console.Out.Flush();

        bool exitOnEof = Array.IndexOf(args, "--exit-on-stdin-eof") >= 0;
        var watch = new Thread(() =>
        {
            // Each line a call to watch: a requestId, or a YtxPendingCall.Json line.
            string line;
            while ((line = Console.In.ReadLine()) != null)
            {
                line = line.Trim();
                try
                {
                    if (line.StartsWith("{", StringComparison.Ordinal))
                    {
                        _tracker.Restore(line);
                    }
                    else if (line.Length > 0)
                    {
                        _tracker.Track(line);
                    }
                }
                catch (YtxArgumentException e)
                {
                    Print("not watched: " + e.Message);
                }
            }
            if (exitOnEof)
            {
                // Exit rather than listener.Stop(): under Mono 6.8, stopping a
                // listener while another thread waits in GetContext sometimes
                // aborts the process in its I/O thread.
                _tracker.Dispose(); // the events thread returns from NextEvent
                events.Join(TimeSpan.FromSeconds(10));
                lock (_lock)
                {
                    Console.Out.Flush();
                    Environment.Exit(0);
                }
            }
        });
        watch.IsBackground = true;
        watch.Start();

        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = listener.GetContext();
            }
            catch (Exception) when (!listener.IsListening)
            {
                break; // stopped
            }
            catch (HttpListenerException)
            {
                continue;
            }
            _slots.Wait(); // full: the next requests wait for a slot
            ThreadPool.QueueUserWorkItem(_ =>
            {
                try
                {
                    Serve(context);
                }
                finally
                {
                    _slots.Release();
                }
            });
        }
        return 0;
    }

    private static void Serve(HttpListenerContext context)
    {
        HttpListenerRequest request = context.Request;
        if (_secretPath != null && !SameSecret(request.Url.AbsolutePath, _secretPath))
        {
            Refuse(context, 404, "wrong path");
            return;
        }
        if (request.HttpMethod != "POST")
        {
            Refuse(context, 405, "not POST");
            return;
        }
        if (request.ContentLength64 < 0)
        {
            Refuse(context, 411, "no Content-Length");
            return;
        }
        if (request.ContentLength64 > MaxBody)
        {
            Refuse(context, 413, "Content-Length over the limit");
            return;
        }
        byte[] body = ReadBody(context, (int)request.ContentLength64);
        if (body == null)
        {
            return;
        }
        int status = _tracker.OnPush(body, request.RawUrl); // at once: no network
        if (status != 200)
        {
            Print("answered " + status + ": not JSON");
        }
        Answer(context.Response, status);
    }

    /// <summary>Equal strings, in a time that depends on the lengths only.</summary>
    private static bool SameSecret(string a, string b)
    {
        int diff = a.Length ^ b.Length;
        for (int i = 0; i < b.Length; i++)
        {
            diff |= (i < a.Length ? a[i] : 0) ^ b[i];
        }
        return diff == 0;
    }

    /// <summary>The body (exactly <paramref name="length"/> bytes), or null when it did not arrive within the read deadline.</summary>
    private static byte[] ReadBody(HttpListenerContext context, int length)
    {
        var body = new byte[length];
        int got = 0;
        // The whole body within the deadline: a client that sends a byte now
        // and then is cut off all the same.
        using (var deadline = new Timer(_ => context.Response.Abort(), null, _readDeadlineMs, Timeout.Infinite))
        {
            try
            {
                int n;
                while (got < length && (n = context.Request.InputStream.Read(body, got, length - got)) > 0)
                {
                    got += n;
                }
            }
            catch (Exception e) when (e is IOException || e is HttpListenerException || e is ObjectDisposedException)
            {
            }
        }
        if (got < length)
        {
            Print("refused: cut off (the body did not arrive within the read deadline)");
            context.Response.Abort();
            return null;
        }
        return body;
    }

    private static void Refuse(HttpListenerContext context, int status, string why)
    {
        Print("refused: " + status + " (" + why + ")");
        try
        {
            context.Response.StatusCode = status;
            context.Response.KeepAlive = false;
            context.Response.ContentLength64 = 0;
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException || e is IOException || e is ObjectDisposedException)
        {
        }
    }

    private static void Answer(HttpListenerResponse response, int status)
    {
        try
        {
            byte[] ok = Encoding.ASCII.GetBytes(status == 200 ? "ok" : "no");
            response.StatusCode = status;
            response.ContentType = "text/plain";
            response.ContentLength64 = ok.Length;
            response.OutputStream.Write(ok, 0, ok.Length);
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException || e is IOException || e is ObjectDisposedException)
        {
            // The platform hung up; nothing to do.
        }
    }

    /// <summary>The tracker's events, one line each, until it is disposed.</summary>
    private static void PrintEvents()
    {
        YtxEvent e;
        while ((e = _tracker.NextEvent()) != null)
        {
            Print(Describe(e));
        }
    }

    private static string Describe(YtxEvent e)
    {
        switch (e.Kind)
        {
            case YtxEventKind.LegState:
                // State is YtxCallState.Unknown for a state this library does not
                // know; StateText keeps what was sent.
                return "state " + e.RequestId + " " + (e.Leg ?? "?") + " " + e.Number + " " + e.StateText + " " + e.Timestamp;
            case YtxEventKind.Completed:
                // Once per call. Amount is exact (decimal); AmountFen is whole fen.
                YtxCallRecord r = e.Record;
                return "completed " + e.RequestId +
                       " customParm=" + (r.CustomParm ?? "-") +
                       " duration=" + (r.Duration.HasValue ? r.Duration.Value.ToString(CultureInfo.InvariantCulture) : "-") +
                       " amount=" + (r.Amount.HasValue ? r.Amount.Value.ToString(CultureInfo.InvariantCulture) : r.AmountText ?? "-") +
                       " url=" + (r.RecordingUrl ?? "-") +
                       " desc=" + (r.StateDesc ?? "-") +
                       " verified=" + e.Verified;
            case YtxEventKind.Resolved:
                return "resolved customParm=" + e.CustomParm + " placed=" + (e.Placed.HasValue ? e.Placed.Value.ToString() : "unknown") +
                       " requestId=" + (e.RequestId.Length > 0 ? e.RequestId : "-");
            case YtxEventKind.Overdue:
                return "overdue " + (e.RequestId.Length > 0 ? e.RequestId : e.CustomParm) + " " + e.Reason;
            default:
                return "unrecognised push: " + e.Reason;
        }
    }

    private static void Print(string line)
    {
        lock (_lock)
        {
            Console.WriteLine(line);
            Console.Out.Flush();
        }
    }
}
