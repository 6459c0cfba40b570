// YtxPush.ParseAsync (issue 19): ASP.NET Core forbids synchronous reads of
// Request.Body, so a stream that throws on Read must still parse; a
// cancelled token stops a read that would never end.

using System;
using System.IO;
using System.Linq;
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
        Run("nullable: CallRecord/FindCall (and Async) say their result may be null; fid, options, dstClid may be null", TestNullableAnnotations);
    }

    private static byte[] NullableFlags(System.Collections.Generic.IEnumerable<System.Reflection.CustomAttributeData> attributes)
    {
        foreach (var a in attributes)
        {
            if (a.AttributeType.FullName != "System.Runtime.CompilerServices.NullableAttribute")
            {
                continue;
            }
            object v = a.ConstructorArguments[0].Value;
            if (v is byte)
            {
                return new[] { (byte)v };
            }
            var list = (System.Collections.Generic.IList<System.Reflection.CustomAttributeTypedArgument>)v;
            var flags = new byte[list.Count];
            for (int i = 0; i < flags.Length; i++)
            {
                flags[i] = (byte)list[i].Value;
            }
            return flags;
        }
        return null;
    }

    private static byte ContextFlag(System.Reflection.MethodInfo m)
    {
        foreach (var a in m.CustomAttributes)
        {
            if (a.AttributeType.FullName == "System.Runtime.CompilerServices.NullableContextAttribute")
            {
                return (byte)a.ConstructorArguments[0].Value;
            }
        }
        return 0;
    }

    private static void TestNullableAnnotations()
    {
        foreach (Type t in new[] { typeof(YtxClient), typeof(IYtxClient) })
        {
            foreach (string name in new[] { "CallRecord", "FindCall" })
            {
                var m = t.GetMethod(name);
                Equal(1, (int)ContextFlag(m), t.Name + "." + name + ": non-null by default");
                Equal("2", string.Join(",", NullableFlags(m.ReturnParameter.CustomAttributes) ?? new byte[0]), t.Name + "." + name + " returns null by design");
                Equal("2", string.Join(",", NullableFlags(m.GetParameters().Single(p => p.Name == "fid").CustomAttributes) ?? new byte[0]), name + "'s fid may be null");
            }
            foreach (string name in new[] { "CallRecordAsync", "FindCallAsync" })
            {
                var m = t.GetMethod(name);
                Equal("1,2", string.Join(",", NullableFlags(m.ReturnParameter.CustomAttributes) ?? new byte[0]), t.Name + "." + name + ": a task of a possibly null record");
            }
            var call = t.GetMethod("CallbackCall");
            Equal(1, (int)ContextFlag(call), "CallbackCall: non-null by default");
            Check(NullableFlags(call.ReturnParameter.CustomAttributes) == null, "CallbackCall never returns null");
            Equal("2", string.Join(",", NullableFlags(call.GetParameters().Single(p => p.Name == "options").CustomAttributes) ?? new byte[0]), "options may be null");
            var code = t.GetMethod("VoiceCode");
            Equal("2", string.Join(",", NullableFlags(code.GetParameters().Single(p => p.Name == "dstClid").CustomAttributes) ?? new byte[0]), "dstClid may be null");
        }
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
