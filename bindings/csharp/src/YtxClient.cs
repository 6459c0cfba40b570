using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Ytx
{
    /// <summary>The operations of a <see cref="YtxClient"/>, for mocking in your own tests.</summary>
    public interface IYtxClient : IDisposable
    {
        /// <summary>See <see cref="YtxClient.CallbackCall"/>.</summary>
        [NullableContext(1)]
        YtxAccepted CallbackCall(string src, string dst, long credit, [Nullable(2)] CallbackOptions options = null);

        /// <summary>See <see cref="YtxClient.VoiceCode"/>.</summary>
        [NullableContext(1)]
        YtxAccepted VoiceCode(string dst, [Nullable(2)] string dstClid, string code, int? times = null);

        /// <summary>See <see cref="YtxClient.PrepareCallbackCall"/>.</summary>
        PreparedRequest PrepareCallbackCall(string src, string dst, long credit, CallbackOptions options = null);

        /// <summary>See <see cref="YtxClient.PrepareVoiceCode"/>.</summary>
        PreparedRequest PrepareVoiceCode(string dst, string dstClid, string code, int? times = null);

        /// <summary>See <see cref="YtxClient.CallRecord"/>.</summary>
        [NullableContext(1)]
        [return: Nullable(2)]
        YtxCallRecord CallRecord(string requestId, [Nullable(2)] string fid = null);

        /// <summary>See <see cref="YtxClient.CallRecordsAfter"/>.</summary>
        [NullableContext(1)]
        IReadOnlyList<YtxCallRecord> CallRecordsAfter(string requestId, int limit, [Nullable(2)] string fid = null);

        /// <summary>See <see cref="YtxClient.FindCall"/>.</summary>
        [NullableContext(1)]
        [return: Nullable(2)]
        YtxCallRecord FindCall(string customParm, string afterRequestId, [Nullable(2)] string fid = null);

        /// <summary>See <see cref="YtxClient.Balance"/>.</summary>
        YtxBalance Balance();

        /// <summary>See <see cref="YtxClient.CallbackCallAsync"/>.</summary>
        [NullableContext(1)]
        Task<YtxAccepted> CallbackCallAsync(string src, string dst, long credit, [Nullable(2)] CallbackOptions options = null, CancellationToken cancellationToken = default(CancellationToken));

        /// <summary>See <see cref="YtxClient.VoiceCodeAsync"/>.</summary>
        [NullableContext(1)]
        Task<YtxAccepted> VoiceCodeAsync(string dst, [Nullable(2)] string dstClid, string code, int? times = null, CancellationToken cancellationToken = default(CancellationToken));

        /// <summary>See <see cref="YtxClient.CallRecordAsync"/>.</summary>
        [NullableContext(1)]
        [return: Nullable(new byte[] { 1, 2 })]
        Task<YtxCallRecord> CallRecordAsync(string requestId, [Nullable(2)] string fid = null, CancellationToken cancellationToken = default(CancellationToken));

        /// <summary>See <see cref="YtxClient.CallRecordsAfterAsync"/>.</summary>
        [NullableContext(1)]
        Task<IReadOnlyList<YtxCallRecord>> CallRecordsAfterAsync(string requestId, int limit, [Nullable(2)] string fid = null, CancellationToken cancellationToken = default(CancellationToken));

        /// <summary>See <see cref="YtxClient.FindCallAsync"/>.</summary>
        [NullableContext(1)]
        [return: Nullable(new byte[] { 1, 2 })]
        Task<YtxCallRecord> FindCallAsync(string customParm, string afterRequestId, [Nullable(2)] string fid = null, CancellationToken cancellationToken = default(CancellationToken));

        /// <summary>See <see cref="YtxClient.BalanceAsync"/>.</summary>
        Task<YtxBalance> BalanceAsync(CancellationToken cancellationToken = default(CancellationToken));
    }

    /// <summary>
    /// A client for the ytx.net voice platform: two-way callback calls and voice
    /// verification codes, and what happens after them (call records, finding a
    /// call by its customParm, the balance). Wraps one native <c>ytx_client</c>.
    /// </summary>
    /// <remarks>
    /// <para>Thread safety: one client may be used from any number of threads at
    /// once; create one per account/app and share it (it keeps a connection pool).</para>
    /// <para>Every call blocks until the platform answers or
    /// <see cref="YtxClientOptions.Timeout"/> expires, and is sent at most once: the
    /// library never retries. Each has an <c>...Async</c> twin (e.g.
    /// <see cref="CallbackCallAsync"/>) that runs it on a thread-pool thread and takes a
    /// <see cref="CancellationToken"/>: cancelling stops the waiting, never the call
    /// already sent (see <see cref="CallbackCallAsync"/>). On failure it throws a <see cref="YtxException"/>
    /// subclass; <see cref="YtxException.RetrySafe"/> says whether sending again is
    /// safe.</para>
    /// <para>Dispose it when done (the native client is also released by the
    /// finalizer if you forget). After <see cref="Dispose"/>, every call throws
    /// <see cref="ObjectDisposedException"/>; calls already running on other threads
    /// finish first.</para>
    /// <para>The auth token is passed to the native library and not kept in this
    /// object; <see cref="ToString"/> and every exception leave it out.</para>
    /// </remarks>
    public sealed class YtxClient : IYtxClient
    {
        private readonly YtxClientHandle _handle;
        private readonly string _target;

        // Set once by Dispose. The handle's own IsClosed is not enough: a SafeHandle
        // only closes when the last call in flight releases it, and until then it
        // would let new calls in.
        private int _disposed;

        /// <summary>Creates a client with the default options (production).</summary>
        /// <param name="accountSid">The account SID (ASCII letters and digits). Field <c>account_sid</c>.</param>
        /// <param name="authToken">The auth token. Field <c>auth_token</c>; it never appears in any message.</param>
        /// <param name="appId">The application id. Field <c>app_id</c>.</param>
        /// <exception cref="YtxArgumentException">An argument is null, empty or malformed.</exception>
        /// <exception cref="DllNotFoundException">The native library (<c>ytx.dll</c>, <c>libytx.so</c>) was not found.</exception>
        public YtxClient(string accountSid, string authToken, string appId)
            : this(accountSid, authToken, appId, null)
        {
        }

        /// <summary>Creates a client.</summary>
        /// <param name="accountSid">The account SID (ASCII letters and digits). Field <c>account_sid</c>.</param>
        /// <param name="authToken">The auth token. Field <c>auth_token</c>; it never appears in any message.</param>
        /// <param name="appId">The application id (it must belong to the chosen environment). Field <c>app_id</c>.</param>
        /// <param name="options">Environment, base URL, timeouts, proxy, endpoint overrides; <c>null</c> for the defaults.</param>
        /// <exception cref="YtxArgumentException">An argument or option is null, empty or malformed; <see cref="YtxArgumentException.Field"/> names it.</exception>
        /// <exception cref="DllNotFoundException">The native library (<c>ytx.dll</c>, <c>libytx.so</c>) was not found.</exception>
        /// <exception cref="YtxLibraryVersionException">The native library is another version than this binding's (checked once, at the first use).</exception>
        public YtxClient(string accountSid, string authToken, string appId, YtxClientOptions options)
        {
            byte[] sid = Utf8.Encode(accountSid, "account_sid");
            byte[] token = Utf8.Encode(authToken, "auth_token");
            byte[] app = Utf8.Encode(appId, "app_id");
            options = options ?? new YtxClientOptions();
            List<KeyValuePair<string, string>> pairs = options.ToNative();

            YtxLibrary.EnsureLoaded();
            YtxClientHandle handle = null;
            YtxOutcomeHandle outcome = null;
            uint code;
            try
            {
                using (var native = new NativeOptions(pairs))
                {
                    code = NativeProxy.ytx_client_new(
                        sid, token, app, native.Names, native.Values, native.Count, out handle, out outcome);
                }
            }
            catch (DllNotFoundException e)
            {
                throw YtxLibrary.NotFound(e);
            }
            catch (EntryPointNotFoundException e)
            {
                throw YtxLibrary.Mismatch(e);
            }
            finally
            {
                Array.Clear(token, 0, token.Length);
            }
            try
            {
                Ensure.Success(code, outcome);
            }
            catch
            {
                if (handle != null)
                {
                    handle.Dispose(); // invalid (0) on error: nothing is freed
                }
                throw;
            }
            _handle = handle;
            AccountSid = accountSid;
            AppId = appId;
            BaseUrl = ReadBaseUrl(handle);
            // The library refuses a user name or password in the base URL, so
            // the URL it gives back holds no secret.
            _target = "BaseUrl=" + BaseUrl;
        }

        /// <summary>
        /// The base URL this client sends to, as the library resolved it from
        /// <see cref="YtxClientOptions.Environment"/> or <see cref="YtxClientOptions.BaseUrl"/>
        /// (<c>ytx_client_base_url</c>; no trailing slash), e.g. <c>http://api.ytx.net</c>.
        /// </summary>
        public string BaseUrl { get; }

        /// <summary>The account SID this client signs with (not a secret: it is in every URL).</summary>
        public string AccountSid { get; }

        /// <summary>The application id this client sends.</summary>
        public string AppId { get; }

        /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
        public bool IsDisposed
        {
            get { return Volatile.Read(ref _disposed) != 0; }
        }

        /// <summary>
        /// Places a two-way callback call: the platform rings <paramref name="src"/>,
        /// then <paramref name="dst"/>, and bridges them.
        /// </summary>
        /// <param name="src">First leg: 5–20 digits, a mobile number or a landline with area code (<c>+86</c>/<c>0086</c> + mobile is normalised). Field <c>src</c>.</param>
        /// <param name="dst">Second leg, same rules. Field <c>dst</c>.</param>
        /// <param name="credit">Call length limit in seconds, greater than 60. Field <c>credit</c>.</param>
        /// <param name="options">Optional fields (<see cref="CallbackOptions"/>), or <c>null</c>.</param>
        /// <returns>The platform's answer, with its <see cref="YtxAccepted.RequestId"/>.</returns>
        /// <exception cref="YtxArgumentException">Invalid input; nothing was sent.</exception>
        /// <exception cref="YtxTransportException">The network failed (see <see cref="YtxException.RetrySafe"/>).</exception>
        /// <exception cref="YtxTimeoutException">A timeout fired.</exception>
        /// <exception cref="YtxProtocolException">The answer was not the platform's.</exception>
        /// <exception cref="YtxPlatformException">The platform refused the request.</exception>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        [NullableContext(1)]
        public YtxAccepted CallbackCall(string src, string dst, long credit, [Nullable(2)] CallbackOptions options = null)
        {
            return Callback(src, dst, credit, options, true, Ensure.ReadAccepted);
        }

        /// <summary>
        /// Dry run of <see cref="CallbackCall"/>: validates and signs the request and
        /// sends nothing.
        /// </summary>
        /// <returns>The request as it would be sent (its URL carries the real Sign).</returns>
        /// <exception cref="YtxArgumentException">Invalid input.</exception>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        [NullableContext(1)]
        public PreparedRequest PrepareCallbackCall(string src, string dst, long credit, [Nullable(2)] CallbackOptions options = null)
        {
            return Callback(src, dst, credit, options, false, Ensure.ReadPrepared);
        }

        /// <summary>
        /// Sends a voice verification code: the platform calls <paramref name="dst"/>
        /// and reads <paramref name="code"/> out. Sent to <c>call/CodeCallOut.wx</c> with
        /// action <c>callOutCode</c> unless <see cref="YtxClientOptions.VoiceCodeFuncUrl"/> /
        /// <see cref="YtxClientOptions.VoiceCodeAction"/> say otherwise.
        /// </summary>
        /// <param name="dst">The number to call (as in <see cref="CallbackCall"/>). Field <c>dst</c>.</param>
        /// <param name="dstClid">Optional: the caller id the callee sees (same rules as <paramref name="dst"/>). <c>null</c> or <c>""</c> leaves it out of the request (the platform currently shows the callee's own number anyway). Field <c>dstclid</c>.</param>
        /// <param name="code">1–19 ASCII letters or digits. Field <c>code</c>.</param>
        /// <param name="times">How many times it is played, 1–3; <c>null</c> for the platform's default (2). Field <c>time</c>.</param>
        /// <returns>The platform's answer, with its <see cref="YtxAccepted.RequestId"/>.</returns>
        /// <exception cref="YtxArgumentException">Invalid input; nothing was sent.</exception>
        /// <exception cref="YtxTransportException">The network failed (see <see cref="YtxException.RetrySafe"/>).</exception>
        /// <exception cref="YtxTimeoutException">A timeout fired.</exception>
        /// <exception cref="YtxProtocolException">The answer was not the platform's.</exception>
        /// <exception cref="YtxPlatformException">The platform refused the request (e.g. <c>-205</c>: the app lacks the voice-code feature).</exception>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        [NullableContext(1)]
        public YtxAccepted VoiceCode(string dst, [Nullable(2)] string dstClid, string code, int? times = null)
        {
            return Voice(dst, dstClid, code, times, true, Ensure.ReadAccepted);
        }

        /// <summary>
        /// Dry run of <see cref="VoiceCode"/>: validates and signs the request and
        /// sends nothing.
        /// </summary>
        /// <returns>The request as it would be sent (its URL carries the real Sign).</returns>
        /// <exception cref="YtxArgumentException">Invalid input.</exception>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        [NullableContext(1)]
        public PreparedRequest PrepareVoiceCode(string dst, [Nullable(2)] string dstClid, string code, int? times = null)
        {
            return Voice(dst, dstClid, code, times, false, Ensure.ReadPrepared);
        }

        /// <summary>
        /// The record of one call (<c>call/CallCdr.wx</c>, action <c>getCdrByResId</c>,
        /// limit 0): how long it lasted, what it cost, how it ended.
        /// </summary>
        /// <remarks>
        /// The platform writes a record some seconds (about 20) after the call ends,
        /// so <c>null</c> soon after the call means "not yet", not "never". Sent once,
        /// never retried, with the same timeouts, errors and logging as the calls.
        /// </remarks>
        /// <param name="requestId">The <see cref="YtxAccepted.RequestId"/> of an accepted call (1–64 ASCII letters or digits). Field <c>request_id</c> when null, else <c>lastresid</c>.</param>
        /// <param name="fid">The product number; <c>null</c> or <c>""</c> for <c>"4"</c>, the two-way callback call. Field <c>fid</c>.</param>
        /// <returns>The record, or <c>null</c> when the platform has none (yet).</returns>
        /// <exception cref="YtxArgumentException">Invalid input; nothing was sent.</exception>
        /// <exception cref="YtxTransportException">The network failed (see <see cref="YtxException.RetrySafe"/>; a query may always be sent again).</exception>
        /// <exception cref="YtxTimeoutException">A timeout fired.</exception>
        /// <exception cref="YtxProtocolException">The answer was not the platform's (e.g. no <c>cdr</c>).</exception>
        /// <exception cref="YtxPlatformException">The platform refused the query (a statusCode other than <c>"0"</c>).</exception>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        [NullableContext(1)]
        [return: Nullable(2)]
        public YtxCallRecord CallRecord(string requestId, [Nullable(2)] string fid = null)
        {
            ThrowIfDisposed();
            byte[] id = Utf8.Encode(requestId, "request_id");
            byte[] f = OptionalText(fid, "fid");
            List<YtxCallRecord> records = Records(
                (out YtxRecordsHandle h, out YtxOutcomeHandle o) => NativeProxy.ytx_call_record(_handle, id, f, out h, out o));
            return records.Count == 0 ? null : records[0];
        }

        /// <summary>
        /// Up to <paramref name="limit"/> call records after <paramref name="requestId"/>,
        /// for paging (<c>call/CallCdr.wx</c>, <c>getCdrByResId</c>): pass the last
        /// record's <see cref="YtxCallRecord.RequestId"/> to get the next page.
        /// </summary>
        /// <param name="requestId">A requestId; <c>"0"</c> starts from the first record. Field <c>request_id</c> when null, else <c>lastresid</c>.</param>
        /// <param name="limit">How many records at most, 1–1000. Field <c>limit</c>.</param>
        /// <param name="fid">The product number; <c>null</c> or <c>""</c> for <c>"4"</c> (callback call). Field <c>fid</c>.</param>
        /// <returns>The records, in the platform's order; fewer than <paramref name="limit"/> (none: the end) when there are no more.</returns>
        /// <exception cref="YtxArgumentException">Invalid input (e.g. <paramref name="limit"/> outside 1–1000); nothing was sent.</exception>
        /// <exception cref="YtxTransportException">The network failed.</exception>
        /// <exception cref="YtxTimeoutException">A timeout fired.</exception>
        /// <exception cref="YtxProtocolException">The answer was not the platform's.</exception>
        /// <exception cref="YtxPlatformException">The platform refused the query.</exception>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        [NullableContext(1)]
        public IReadOnlyList<YtxCallRecord> CallRecordsAfter(string requestId, int limit, [Nullable(2)] string fid = null)
        {
            ThrowIfDisposed();
            byte[] id = Utf8.Encode(requestId, "request_id");
            byte[] f = OptionalText(fid, "fid");
            if (limit < 0)
            {
                // The library takes a uint32_t, which cannot say this; its range
                // (1–1000) is its own rule, and a 0 or 1001 is its error.
                throw new YtxArgumentException(
                    "limit: must not be negative, got " + limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    YtxResultCode.InvalidArgument, "limit");
            }
            return Records(
                (out YtxRecordsHandle h, out YtxOutcomeHandle o) =>
                    NativeProxy.ytx_call_records_after(_handle, id, (uint)limit, f, out h, out o)).AsReadOnly();
        }

        /// <summary>
        /// Finds the call whose <see cref="CallbackOptions.CustomParm"/> is
        /// <paramref name="customParm"/> among the records after
        /// <paramref name="afterRequestId"/>, paging 100 records at a time (at most 100
        /// pages). This is how an <see cref="YtxDelivery.Unknown"/> outcome is resolved
        /// without ringing anyone twice.
        /// </summary>
        /// <remarks>
        /// <para>A record means the call was placed: do not place it again.
        /// <c>null</c> means there is no record <b>yet</b>, never by itself "not placed": a
        /// record is written only after the call ends, up to srctimeout + dsttimeout + credit
        /// + 60 s after it was sent (PROTOCOL.md). <c>Resolve</c> applies that bound and
        /// answers placed, not placed or not known yet. Give every call a unique
        /// customParm for this to be meaningful (the platform does not check
        /// uniqueness; the first match is returned).</para>
        /// <para>Each page is one query, sent once. Running out of pages before the
        /// end of the records is a <see cref="YtxArgumentException"/> naming
        /// <c>max_pages</c>, never <c>null</c> (which would invite placing the call
        /// again): search from a later requestId.</para>
        /// </remarks>
        /// <param name="customParm">The customParm of the call to find. Field <c>custom_parm</c> when null, else <c>customParm</c>.</param>
        /// <param name="afterRequestId">A requestId known from before the call (e.g. of an earlier call of the same app); <c>"0"</c> searches from the first record. Field <c>after_request_id</c> when null, else <c>lastresid</c>.</param>
        /// <param name="fid">The product number; <c>null</c> or <c>""</c> for <c>"4"</c> (callback call). Field <c>fid</c>.</param>
        /// <returns>The first matching record, or <c>null</c> when none (yet).</returns>
        /// <exception cref="YtxArgumentException">Invalid input, or the search ran out of pages (field <c>max_pages</c>).</exception>
        /// <exception cref="YtxTransportException">The network failed.</exception>
        /// <exception cref="YtxTimeoutException">A timeout fired.</exception>
        /// <exception cref="YtxProtocolException">An answer was not the platform's.</exception>
        /// <exception cref="YtxPlatformException">The platform refused a query.</exception>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        [NullableContext(1)]
        [return: Nullable(2)]
        public YtxCallRecord FindCall(string customParm, string afterRequestId, [Nullable(2)] string fid = null)
        {
            ThrowIfDisposed();
            byte[] parm = Utf8.Encode(customParm, "custom_parm");
            byte[] after = Utf8.Encode(afterRequestId, "after_request_id");
            byte[] f = OptionalText(fid, "fid");
            List<YtxCallRecord> records = Records(
                (out YtxRecordsHandle h, out YtxOutcomeHandle o) => NativeProxy.ytx_find_call(_handle, parm, after, f, out h, out o));
            return records.Count == 0 ? null : records[0];
        }

        /// <summary>
        /// The account's balance (<c>account/getBlance.wx</c>, version 201612), exact.
        /// Checking it before a campaign avoids a run of <c>-204</c> (balance too low).
        /// </summary>
        /// <returns>The balance in yuan and fen.</returns>
        /// <exception cref="YtxTransportException">The network failed.</exception>
        /// <exception cref="YtxTimeoutException">A timeout fired.</exception>
        /// <exception cref="YtxProtocolException">The answer was not the platform's.</exception>
        /// <exception cref="YtxPlatformException">The platform refused the query.</exception>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        public YtxBalance Balance()
        {
            ThrowIfDisposed();
            YtxBalanceHandle balance = null;
            try
            {
                YtxOutcomeHandle outcome;
                uint rc = NativeProxy.ytx_query_balance(_handle, out balance, out outcome);
                Ensure.Success(rc, outcome);
                IntPtr b = balance.DangerousGetHandle();
                return new YtxBalance(NativeProxy.ytx_balance_fen(b), NativeProxy.ytx_balance_text(b));
            }
            finally
            {
                if (balance != null)
                {
                    balance.Dispose();
                }
            }
        }

        /// <summary>
        /// Was the call of an outcome unknown placed? Sends only record queries (they place nothing),
        /// paging after the last requestId this client saw accepted before the call and looking for its
        /// customParm, as PROTOCOL.md says.
        /// </summary>
        /// <remarks>
        /// <para>The answer's <see cref="YtxResolution.Status"/>: <see cref="YtxResolutionStatus.Placed"/>
        /// (with its record: do not place it again); <see cref="YtxResolutionStatus.NotPlaced"/> (only once
        /// the bound has passed: sent time + ring timeouts + credit + 60 s); <see cref="YtxResolutionStatus.NotKnownYet"/>
        /// (resolve again at <see cref="YtxResolution.CheckAgainAt"/> with <see cref="YtxResolution.Cursor"/>;
        /// also when <paramref name="maxPages"/> or <paramref name="deadline"/> ran out: never an exception);
        /// <see cref="YtxResolutionStatus.CannotBeResolved"/> (a voice code, a call without customParm, an
        /// exception that is not an outcome unknown).</para>
        /// </remarks>
        /// <param name="error">The exception a call threw (its <see cref="YtxException.Ticket"/>).</param>
        /// <param name="cursor">The <see cref="YtxResolution.Cursor"/> of an earlier resolution of the same call; <c>null</c>: from the anchor. Field <c>cursor</c>.</param>
        /// <param name="deadline">Overall deadline, checked before each page; <c>null</c>: the library's (60 s). Field <c>deadline</c>.</param>
        /// <param name="maxPages">The most record queries; <c>null</c>: the library's (100). Field <c>max_pages</c>.</param>
        /// <returns>The resolution.</returns>
        /// <exception cref="YtxArgumentException">A bad cursor, deadline or page count.</exception>
        /// <exception cref="YtxTransportException">A record query failed (safe to resolve again).</exception>
        /// <exception cref="YtxProtocolException">An answer was not the platform's.</exception>
        /// <exception cref="YtxPlatformException">The platform refused a query.</exception>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        public YtxResolution Resolve(YtxException error, string cursor = null, TimeSpan? deadline = null, int? maxPages = null)
        {
            if (error == null)
            {
                throw new YtxArgumentException("error: must not be null", YtxResultCode.NullArgument, "error");
            }
            return Resolve(error.Ticket ?? "", cursor, deadline, maxPages);
        }

        /// <summary>
        /// <c>Resolve</c> from a ticket's text, e.g. one saved
        /// before a restart (<see cref="YtxException.Ticket"/>; <c>""</c>: nothing to resolve).
        /// </summary>
        /// <param name="ticket">The ticket's text. Field <c>ticket</c>.</param>
        /// <param name="cursor">As in the other overload.</param>
        /// <param name="deadline">As in the other overload.</param>
        /// <param name="maxPages">As in the other overload.</param>
        /// <returns>The resolution.</returns>
        /// <exception cref="YtxArgumentException">A bad ticket, cursor, deadline or page count.</exception>
        /// <exception cref="YtxTransportException">A record query failed (safe to resolve again).</exception>
        /// <exception cref="YtxProtocolException">An answer was not the platform's.</exception>
        /// <exception cref="YtxPlatformException">The platform refused a query.</exception>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        public YtxResolution Resolve(string ticket, string cursor = null, TimeSpan? deadline = null, int? maxPages = null)
        {
            ThrowIfDisposed();
            byte[] t = Utf8.Encode(ticket, "ticket");
            byte[] c = OptionalText(cursor, "cursor");
            ulong ms = 0;
            if (deadline.HasValue)
            {
                if (deadline.Value <= TimeSpan.Zero)
                {
                    throw new YtxArgumentException("deadline: must be greater than 0", YtxResultCode.InvalidArgument, "deadline");
                }
                ms = (ulong)Math.Max(1.0, Math.Ceiling(deadline.Value.TotalMilliseconds));
            }
            uint pages = 0;
            if (maxPages.HasValue)
            {
                if (maxPages.Value < 1)
                {
                    throw new YtxArgumentException("max_pages: must be at least 1", YtxResultCode.InvalidArgument, "max_pages");
                }
                pages = (uint)maxPages.Value;
            }
            YtxResolutionHandle resolution = null;
            try
            {
                YtxOutcomeHandle outcome;
                uint rc = NativeProxy.ytx_resolve(_handle, t, c, ms, pages, out resolution, out outcome);
                Ensure.Success(rc, outcome);
                return new YtxResolution(resolution.DangerousGetHandle());
            }
            finally
            {
                if (resolution != null)
                {
                    resolution.Dispose();
                }
            }
        }

        // ------------------------------------------------------------------ async

        /// <summary>
        /// <see cref="CallbackCall"/> without blocking the caller: the blocking native call
        /// runs on a thread-pool thread, and the task completes with its answer or its
        /// exception (the same <see cref="YtxException"/> subclasses).
        /// </summary>
        /// <remarks>
        /// <para><b>Cancellation stops the waiting, never the call already sent.</b> If
        /// <paramref name="cancellationToken"/> is already cancelled when this is called,
        /// nothing is sent and the task is cancelled at once. Otherwise the request is
        /// handed to the library before this method returns and is sent (once, as
        /// always) whatever the token does: cancelling then only ends the task early,
        /// as cancelled (<see cref="OperationCanceledException"/>), while the call
        /// goes on in the background and its answer is dropped. The platform may
        /// therefore have placed a call whose task was cancelled: treat it as
        /// <see cref="YtxDelivery.Unknown"/> (never re-send blindly) and resolve it with
        /// <c>Resolve</c> (the exception's ticket, when one was thrown) or
        /// <see cref="FindCall"/> by its <see cref="CallbackOptions.CustomParm"/>. To bound
        /// the call itself, set <see cref="YtxClientOptions.Timeout"/>.</para>
        /// <para>Each call in flight waits on a thread of its own
        /// (<see cref="TaskCreationOptions.LongRunning"/>), never on a thread-pool
        /// thread, until the library returns (at most <see cref="YtxClientOptions.Timeout"/>):
        /// many concurrent slow calls do not starve the host's pool, and a cancellation
        /// completes the task at once. Arguments are checked on that thread too: a bad
        /// argument faults the task (nothing is sent).</para>
        /// </remarks>
        /// <param name="src">As in <see cref="CallbackCall"/>.</param>
        /// <param name="dst">As in <see cref="CallbackCall"/>.</param>
        /// <param name="credit">As in <see cref="CallbackCall"/>.</param>
        /// <param name="options">As in <see cref="CallbackCall"/>.</param>
        /// <param name="cancellationToken">Stops the waiting (see remarks), not the call.</param>
        /// <returns>A task for the platform's answer.</returns>
        [NullableContext(1)]
        public Task<YtxAccepted> CallbackCallAsync(string src, string dst, long credit, [Nullable(2)] CallbackOptions options = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(() => CallbackCall(src, dst, credit, options), cancellationToken);
        }

        /// <summary>
        /// <see cref="VoiceCode"/> without blocking the caller; cancellation stops the
        /// waiting, never the call already sent (as in <see cref="CallbackCallAsync"/>).
        /// </summary>
        /// <param name="dst">As in <see cref="VoiceCode"/>.</param>
        /// <param name="dstClid">As in <see cref="VoiceCode"/>.</param>
        /// <param name="code">As in <see cref="VoiceCode"/>.</param>
        /// <param name="times">As in <see cref="VoiceCode"/>.</param>
        /// <param name="cancellationToken">Stops the waiting, not the call.</param>
        /// <returns>A task for the platform's answer.</returns>
        [NullableContext(1)]
        public Task<YtxAccepted> VoiceCodeAsync(string dst, [Nullable(2)] string dstClid, string code, int? times = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(() => VoiceCode(dst, dstClid, code, times), cancellationToken);
        }

        /// <summary>
        /// <see cref="CallRecord"/> without blocking the caller; cancellation stops the
        /// waiting, never the query already sent (as in <see cref="CallbackCallAsync"/>).
        /// </summary>
        /// <param name="requestId">As in <see cref="CallRecord"/>.</param>
        /// <param name="fid">As in <see cref="CallRecord"/>.</param>
        /// <param name="cancellationToken">Stops the waiting, not the query.</param>
        /// <returns>A task for the record, or <c>null</c>.</returns>
        [NullableContext(1)]
        [return: Nullable(new byte[] { 1, 2 })]
        public Task<YtxCallRecord> CallRecordAsync(string requestId, [Nullable(2)] string fid = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(() => CallRecord(requestId, fid), cancellationToken);
        }

        /// <summary>
        /// <see cref="CallRecordsAfter"/> without blocking the caller; cancellation stops
        /// the waiting, never the query already sent (as in <see cref="CallbackCallAsync"/>).
        /// </summary>
        /// <param name="requestId">As in <see cref="CallRecordsAfter"/>.</param>
        /// <param name="limit">As in <see cref="CallRecordsAfter"/>.</param>
        /// <param name="fid">As in <see cref="CallRecordsAfter"/>.</param>
        /// <param name="cancellationToken">Stops the waiting, not the query.</param>
        /// <returns>A task for the records.</returns>
        [NullableContext(1)]
        public Task<IReadOnlyList<YtxCallRecord>> CallRecordsAfterAsync(string requestId, int limit, [Nullable(2)] string fid = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(() => CallRecordsAfter(requestId, limit, fid), cancellationToken);
        }

        /// <summary>
        /// <see cref="FindCall"/> without blocking the caller; cancellation stops the
        /// waiting, never the search already running: its pages are still fetched, one
        /// by one, and the answer dropped (as in <see cref="CallbackCallAsync"/>).
        /// </summary>
        /// <param name="customParm">As in <see cref="FindCall"/>.</param>
        /// <param name="afterRequestId">As in <see cref="FindCall"/>.</param>
        /// <param name="fid">As in <see cref="FindCall"/>.</param>
        /// <param name="cancellationToken">Stops the waiting, not the search.</param>
        /// <returns>A task for the first matching record, or <c>null</c>.</returns>
        [NullableContext(1)]
        [return: Nullable(new byte[] { 1, 2 })]
        public Task<YtxCallRecord> FindCallAsync(string customParm, string afterRequestId, [Nullable(2)] string fid = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(() => FindCall(customParm, afterRequestId, fid), cancellationToken);
        }

        /// <summary><c>Resolve</c> without blocking the caller (on a thread-pool thread).</summary>
        /// <param name="error">As in <c>Resolve</c>.</param>
        /// <param name="cursor">As there.</param>
        /// <param name="deadline">As there.</param>
        /// <param name="maxPages">As there.</param>
        /// <param name="cancellationToken">Stops the waiting, not the queries already sent (they place nothing).</param>
        /// <returns>The resolution.</returns>
        public Task<YtxResolution> ResolveAsync(YtxException error, string cursor = null, TimeSpan? deadline = null,
            int? maxPages = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(() => Resolve(error, cursor, deadline, maxPages), cancellationToken);
        }

        /// <summary><c>Resolve</c> without blocking the caller (on a thread-pool thread).</summary>
        /// <param name="ticket">As in <c>Resolve</c>.</param>
        /// <param name="cursor">As there.</param>
        /// <param name="deadline">As there.</param>
        /// <param name="maxPages">As there.</param>
        /// <param name="cancellationToken">Stops the waiting, not the queries already sent (they place nothing).</param>
        /// <returns>The resolution.</returns>
        public Task<YtxResolution> ResolveAsync(string ticket, string cursor = null, TimeSpan? deadline = null,
            int? maxPages = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(() => Resolve(ticket, cursor, deadline, maxPages), cancellationToken);
        }

        /// <summary>
        /// <see cref="Balance"/> without blocking the caller; cancellation stops the
        /// waiting, never the query already sent (as in <see cref="CallbackCallAsync"/>).
        /// </summary>
        /// <param name="cancellationToken">Stops the waiting, not the query.</param>
        /// <returns>A task for the balance.</returns>
        public Task<YtxBalance> BalanceAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(Balance, cancellationToken);
        }

        /// <summary>
        /// Runs a blocking call on a dedicated thread (LongRunning), not on the
        /// thread pool: a call held for seconds by the network must not take one of
        /// the pool's few threads (with 32 slow calls on 2 cores, Task.Run made
        /// unrelated pool work and the cancellation continuations wait seconds for
        /// the pool to grow). The call is started without the token, so once this
        /// returns it runs to its end; the token only completes the returned task
        /// early, as cancelled (synchronously, on the cancelling thread's
        /// registration, so without waiting for a pool thread either). The call's
        /// own result or exception is then observed and dropped (no
        /// unobserved-task exception).
        /// </summary>
        private static Task<T> RunAsync<T>(Func<T> call, CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return Task.FromCanceled<T>(cancellationToken); // nothing was sent
            }
            Task<T> work = Task.Factory.StartNew(call, CancellationToken.None,
                TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
            if (!cancellationToken.CanBeCanceled)
            {
                return work;
            }
            var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            CancellationTokenRegistration registration =
                cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
            work.ContinueWith(
                t =>
                {
                    registration.Dispose();
                    if (t.IsFaulted)
                    {
                        done.TrySetException(t.Exception.InnerExceptions);
                    }
                    else if (t.IsCanceled)
                    {
                        done.TrySetCanceled();
                    }
                    else
                    {
                        done.TrySetResult(t.Result);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            return done.Task;
        }

        /// <summary>
        /// Releases the native client (<c>ytx_free</c>, once). Safe to call more than
        /// once and from any thread; calls in flight on other threads finish first.
        /// </summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _handle.Dispose();
            }
        }

        /// <summary>E.g. <c>YtxClient(AccountSid=8a1f..., AppId=ff80..., Environment=Production)</c>; never the token.</summary>
        public override string ToString()
        {
            return "YtxClient(AccountSid=" + AccountSid + ", AppId=" + AppId + ", " + _target +
                   (IsDisposed ? ", disposed)" : ")");
        }

        private T Callback<T>(string src, string dst, long credit, CallbackOptions options, bool send, Func<YtxOutcomeHandle, T> read)
        {
            ThrowIfDisposed();
            byte[] s = Utf8.Encode(src, "src");
            byte[] d = Utf8.Encode(dst, "dst");
            List<KeyValuePair<string, string>> pairs = options == null ? null : options.ToNative();
            YtxOutcomeHandle outcome = null;
            uint code;
            using (var native = new NativeOptions(pairs))
            {
                code = send
                    ? NativeProxy.ytx_callback_call(_handle, s, d, credit, native.Names, native.Values, native.Count, out outcome)
                    : NativeProxy.ytx_callback_prepare(_handle, s, d, credit, native.Names, native.Values, native.Count, out outcome);
            }
            return Ensure.Success(code, outcome, read);
        }

        private T Voice<T>(string dst, string dstClid, string code, int? times, bool send, Func<YtxOutcomeHandle, T> read)
        {
            ThrowIfDisposed();
            byte[] d = Utf8.Encode(dst, "dst");
            // Optional: null is passed as NULL, "" as "" (the library then leaves it out).
            byte[] clid = dstClid == null ? null : Utf8.Encode(dstClid, "dstclid");
            byte[] c = Utf8.Encode(code, "code");
            if (times.HasValue && times.Value == 0)
            {
                // 0 means "platform default" to the C API; from C# that is null. The
                // range itself is the library's rule (a bad count is its error).
                throw new YtxArgumentException(
                    "time: 0 is not a number of plays: pass null for the platform default",
                    YtxResultCode.InvalidArgument, "time");
            }
            YtxOutcomeHandle outcome = null;
            uint rc = send
                ? NativeProxy.ytx_voice_code(_handle, d, clid, c, times ?? 0, out outcome)
                : NativeProxy.ytx_voice_code_prepare(_handle, d, clid, c, times ?? 0, out outcome);
            return Ensure.Success(rc, outcome, read);
        }

        private delegate uint RecordsQuery(out YtxRecordsHandle records, out YtxOutcomeHandle outcome);

        /// <summary>Runs a records query, copies the records out and frees the list, whatever happens.</summary>
        private static List<YtxCallRecord> Records(RecordsQuery query)
        {
            YtxRecordsHandle records = null;
            try
            {
                YtxOutcomeHandle outcome;
                uint rc = query(out records, out outcome);
                Ensure.Success(rc, outcome);
                return YtxCallRecord.ReadList(records.DangerousGetHandle());
            }
            finally
            {
                if (records != null)
                {
                    records.Dispose();
                }
            }
        }

        /// <summary>An optional string argument: null stays NULL.</summary>
        private static byte[] OptionalText(string value, string field)
        {
            return value == null ? null : Utf8.Encode(value, field);
        }

        private void ThrowIfDisposed()
        {
            if (IsDisposed)
            {
                throw new ObjectDisposedException(nameof(YtxClient));
            }
        }

        /// <summary>The native client, for a <see cref="YtxTracker"/> made over it.</summary>
        internal YtxClientHandle LiveHandle()
        {
            ThrowIfDisposed();
            return _handle;
        }

        private static string ReadBaseUrl(YtxClientHandle handle)
        {
            var buf = new byte[256];
            for (;;)
            {
                ulong n = NativeProxy.ytx_client_base_url(handle, buf, new UIntPtr((uint)buf.Length)).ToUInt64();
                if (n < (ulong)buf.Length)
                {
                    return System.Text.Encoding.UTF8.GetString(buf, 0, (int)n);
                }
                buf = new byte[checked((int)n + 1)];
            }
        }
    }
}
