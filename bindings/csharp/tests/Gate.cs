// A gate in front of the emulator: a TCP relay that passes every request on at
// once and holds every answer until the test opens it. A call through a closed
// gate cannot end by its answer, whatever the machine's load: only its own
// timeout, a cancellation or Dispose can end it, and the emulator's request
// count shows when it was sent. The tests that need "a call still in flight"
// use it instead of racing the emulator's slow answer (nothing timed decides
// whether they pass).

using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;

internal static partial class YtxTests
{
    /// <summary>A long client timeout for calls through a <see cref="Gate"/>: they end by what the test does, never by it.</summary>
    private static readonly TimeSpan GateTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Options for a client that calls the suite's emulator through <paramref name="gate"/>.</summary>
    private static Ytx.YtxClientOptions GatedOptions(Gate gate)
    {
        return new Ytx.YtxClientOptions { BaseUrl = gate.BaseUrl, Timeout = GateTimeout };
    }

    private sealed class Gate : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly Uri _target;
        private readonly ManualResetEvent _open = new ManualResetEvent(false);
        private readonly ManualResetEvent _closed = new ManualResetEvent(false);
        private readonly List<TcpClient> _sockets = new List<TcpClient>();
        private readonly Thread _accept;

        /// <summary>A closed gate to <paramref name="targetBaseUrl"/> (default: the suite's emulator).</summary>
        public Gate(string targetBaseUrl = null)
        {
            _target = new Uri(targetBaseUrl ?? _baseUrl);
            _listener = new TcpListener(IPAddress.Loopback, 0); // port 0: no race for a free port
            _listener.Start();
            BaseUrl = "http://127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port;
            _accept = new Thread(Accept) { IsBackground = true, Name = "gate-accept" };
            _accept.Start();
        }

        public string BaseUrl { get; private set; }

        /// <summary>Lets the held answers and every later one through.</summary>
        public void Open()
        {
            _open.Set();
        }

        /// <summary>Closes every connection: the answers held are lost (an outcome unknown to the client).</summary>
        public void Drop()
        {
            lock (_sockets)
            {
                foreach (var s in _sockets)
                {
                    End(s);
                }
                _sockets.Clear();
            }
        }

        public void Dispose()
        {
            _closed.Set();
            try
            {
                _listener.Stop();
            }
            catch (Exception)
            {
            }
            Drop();
            _accept.Join(5000);
        }

        private void Accept()
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = _listener.AcceptTcpClient();
                }
                catch (Exception)
                {
                    return; // stopped
                }
                var server = new TcpClient();
                try
                {
                    server.Connect(_target.Host, _target.Port);
                }
                catch (Exception)
                {
                    client.Close();
                    server.Close();
                    continue;
                }
                lock (_sockets)
                {
                    _sockets.Add(client);
                    _sockets.Add(server);
                }
                Pump(client, server, false);
                Pump(server, client, true);
            }
        }

        /// <summary>Shuts the socket down (waking a blocked read on every runtime), then closes it.</summary>
        private static void End(TcpClient s)
        {
            try
            {
                s.Client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception)
            {
            }
            s.Close();
        }

        /// <summary>Copies <paramref name="from"/> to <paramref name="to"/>; answers wait for the gate to open.</summary>
        private void Pump(TcpClient from, TcpClient to, bool answers)
        {
            var t = new Thread(() =>
            {
                var buf = new byte[64 * 1024];
                try
                {
                    NetworkStream input = from.GetStream();
                    NetworkStream output = to.GetStream();
                    while (true)
                    {
                        int n = input.Read(buf, 0, buf.Length);
                        if (n <= 0)
                        {
                            break;
                        }
                        if (answers && WaitHandle.WaitAny(new WaitHandle[] { _open, _closed }) == 1)
                        {
                            break;
                        }
                        output.Write(buf, 0, n);
                    }
                }
                catch (Exception)
                {
                }
                // One side ended: end the other (the client sees the connection close).
                End(from);
                End(to);
            });
            t.IsBackground = true;
            t.Name = answers ? "gate-answers" : "gate-requests";
            t.Start();
        }
    }
}
