using System;

namespace Ytx
{
    /// <summary>
    /// The answer of <c>YtxClient.Resolve</c>: was the call of
    /// an outcome unknown placed? Copied out of the native <c>ytx_resolution</c>; immutable.
    /// </summary>
    public sealed class YtxResolution
    {
        internal YtxResolution(IntPtr resolution)
        {
            Status = (YtxResolutionStatus)(int)NativeProxy.ytx_resolution_status_of(resolution);
            IntPtr record = NativeProxy.ytx_resolution_record(resolution);
            Record = record == IntPtr.Zero ? null : new YtxCallRecord(record);
            long unix;
            // Beyond year 9999 stays null (the library caps tickets before that).
            if (NativeProxy.ytx_resolution_check_again_unix(resolution, out unix) == 1
                && unix >= 0 && unix <= 253402300799L)
            {
                CheckAgainAt = DateTimeOffset.FromUnixTimeSeconds(unix);
            }
            string cursor = NativeProxy.ytx_resolution_cursor(resolution);
            Cursor = cursor.Length == 0 ? null : cursor;
            Reason = NativeProxy.ytx_resolution_reason(resolution);
        }

        /// <summary>Placed, not placed, not known yet, or cannot be resolved.</summary>
        public YtxResolutionStatus Status { get; }

        /// <summary>The call's record when <see cref="YtxResolutionStatus.Placed"/>, else <c>null</c>.</summary>
        public YtxCallRecord Record { get; }

        /// <summary>
        /// When <see cref="YtxResolutionStatus.NotKnownYet"/>: when to resolve again (UTC): the bound while
        /// it has not passed, else now (a page or time budget ran out). <c>null</c> otherwise.
        /// </summary>
        public DateTimeOffset? CheckAgainAt { get; }

        /// <summary>
        /// When <see cref="YtxResolutionStatus.NotKnownYet"/>: where the next search resumes (pass it as
        /// <c>cursor</c>); <c>null</c> to start again from the ticket's anchor.
        /// </summary>
        public string Cursor { get; }

        /// <summary>Why, in English (which budget ran out, why it cannot be resolved, ...).</summary>
        public string Reason { get; }

        /// <summary>The status, the record's requestId or the cursor, and the reason.</summary>
        public override string ToString()
        {
            string detail = Record != null ? ", RequestId=" + Record.RequestId : Cursor != null ? ", Cursor=" + Cursor : "";
            return "YtxResolution(" + Status + detail + ", Reason=" + Reason + ")";
        }
    }
}
