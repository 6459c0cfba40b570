// A receiver for the pushes the ytx.net platform POSTs to your application's
// callback URL (state pushes and call-record pushes), with HttpListener.
//
//   mcs -r:Ytx.dll -out:PushReceiver.exe PushReceiver.cs
//   mono PushReceiver.exe http://127.0.0.1:8088/ [--secret-path /SOME-RANDOM-PATH]
//        [--read-deadline-ms MS] [--exit-on-stdin-eof]
//
// Point the app's callback URL (the ytx.net console; the emulator's --push-url)
// at it. It prints one line per push:
//   listening on http://127.0.0.1:8088/
//   state <requestId> <number> <state> <timestamp>
//   record <requestId> customParm=... duration=... amount=... url=... desc=...
//   duplicate state|record <requestId> (ignored)
//   bad push: <the library's reason>
//   refused: <status> (<why>)
//
// What it shows:
//   * it answers 200 at once, before doing anything with the body (the platform
//     only needs to know the push arrived; a slow answer invites a resend);
//   * the body is parsed by the library, routed by the key the platform appends
//     to the URL (?Call: a record push, ?CallState: a state push; by the body's
//     shape without one): YtxPush.Parse(body, request.RawUrl);
//   * pushes are unauthenticated, so it follows PROTOCOL.md's "Protecting a
//     receiver": a body limit (64 KiB; a record push is a few hundred bytes),
//     and a Content-Length over it, or none, refused at once (413 / 411),
//     before any body is read (HttpListener itself answers 400 to a negative
//     one); a read deadline per request (10 s: a slow client is cut off); each
//     request on the thread pool, at most MaxConcurrent at once, so one slow
//     client cannot stop the others; optionally an unguessable path
//     (--secret-path), compared in constant time (any other path: 404);
//   * it is idempotent by PROTOCOL.md's keys: pushes can arrive twice and out
//     of order, so a state push is keyed by requestId, number, state and
//     timestamp (never by requestId alone: several pushes share it) and a
//     record by requestId; the newest MaxRemembered keys are kept (bounded);
//   * a push is not authenticated: confirm what moves money with
//     client.CallRecord(requestId) before you bill on it.
// A real receiver would keep the keys in its database (a unique key), and hand
// the work to a queue instead of printing it. Under Mono, HttpListener prefixes
// are like http://127.0.0.1:PORT/ (or http://*:PORT/ for every interface).

using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Text;
using System.Threading;
using Ytx;

internal static class PushReceiver
{
    private const int MaxBody = 64 * 1024;
    private const int MaxConcurrent = 64;
    private const int MaxRemembered = 100000;

    // The keys of the pushes already handled, oldest first (bounded).
    private static readonly HashSet<string> _seen = new HashSet<string>(StringComparer.Ordinal);
    private static readonly Queue<string> _seenOrder = new Queue<string>();
    private static readonly object _lock = new object();
    private static readonly SemaphoreSlim _slots = new SemaphoreSlim(MaxConcurrent);
    private static string _secretPath;
    private static int _readDeadlineMs = 10000;

    private static int Main(string[] args)
    {
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
                _readDeadlineMs = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        var listener = new HttpListener();
        listener.Prefixes.Add(prefix);
        listener.Start();
        Console.OutputEncoding = new UTF8Encoding(false); // stateDesc is Chinese
        Console.Out.NewLine = "\n";
        Console.WriteLine("listening on " + prefix);
        Console.Out.Flush();

        if (Array.IndexOf(args, "--exit-on-stdin-eof") >= 0)
        {
            var watch = new Thread(() =>
            {
                while (Console.In.ReadLine() != null)
                {
                }
                // Exit rather than listener.Stop(): under Mono 6.8, stopping a
                // listener while another thread waits in GetContext sometimes
                // aborts the process in its I/O thread.
                lock (_lock)
                {
                    Console.Out.Flush();
                    Environment.Exit(0);
                }
            });
            watch.IsBackground = true;
            watch.Start();
        }

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
        Answer(context.Response); // 200 at once, whatever the body is
        Handle(body, request.RawUrl);
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

    private static void Answer(HttpListenerResponse response)
    {
        try
        {
            byte[] ok = Encoding.ASCII.GetBytes("ok");
            response.StatusCode = 200;
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

    private static void Handle(byte[] body, string target)
    {
        YtxPush push;
        try
        {
            push = YtxPush.Parse(body, target); // routed by ?Call / ?CallState
        }
        catch (YtxProtocolException e)
        {
            Print("bad push: " + e.Message); // still answered 200: a resend would not be better
            return;
        }

        var state = push as YtxStatePush;
        if (state != null)
        {
            if (!FirstTime("state " + state.RequestId + " " + state.Number + " " + state.StateText + " " + state.TimestampText))
            {
                Print("duplicate state " + state.RequestId + " (ignored)");
                return;
            }
            // state.State is YtxCallState.Unknown for a state this library does
            // not know; StateText keeps what was sent.
            string at = state.Timestamp.HasValue
                ? state.Timestamp.Value.ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture)
                : state.TimestampText;
            Print("state " + state.RequestId + " " + state.Number + " " + state.StateText + " " + at);
            return;
        }

        foreach (YtxCallRecord r in ((YtxRecordPush)push).Records)
        {
            if (!FirstTime("record " + r.RequestId))
            {
                Print("duplicate record " + r.RequestId + " (ignored)");
                continue;
            }
            // Amount is exact (decimal); AmountFen is whole fen. A push is a hint:
            // bill on client.CallRecord(r.RequestId), not on this.
            Print("record " + r.RequestId +
                  " customParm=" + (r.CustomParm ?? "-") +
                  " duration=" + (r.Duration.HasValue ? r.Duration.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-") +
                  " amount=" + (r.Amount.HasValue ? r.Amount.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : r.AmountText ?? "-") +
                  " url=" + (r.RecordingUrl ?? "-") +
                  " desc=" + (r.StateDesc ?? "-"));
        }
    }

    private static bool FirstTime(string key)
    {
        lock (_lock)
        {
            if (!_seen.Add(key))
            {
                return false;
            }
            _seenOrder.Enqueue(key);
            if (_seenOrder.Count > MaxRemembered)
            {
                _seen.Remove(_seenOrder.Dequeue()); // forget the oldest
            }
            return true;
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
