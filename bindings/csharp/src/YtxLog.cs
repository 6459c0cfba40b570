using System;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading;

namespace Ytx
{
    /// <summary>
    /// The levels of the native library's log events (<c>ytx_log_level</c> in
    /// <c>ytx.h</c>), from the most severe to the most verbose. A handler installed
    /// with a minimum level receives the events of that level and the more severe
    /// ones.
    /// </summary>
    public enum YtxLogLevel
    {
        /// <summary>Nothing is logged (as a minimum level: logging off).</summary>
        Off = 0,

        /// <summary>Transport failures, timeouts, answers that are not the platform's (HTTP 500, broken JSON).</summary>
        Error = 1,

        /// <summary>Also platform rejections (statusCode other than <c>"0"</c>) and requests not sent because of an invalid argument.</summary>
        Warn = 2,

        /// <summary>Also one line per accepted request: method, URL with <c>Sign=&lt;redacted&gt;</c>, statusCode, requestId, duration.</summary>
        Info = 3,

        /// <summary>Also each request's JSON body before it is sent (it holds phone numbers: personal data).</summary>
        Debug = 4,
    }

    /// <summary>
    /// The bridge from the native library's process-wide log hook
    /// (<c>ytx_set_logger</c>) to .NET: install one handler with
    /// <see cref="SetHandler"/>, remove it with <see cref="Clear"/>. Logging is off
    /// by default, and then costs nothing (managed code is never entered).
    /// </summary>
    /// <remarks>
    /// <para><b>What is logged.</b> One event per request and per failure, from every
    /// <see cref="YtxClient"/> in the process (see <see cref="YtxLogLevel"/>). Messages
    /// are English, decoded from UTF-8 (a Chinese <c>statusMsg</c> or
    /// <c>CustomParm</c> arrives intact), and never contain the auth token or a
    /// <c>Sign</c> (URLs show <c>Sign=&lt;redacted&gt;</c>). <see cref="YtxLogLevel.Debug"/>
    /// adds request bodies, which hold phone numbers. Not every argument error is
    /// logged: the library logs those it finds while building a request (e.g. a
    /// malformed <c>src</c> or <c>code</c>), but not, at present, a bad
    /// <c>credit</c>, <c>time</c> or <c>ringbacktype</c>, the
    /// <see cref="YtxClient"/> constructor's errors, nor what this binding rejects
    /// before calling it (a <c>null</c>, a NUL character, an unpaired surrogate).
    /// The exception is the authoritative report of a failed call.</para>
    /// <para><b>Threading.</b> The handler runs synchronously, on the thread whose
    /// call is being logged, before that call returns, and possibly on several
    /// threads at once: it must be thread-safe and quick (hand slow work to a queue).
    /// It must not call <see cref="SetHandler"/> or <see cref="Clear"/> (they throw
    /// <see cref="InvalidOperationException"/> there) and should not call a
    /// <see cref="YtxClient"/>: the library drops the events of such nested calls.</para>
    /// <para><b>Failures.</b> An exception thrown by the handler never reaches native
    /// code and never fails the call being logged: it is swallowed and counted in
    /// <see cref="HandlerExceptions"/>.</para>
    /// <para><b>Changing the handler.</b> When <see cref="SetHandler"/> or
    /// <see cref="Clear"/> returns, no thread is still running the previous handler
    /// (the library waits for them), so after <see cref="Clear"/> nothing more is
    /// delivered and whatever the old handler used may be disposed.</para>
    /// <para>Example, to <c>Microsoft.Extensions.Logging</c> (which this assembly does
    /// not depend on):</para>
    /// <code>
    /// YtxLog.SetHandler((level, message) =>
    /// {
    ///     switch (level)
    ///     {
    ///         case YtxLogLevel.Error: logger.LogError("{YtxMessage}", message); break;
    ///         case YtxLogLevel.Warn: logger.LogWarning("{YtxMessage}", message); break;
    ///         case YtxLogLevel.Info: logger.LogInformation("{YtxMessage}", message); break;
    ///         default: logger.LogDebug("{YtxMessage}", message); break;
    ///     }
    /// }, YtxLogLevel.Info);
    /// </code>
    /// </remarks>
    public static class YtxLog
    {
        // Serializes SetHandler/Clear, and with them the bookkeeping of _installed.
        private static readonly object Gate = new object();

        // The GCHandle of the installed Sink, passed to the library as user_data;
        // freed only after ytx_set_logger has replaced it (no thread can then be
        // inside a callback that uses it). Guarded by Gate.
        private static GCHandle _installed;

        private static int _minLevel; // YtxLogLevel, read without the lock
        private static long _handlerExceptions;

        // True while this thread runs the handler (the library refuses
        // ytx_set_logger there; SetHandler would also wait on Gate forever if
        // another thread held it while waiting for this callback to return).
        [ThreadStatic]
        private static bool _inHandler;

        /// <summary>
        /// The minimum level of the installed handler, or <see cref="YtxLogLevel.Off"/>
        /// when none is installed (the default).
        /// </summary>
        public static YtxLogLevel MinLevel
        {
            get { return (YtxLogLevel)Volatile.Read(ref _minLevel); }
        }

        /// <summary>Whether a handler is installed (<see cref="MinLevel"/> is not <see cref="YtxLogLevel.Off"/>).</summary>
        public static bool IsEnabled
        {
            get { return MinLevel != YtxLogLevel.Off; }
        }

        /// <summary>
        /// How many exceptions handlers have thrown since the process started. They
        /// are swallowed (an exception must never unwind into native code, and
        /// logging must never fail a call); watch this counter to notice a broken
        /// handler.
        /// </summary>
        public static long HandlerExceptions
        {
            get { return Interlocked.Read(ref _handlerExceptions); }
        }

        /// <summary>
        /// Installs <paramref name="handler"/> as the process-wide receiver of the
        /// library's log events of level <paramref name="minLevel"/> and more severe,
        /// replacing any previous handler.
        /// </summary>
        /// <param name="handler">Receives each event's level and message, synchronously on the
        /// thread whose call is logged, possibly on several threads at once (see the
        /// remarks on <see cref="YtxLog"/>).</param>
        /// <param name="minLevel">The most verbose level delivered (default
        /// <see cref="YtxLogLevel.Info"/>); <see cref="YtxLogLevel.Off"/> is the same as
        /// <see cref="Clear"/>.</param>
        /// <exception cref="ArgumentNullException"><paramref name="handler"/> is null (use <see cref="Clear"/>).</exception>
        /// <exception cref="YtxArgumentException"><paramref name="minLevel"/> is not a defined level (field <c>min_level</c>).</exception>
        /// <exception cref="InvalidOperationException">Called from inside a log handler.</exception>
        /// <exception cref="DllNotFoundException">The native library was not found.</exception>
        public static void SetHandler(Action<YtxLogLevel, string> handler, YtxLogLevel minLevel = YtxLogLevel.Info)
        {
            if (handler == null)
            {
                throw new ArgumentNullException(nameof(handler), "handler must not be null; use YtxLog.Clear() to stop logging");
            }
            if (minLevel < YtxLogLevel.Off || minLevel > YtxLogLevel.Debug)
            {
                throw new YtxArgumentException(
                    "min_level: must be Off, Error, Warn, Info or Debug (0 to 4), got " +
                    ((int)minLevel).ToString(CultureInfo.InvariantCulture),
                    YtxResultCode.InvalidArgument, "min_level");
            }
            if (minLevel == YtxLogLevel.Off)
            {
                Clear();
                return;
            }
            Install(new Sink(handler), minLevel);
        }

        /// <summary>
        /// Removes the handler: logging is off again, and when this returns no thread
        /// is still running the old handler, so nothing more is delivered to it.
        /// Does nothing when no handler is installed.
        /// </summary>
        /// <exception cref="InvalidOperationException">Called from inside a log handler.</exception>
        public static void Clear()
        {
            Install(null, YtxLogLevel.Off);
        }

        private static void Install(Sink sink, YtxLogLevel minLevel)
        {
            if (_inHandler)
            {
                throw new InvalidOperationException(
                    "YtxLog.SetHandler and YtxLog.Clear cannot be called from inside a ytx log handler.");
            }
            lock (Gate)
            {
                if (sink == null && !_installed.IsAllocated)
                {
                    return; // already off: do not even load the native library
                }
                YtxLibrary.EnsureLoaded();
                GCHandle next = sink == null ? default(GCHandle) : GCHandle.Alloc(sink, GCHandleType.Normal);
                uint rc;
                try
                {
                    rc = sink == null
                        ? NativeProxy.ytx_set_logger(false, IntPtr.Zero, (int)YtxLogLevel.Off)
                        : NativeProxy.ytx_set_logger(true, GCHandle.ToIntPtr(next), (int)minLevel);
                }
                catch (Exception e)
                {
                    if (next.IsAllocated)
                    {
                        next.Free();
                    }
                    var notFound = e as DllNotFoundException;
                    if (notFound != null)
                    {
                        throw YtxLibrary.NotFound(notFound);
                    }
                    var noEntry = e as EntryPointNotFoundException;
                    if (noEntry != null)
                    {
                        throw YtxLibrary.Mismatch(noEntry);
                    }
                    throw;
                }
                if (rc != (uint)YtxResultCode.Ok)
                {
                    // The library kept the previous logger (and its user_data).
                    if (next.IsAllocated)
                    {
                        next.Free();
                    }
                    throw new YtxArgumentException(
                        "ytx_set_logger refused the logger: " + YtxLibrary.ResultName(rc),
                        (YtxResultCode)(int)rc, "min_level");
                }
                // ytx_set_logger has returned: the library holds no reference to the
                // previous user_data and no thread is inside a callback using it.
                if (_installed.IsAllocated)
                {
                    _installed.Free();
                }
                _installed = next;
                Volatile.Write(ref _minLevel, (int)minLevel);
            }
        }

        // The ytx_log_callback. Nothing may escape it: an exception unwinding into
        // the Rust frames below would abort the process (or worse). NativeProxy's one
        // static delegate (kept alive for the process) is what the library calls.
        internal static void OnNativeLog(IntPtr userData, uint level, IntPtr message)
        {
            try
            {
                if (userData == IntPtr.Zero)
                {
                    return;
                }
                var sink = GCHandle.FromIntPtr(userData).Target as Sink;
                if (sink == null)
                {
                    return;
                }
                string text = Utf8.Decode(message); // by hand: UTF-8 on every platform
                _inHandler = true;
                try
                {
                    sink.Handler(ToLevel(level), text);
                }
                finally
                {
                    _inHandler = false;
                }
            }
            catch (Exception)
            {
                try
                {
                    Interlocked.Increment(ref _handlerExceptions);
                }
                catch (Exception)
                {
                    // nothing may escape
                }
            }
        }

        private static YtxLogLevel ToLevel(uint level)
        {
            // A level added by a newer library is reported as the nearest known one.
            if (level > (uint)YtxLogLevel.Debug)
            {
                return YtxLogLevel.Debug;
            }
            if (level < (uint)YtxLogLevel.Error)
            {
                return YtxLogLevel.Error;
            }
            return (YtxLogLevel)(int)level;
        }

        /// <summary>What the library's user_data points at: the handler to call.</summary>
        private sealed class Sink
        {
            internal Sink(Action<YtxLogLevel, string> handler)
            {
                Handler = handler;
            }

            internal Action<YtxLogLevel, string> Handler { get; }
        }
    }

    /// <summary>
    /// Marks a static method that native code calls through a function pointer.
    /// Mono's full AOT (iOS, WebAssembly) and Unity's IL2CPP recognise the attribute
    /// by its name and pre-compile a reverse P/Invoke wrapper for it; the JIT (Mono,
    /// .NET) ignores it.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method)]
    internal sealed class MonoPInvokeCallbackAttribute : Attribute
    {
        /// <summary>Names the delegate type the method is called through.</summary>
        internal MonoPInvokeCallbackAttribute(Type delegateType)
        {
            DelegateType = delegateType;
        }

        /// <summary>The delegate type the method is called through.</summary>
        internal Type DelegateType { get; }
    }
}
