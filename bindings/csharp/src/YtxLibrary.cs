using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;

namespace Ytx
{
    /// <summary>
    /// Facts about the loaded native library (<c>ytx.dll</c> / <c>libytx.so</c>): its
    /// version, its defaults and tables, and its live-object counters.
    /// </summary>
    /// <remarks>
    /// The first use of the library through this binding (a <see cref="YtxClient"/>,
    /// <see cref="YtxPush.Parse(byte[])"/>, <see cref="YtxLog"/>, or any member here but
    /// <see cref="Version"/> and <see cref="VersionNumber"/>) checks that the library is
    /// a version this binding was built for (<see cref="BindingVersionNumber"/>: the same
    /// major version, and for 0.x the same minor, as the Python binding does), and
    /// throws <see cref="YtxLibraryVersionException"/> if not, every time, before
    /// anything else reaches it.
    /// </remarks>
    public static class YtxLibrary
    {
        /// <summary>The native API version this binding was written for (<c>YTX_VERSION</c> in <c>ytx.h</c>).</summary>
        public const string BindingVersion = "0.1.0";

        /// <summary>
        /// <see cref="BindingVersion"/> as <c>major * 10000 + minor * 100 + patch</c>
        /// (<c>YTX_VERSION_NUMBER</c> in <c>ytx.h</c>; a test checks both against the header).
        /// </summary>
        public const int BindingVersionNumber = 100;

        private static readonly object LoadGate = new object();
        private static volatile bool _checked;

        /// <summary>
        /// The native library's version, e.g. <c>"0.1.0"</c> (<c>ytx_version</c>). Read
        /// without the version check, so that a mismatch can be reported.
        /// </summary>
        /// <exception cref="DllNotFoundException">The native library was not found.</exception>
        public static string Version
        {
            get { return Raw(() => NativeProxy.ytx_version()); }
        }

        /// <summary>
        /// The native library's version as <c>major * 10000 + minor * 100 + patch</c>
        /// (<c>ytx_version_number</c>). Read without the version check.
        /// </summary>
        /// <exception cref="DllNotFoundException">The native library was not found.</exception>
        public static int VersionNumber
        {
            get { return (int)Raw(() => NativeProxy.ytx_version_number()); }
        }

        /// <summary>
        /// The number of native clients created and not yet released, in this process
        /// (<c>ytx_live_clients</c>): a leak check for tests and long-running services.
        /// </summary>
        public static long LiveClients
        {
            get { return (long)Native(() => NativeProxy.ytx_live_clients()).ToUInt64(); }
        }

        /// <summary>
        /// The number of other native objects handed out and not yet freed in this
        /// process: outcomes, pushes, record lists and balances
        /// (<c>ytx_live_objects</c>). The binding frees each before its method returns,
        /// so between calls this is back to its old value: an exact leak check.
        /// </summary>
        public static long LiveObjects
        {
            get { return (long)Native(() => NativeProxy.ytx_live_objects()).ToUInt64(); }
        }

        /// <summary>The production base URL, the default (<c>ytx_production_url</c>, e.g. <c>http://api.ytx.net</c>).</summary>
        public static string ProductionUrl
        {
            get { return Native(() => NativeProxy.ytx_production_url()); }
        }

        /// <summary>The sandbox base URL (<c>ytx_sandbox_url</c>), used with <see cref="YtxEnvironment.Sandbox"/>.</summary>
        public static string SandboxUrl
        {
            get { return Native(() => NativeProxy.ytx_sandbox_url()); }
        }

        /// <summary>
        /// The platform statusCodes the library explains (<c>ytx_status_code_at</c>),
        /// e.g. <c>"-104"</c>, <c>"-204"</c>; see <see cref="ExplainStatusCode"/>.
        /// </summary>
        public static IReadOnlyList<string> StatusCodes
        {
            get
            {
                return Native(() =>
                {
                    var codes = new List<string>();
                    ulong n = NativeProxy.ytx_status_code_count().ToUInt64();
                    for (ulong i = 0; i < n; i++)
                    {
                        codes.Add(NativeProxy.ytx_status_code_at(new UIntPtr(i)));
                    }
                    return new ReadOnlyCollection<string>(codes);
                });
            }
        }

        /// <summary>
        /// What a platform statusCode means and what to do about it (e.g. for
        /// <c>"-204"</c>: balance too low), from the library's table
        /// (<c>ytx_explain_status_code</c>); <c>null</c> for a code it does not know.
        /// <see cref="YtxPlatformException"/>'s message already carries it.
        /// </summary>
        public static string ExplainStatusCode(string statusCode)
        {
            if (statusCode == null || statusCode.IndexOf('\0') >= 0)
            {
                return null;
            }
            byte[] code = Utf8.Encode(statusCode, "status_code");
            return Native(() => NativeProxy.ytx_explain_status_code(code));
        }

        /// <summary>The C name of a result code, e.g. <c>"YTX_ERR_TIMEOUT"</c>, or <c>"YTX_UNKNOWN"</c> (<c>ytx_result_name</c>).</summary>
        public static string ResultName(YtxResultCode code)
        {
            return ResultName(unchecked((uint)code));
        }

        /// <summary>The C name of a delivery state, e.g. <c>"YTX_DELIVERY_NOT_SENT"</c>, or <c>"YTX_UNKNOWN"</c> (<c>ytx_delivery_name</c>).</summary>
        public static string DeliveryName(YtxDelivery delivery)
        {
            return Native(() => NativeProxy.ytx_delivery_name(unchecked((uint)delivery)));
        }

        /// <summary>The C name of a resolution status, e.g. <c>"YTX_RESOLUTION_PLACED"</c>, or <c>"YTX_UNKNOWN"</c> (<c>ytx_resolution_status_name</c>).</summary>
        public static string ResolutionStatusName(YtxResolutionStatus status)
        {
            return Native(() => NativeProxy.ytx_resolution_status_name((uint)status));
        }

        internal static string ResultName(uint code)
        {
            return Native(() => NativeProxy.ytx_result_name(code));
        }

        /// <summary>The client option names <c>ytx_client_new</c> accepts (<c>ytx_client_option_name</c>).</summary>
        internal static List<string> ClientOptionNames()
        {
            return Native(() => Names(NativeProxy.ytx_client_option_count(), NativeProxy.ytx_client_option_name));
        }

        /// <summary>The callback call's optional fields by wire name, in wire order (<c>ytx_callback_option_name</c>).</summary>
        internal static List<string> CallbackOptionNames()
        {
            return Native(() => Names(NativeProxy.ytx_callback_option_count(), NativeProxy.ytx_callback_option_name));
        }

        private static List<string> Names(UIntPtr count, Func<UIntPtr, string> name)
        {
            var names = new List<string>();
            for (ulong i = 0; i < count.ToUInt64(); i++)
            {
                names.Add(name(new UIntPtr(i)));
            }
            return names;
        }

        /// <summary>
        /// Checks once per process that the native library is loadable and of a
        /// version this binding was built for; throws on every call until it is.
        /// Every entry into the library goes through this first.
        /// </summary>
        /// <exception cref="DllNotFoundException">The library was not found.</exception>
        /// <exception cref="YtxLibraryVersionException">It is another version.</exception>
        internal static void EnsureLoaded()
        {
            if (_checked)
            {
                return;
            }
            lock (LoadGate)
            {
                if (_checked)
                {
                    return;
                }
                uint found = Raw(() => NativeProxy.ytx_version_number());
                if (!Compatible(found, BindingVersionNumber))
                {
                    string text = Raw(() => NativeProxy.ytx_version());
                    throw new YtxLibraryVersionException(
                        "The loaded ytx native library is ytx " + text + " (version number " +
                        found.ToString(CultureInfo.InvariantCulture) + "), but this binding (Ytx.dll) was built for ytx " +
                        BindingVersion + " (version number " + BindingVersionNumber.ToString(CultureInfo.InvariantCulture) +
                        "): install the native library and Ytx.dll of the same release.",
                        text, (int)found, BindingVersionNumber);
                }
                _checked = true;
            }
        }

        /// <summary>
        /// Whether a library of version number <paramref name="found"/> serves a binding
        /// built for <paramref name="expected"/>: the same major version; for 0.x also the
        /// same minor (0.x minors may break); from 1.0 a minor at least as new.
        /// </summary>
        internal static bool Compatible(uint found, int expected)
        {
            long fMajor = found / 10000, fMinor = found / 100 % 100;
            long eMajor = expected / 10000, eMinor = expected / 100 % 100;
            if (fMajor != eMajor)
            {
                return false;
            }
            return eMajor == 0 ? fMinor == eMinor : fMinor >= eMinor;
        }

        /// <summary>Runs <paramref name="f"/> against the library after <see cref="EnsureLoaded"/>.</summary>
        internal static T Native<T>(Func<T> f)
        {
            EnsureLoaded();
            return Raw(f);
        }

        /// <summary>Runs <paramref name="f"/> with the library's load errors explained; no version check.</summary>
        private static T Raw<T>(Func<T> f)
        {
            try
            {
                return f();
            }
            catch (DllNotFoundException e)
            {
                throw NotFound(e);
            }
            catch (EntryPointNotFoundException e)
            {
                throw Mismatch(e);
            }
        }

        internal static DllNotFoundException NotFound(DllNotFoundException e)
        {
            return new DllNotFoundException(
                "The ytx native library was not found. Put ytx.dll next to your application (Windows), " +
                "or make libytx.so findable (Linux: LD_LIBRARY_PATH, a system library directory, or " +
                "with Mono the Ytx.dll.config dllmap next to Ytx.dll), or use the NuGet " +
                "runtimes/<rid>/native/ layout. See the binding's README. (" + e.Message + ")", e);
        }

        internal static EntryPointNotFoundException Mismatch(EntryPointNotFoundException e)
        {
            return new EntryPointNotFoundException(
                "The loaded ytx native library lacks an entry point this binding (for ytx " + BindingVersion +
                ") needs: the library and Ytx.dll are from different versions. (" + e.Message + ")", e);
        }
    }

    /// <summary>
    /// The native library found is a version this binding was not built for (see
    /// <see cref="YtxLibrary"/>): install <c>libytx</c> / <c>ytx.dll</c> and
    /// <c>Ytx.dll</c> of the same release. Like <see cref="DllNotFoundException"/> and
    /// <see cref="EntryPointNotFoundException"/>, it is a <see cref="TypeLoadException"/>.
    /// </summary>
    public sealed class YtxLibraryVersionException : TypeLoadException
    {
        /// <summary>Creates the exception (the binding makes these).</summary>
        public YtxLibraryVersionException(string message, string foundVersion, int foundVersionNumber, int expectedVersionNumber)
            : base(message)
        {
            FoundVersion = foundVersion ?? string.Empty;
            FoundVersionNumber = foundVersionNumber;
            ExpectedVersionNumber = expectedVersionNumber;
        }

        /// <summary>The loaded library's <c>ytx_version()</c>, e.g. <c>"0.2.0"</c>.</summary>
        public string FoundVersion { get; }

        /// <summary>The loaded library's <c>ytx_version_number()</c>.</summary>
        public int FoundVersionNumber { get; }

        /// <summary>The version number this binding was built for (<see cref="YtxLibrary.BindingVersionNumber"/>).</summary>
        public int ExpectedVersionNumber { get; }
    }
}
