// A receiver for the pushes the ytx.net platform POSTs to your application's
// callback URL (state pushes and call-record pushes), with HttpListener.
//
//   mcs -r:Ytx.dll -out:PushReceiver.exe PushReceiver.cs
//   mono PushReceiver.exe http://127.0.0.1:8088/ [--exit-on-stdin-eof]
//
// Point the app's callback URL (the ytx.net console; the emulator's --push-url)
// at it. It prints one line per push:
//   listening on http://127.0.0.1:8088/
//   state <requestId> <number> <state> <timestamp>
//   record <requestId> customParm=... duration=... amount=... url=... desc=...
//   duplicate state|record <requestId> (ignored)
//   bad push: <the library's reason>
//
// What it shows:
//   * it answers 200 at once, before doing anything with the body (the platform
//     only needs to know the push arrived; a slow answer invites a resend);
//   * the body is parsed by the library (YtxPush.Parse), never by hand;
//   * it is idempotent: pushes can arrive twice and out of order (the record
//     before the last state push), so each is keyed by its requestId and
//     handled once;
//   * a push is not authenticated: confirm what moves money with
//     client.CallRecord(requestId) before you bill on it.
// A real receiver would keep `_seen` in its database (a unique key on
// requestId), and hand the work to a queue instead of printing it.
// Under Mono, HttpListener prefixes are like http://127.0.0.1:PORT/ (or
// http://*:PORT/ to listen on every interface).

using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Text;
using System.Threading;
using Ytx;

internal static class PushReceiver
{
    // The keys of the pushes already handled: "record <requestId>" and
    // "state <requestId> <number> <state> <timestamp>".
    private static readonly HashSet<string> _seen = new HashSet<string>(StringComparer.Ordinal);
    private static readonly object _lock = new object();

    private static int Main(string[] args)
    {
        string prefix = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal)
            ? args[0]
            : "http://127.0.0.1:8088/";
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
            byte[] body = ReadBody(context.Request);
            Answer(context.Response); // 200 at once, whatever the body is
            if (body != null)
            {
                Handle(body);
            }
        }
        return 0;
    }

    /// <summary>The body, at most YtxPush.MaxBodyBytes + 1 bytes (the library refuses more); null if reading failed.</summary>
    private static byte[] ReadBody(HttpListenerRequest request)
    {
        try
        {
            var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int n;
            while (buffer.Length <= YtxPush.MaxBodyBytes && (n = request.InputStream.Read(chunk, 0, chunk.Length)) > 0)
            {
                buffer.Write(chunk, 0, n);
            }
            return buffer.ToArray();
        }
        catch (IOException e)
        {
            Print("bad push: could not read the body: " + e.Message);
            return null;
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

    private static void Handle(byte[] body)
    {
        YtxPush push;
        try
        {
            push = YtxPush.Parse(body);
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
            return _seen.Add(key);
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
