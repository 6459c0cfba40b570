namespace Ytx
{
    /// <summary>
    /// The library's result codes (<c>ytx_result</c> in <c>ytx.h</c>). The numbers are
    /// part of the ABI: they never change and a retired number is never reused.
    /// Ranges: 0 success; 1–9 bad input; 10–19 the network or the HTTP exchange;
    /// 20–29 the platform's own answer; 90–99 bugs.
    /// </summary>
    public enum YtxResultCode
    {
        /// <summary>Success: the platform accepted the request (statusCode "0").</summary>
        Ok = 0,

        /// <summary>A required argument was null. <see cref="YtxArgumentException.Field"/> names it.</summary>
        NullArgument = 1,

        /// <summary>A string argument has no UTF-8 form (e.g. an unpaired surrogate).</summary>
        InvalidUtf8 = 2,

        /// <summary>An argument has a bad value (empty, malformed number, credit &lt;= 60, ...). Nothing was sent.</summary>
        InvalidArgument = 3,

        /// <summary>The native client handle is not (or no longer) valid.</summary>
        InvalidHandle = 4,

        /// <summary>Nothing was written to the network (DNS, connection refused, TLS). Retrying is safe.</summary>
        NotSent = 10,

        /// <summary>The connection failed after the request was (at least partly) written. Do not retry blindly.</summary>
        OutcomeUnknown = 11,

        /// <summary>A timeout fired; <see cref="YtxException.Delivery"/> says whether anything was sent.</summary>
        Timeout = 12,

        /// <summary>The server answered with an HTTP status other than 200 (a gateway, proxy or wrong base URL).</summary>
        HttpStatus = 13,

        /// <summary>The answer was not the platform's JSON.</summary>
        Protocol = 14,

        /// <summary>The platform answered with a statusCode other than "0".</summary>
        Platform = 20,

        /// <summary>A bug inside the native library was caught at its boundary; please report it.</summary>
        Panic = 90,
    }

    /// <summary>
    /// Whether a request reached the platform, as far as the client can know
    /// (<c>ytx_delivery</c> in <c>ytx.h</c>). Only <see cref="NotSent"/> makes a blind
    /// retry safe.
    /// </summary>
    public enum YtxDelivery
    {
        /// <summary>Nothing was written to the network. A retry cannot ring anyone twice.</summary>
        NotSent = 0,

        /// <summary>
        /// The request was written but no complete, valid answer came back: the platform may have acted on it.
        /// Do not retry blindly: pass the exception (or its saved <c>Ticket</c>) to <c>YtxClient.Resolve</c>.
        /// </summary>
        Unknown = 1,

        /// <summary>The platform answered; its answer (accepted or rejected) is final.</summary>
        Answered = 2,
    }

    /// <summary>
    /// Which ytx.net environment a client talks to (<see cref="YtxLibrary.ProductionUrl"/>
    /// or <see cref="YtxLibrary.SandboxUrl"/>). Set it or <see cref="YtxClientOptions.BaseUrl"/>, not both.
    /// </summary>
    public enum YtxEnvironment
    {
        /// <summary><c>http://api.ytx.net</c> (the default).</summary>
        Production = 0,

        /// <summary><c>http://sandbox.ytx.net</c>: test apps from the console, no status push.</summary>
        Sandbox = 1,
    }

    /// <summary>
    /// What <c>YtxClient.Resolve</c> found about a call whose
    /// outcome was unknown (<c>YTX_RESOLUTION_*</c> in <c>ytx.h</c>).
    /// </summary>
    public enum YtxResolutionStatus
    {
        /// <summary>The call was placed: <see cref="YtxResolution.Record"/> is its record. Do not place it again.</summary>
        Placed = 1,

        /// <summary>
        /// The call was not placed: PROTOCOL.md's bound (sent time + srctimeout + dsttimeout + credit + 60 s;
        /// 60 s for a ring timeout the request did not give) has passed and a search made after it found no
        /// record. It may be placed again.
        /// </summary>
        NotPlaced = 2,

        /// <summary>
        /// Not known yet: resolve again at <see cref="YtxResolution.CheckAgainAt"/>, passing
        /// <see cref="YtxResolution.Cursor"/> (also when a page or time budget ran out).
        /// </summary>
        NotKnownYet = 3,

        /// <summary>
        /// Cannot be resolved: a voice code, or a call sent without customParm
        /// (<see cref="YtxResolution.Reason"/> says which; <see cref="YtxClientOptions.AutoCustomParm"/>
        /// gives every callback call a customParm).
        /// </summary>
        CannotBeResolved = 4,
    }

    /// <summary>What the first leg of a callback call hears while the second leg rings (wire field <c>ringbacktype</c>).</summary>
    public enum RingbackType
    {
        /// <summary><c>1</c>: the second leg's real ringback is passed through.</summary>
        PassThrough = 1,

        /// <summary><c>2</c>: the platform's system tone.</summary>
        SystemTone = 2,

        /// <summary><c>3</c>: a custom file, <see cref="CallbackOptions.CustomHintFile"/>.</summary>
        Custom = 3,
    }
}
