using System;
using Microsoft.Win32.SafeHandles;

namespace Ytx
{
    /// <summary>
    /// An owned <c>ytx_outcome *</c> (the <c>outcome_out</c> of every call that can
    /// fail), released exactly once with <c>ytx_outcome_free</c>. A NULL outcome is an
    /// invalid handle: reading it gives the library's defaults, disposing it frees nothing.
    /// Passing the handle itself to P/Invoke keeps it alive for the duration of each read.
    /// </summary>
    internal sealed class YtxOutcomeHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>Used by the P/Invoke marshaler for the out parameter.</summary>
        public YtxOutcomeHandle()
            : base(true)
        {
        }

        protected override bool ReleaseHandle()
        {
            NativeProxy.ytx_outcome_free(handle);
            return true;
        }
    }

    /// <summary>
    /// An owned <c>ytx_push *</c> from <c>ytx_push_parse</c>, released exactly once with
    /// <c>ytx_push_free</c>. The binding copies everything out and disposes it at
    /// once; the SafeHandle makes that hold even when reading throws.
    /// </summary>
    internal sealed class YtxPushHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>Used by the P/Invoke marshaler for the out parameter.</summary>
        public YtxPushHandle()
            : base(true)
        {
        }

        protected override bool ReleaseHandle()
        {
            NativeProxy.ytx_push_free(handle);
            return true;
        }
    }

    /// <summary>
    /// An owned <c>ytx_records *</c> (from <c>ytx_call_record</c>,
    /// <c>ytx_call_records_after</c>, <c>ytx_find_call</c>), released exactly once with
    /// <c>ytx_records_free</c>. Never wraps the list borrowed from a push.
    /// </summary>
    internal sealed class YtxRecordsHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>Used by the P/Invoke marshaler for the out parameter.</summary>
        public YtxRecordsHandle()
            : base(true)
        {
        }

        protected override bool ReleaseHandle()
        {
            NativeProxy.ytx_records_free(handle);
            return true;
        }
    }

    /// <summary>An owned <c>ytx_resolution *</c>, released exactly once with <c>ytx_resolution_free</c>.</summary>
    internal sealed class YtxResolutionHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>Used by the P/Invoke marshaler for the out parameter.</summary>
        public YtxResolutionHandle()
            : base(true)
        {
        }

        protected override bool ReleaseHandle()
        {
            NativeProxy.ytx_resolution_free(handle);
            return true;
        }
    }

    /// <summary>An owned <c>ytx_balance *</c>, released exactly once with <c>ytx_balance_free</c>.</summary>
    internal sealed class YtxBalanceHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>Used by the P/Invoke marshaler for the out parameter.</summary>
        public YtxBalanceHandle()
            : base(true)
        {
        }

        protected override bool ReleaseHandle()
        {
            NativeProxy.ytx_balance_free(handle);
            return true;
        }
    }
}
