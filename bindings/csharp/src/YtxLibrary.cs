using System;

namespace Ytx
{
    /// <summary>Facts about the loaded native library (<c>ytx.dll</c> / <c>libytx.so</c>).</summary>
    public static class YtxLibrary
    {
        /// <summary>The native API version this binding was written for (<c>YTX_VERSION</c> in <c>ytx.h</c>).</summary>
        public const string BindingVersion = "0.1.0";

        /// <summary>The native library's version, e.g. <c>"0.1.0"</c> (<c>ytx_version</c>).</summary>
        /// <exception cref="DllNotFoundException">The native library was not found.</exception>
        public static string Version
        {
            get
            {
                try
                {
                    return Utf8.Decode(NativeMethods.ytx_version());
                }
                catch (DllNotFoundException e)
                {
                    throw NotFound(e);
                }
            }
        }

        /// <summary>The native library's version as <c>major * 10000 + minor * 100 + patch</c> (<c>ytx_version_number</c>).</summary>
        /// <exception cref="DllNotFoundException">The native library was not found.</exception>
        public static int VersionNumber
        {
            get
            {
                try
                {
                    return (int)NativeMethods.ytx_version_number();
                }
                catch (DllNotFoundException e)
                {
                    throw NotFound(e);
                }
            }
        }

        /// <summary>
        /// The number of native clients created and not yet released, in this process
        /// (<c>ytx_live_clients</c>): a leak check for tests and long-running services.
        /// </summary>
        public static long LiveClients
        {
            get { return (long)NativeMethods.ytx_live_clients().ToUInt64(); }
        }

        /// <summary>The C name of a result code, e.g. <c>"YTX_ERR_TIMEOUT"</c>, or <c>"YTX_UNKNOWN"</c> (<c>ytx_result_name</c>).</summary>
        public static string ResultName(YtxResultCode code)
        {
            return ResultName((int)code);
        }

        internal static string ResultName(int code)
        {
            return Utf8.Decode(NativeMethods.ytx_result_name(code));
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
}
