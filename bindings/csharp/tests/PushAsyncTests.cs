// YtxPush.ParseAsync (issue 19): ASP.NET Core forbids synchronous reads of
// Request.Body, so a stream that throws on Read must still parse; a
// cancelled token stops a read that would never end.

using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Ytx;

internal static partial class YtxTests
{
    /// <summary>A stream like Kestrel's request body: synchronous reads throw.</summary>
    private sealed class AsyncOnlyStream : MemoryStream
    {
        public AsyncOnlyStream(byte[] data) : base(data)
        {
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            throw new InvalidOperationException("Synchronous operations are disallowed");
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            // A few bytes at a time: ParseAsync must loop.
            return Task.FromResult(base.Read(buffer, offset, Math.Min(count, 7)));
        }
    }

    /// <summary>A body whose next chunk never comes (a client that stalls).</summary>
    private sealed class StalledStream : MemoryStream
    {
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            return Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(t => 0, cancellationToken,
                TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private static void RunPushAsyncTests()
    {
        Run("push: ParseAsync reads only asynchronously (ASP.NET Core's Request.Body) and parses", TestParseAsync);
        Run("push: ParseAsync is cancelled by its token while the body stalls; null body throws at once", TestParseAsyncCancel);
    }

    private static void TestParseAsync()
    {
        byte[] body = Encoding.UTF8.GetBytes("{\"requestid\":\"42\",\"state\":\"answer\",\"timestamp\":\"20200428145137\"}");
        Task<YtxPush> task = YtxPush.ParseAsync(new AsyncOnlyStream(body));
        Check(task.Wait(AsyncDeadline), "parsed within the deadline");
        var s = task.Result as YtxStatePush;
        Check(s != null, "a state push: " + task.Result);
        Equal("42", s.RequestId, "its requestid");
        var bad = YtxPush.ParseAsync(new AsyncOnlyStream(Encoding.UTF8.GetBytes("not json")));
        Throws<YtxProtocolException>(() => bad.GetAwaiter().GetResult());
    }

    private static void TestParseAsyncCancel()
    {
        using (var cts = new CancellationTokenSource())
        {
            Task<YtxPush> task = YtxPush.ParseAsync(new StalledStream(), cts.Token);
            Check(!task.IsCompleted, "waiting for the body");
            cts.Cancel();
            try
            {
                Check(task.Wait(TimeSpan.FromSeconds(10)), "ended after Cancel");
            }
            catch (AggregateException)
            {
            }
            Check(task.IsCanceled, "cancelled: " + task.Status);
        }
        Throws<YtxArgumentException>(() => YtxPush.ParseAsync(null));
    }
}
