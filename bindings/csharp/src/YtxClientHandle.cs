using System;
using Microsoft.Win32.SafeHandles;

namespace Ytx
{
    /// <summary>
    /// The native <c>ytx_client *</c>, released exactly once with <c>ytx_free</c>:
    /// by <see cref="YtxClient.Dispose"/>, or by the runtime's critical finalizer
    /// when a client is never disposed.
    /// </summary>
    /// <remarks>
    /// Passing the handle itself (not its <c>IntPtr</c>) to P/Invoke makes the
    /// marshaler add a reference for the duration of each call, so a
    /// <see cref="YtxClient.Dispose"/> on another thread waits for the calls in flight
    /// before <c>ytx_free</c> runs, and a call that starts after it fails with
    /// <see cref="ObjectDisposedException"/> instead of reaching native code.
    /// </remarks>
    internal sealed class YtxClientHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>Used by the P/Invoke marshaler for <c>ytx_client_new</c>'s out parameter.</summary>
        public YtxClientHandle()
            : base(true)
        {
        }

        /// <summary>Calls <c>ytx_free</c>; the runtime calls this at most once.</summary>
        /// <returns><c>true</c> when the library released the client.</returns>
        protected override bool ReleaseHandle()
        {
            return NativeProxy.ytx_free(handle) == (uint)YtxResultCode.Ok;
        }
    }
}
