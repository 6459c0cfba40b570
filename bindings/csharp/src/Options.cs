using System;
using System.Collections.Generic;
using System.Globalization;

namespace Ytx
{
    /// <summary>
    /// How a <see cref="YtxClient"/> reaches the platform. Every property is optional;
    /// unset ones keep the library's defaults. The client copies the options when it
    /// is created: changing them afterwards has no effect on it.
    /// </summary>
    /// <remarks>
    /// Invalid values are reported by the client's constructor as a
    /// <see cref="YtxArgumentException"/> whose <see cref="YtxArgumentException.Field"/> is the
    /// name given in each property's documentation.
    /// </remarks>
    public sealed class YtxClientOptions
    {
        private YtxEnvironment _environment = YtxEnvironment.Production;
        private bool _environmentSet;

        /// <summary>
        /// Production (default) or Sandbox. Field <c>environment</c>. Setting it (even to
        /// <see cref="YtxEnvironment.Production"/>) and <see cref="BaseUrl"/> as well is an
        /// error naming both: give one of them.
        /// </summary>
        public YtxEnvironment Environment
        {
            get { return _environment; }
            set
            {
                _environment = value;
                _environmentSet = true;
            }
        }

        /// <summary>
        /// Any <c>http://</c> or <c>https://</c> base URL instead of the environment's
        /// (a gateway, a proxy in front of the platform, the local emulator),
        /// e.g. <c>http://127.0.0.1:8080</c>. Field <c>base_url</c>.
        /// </summary>
        public string BaseUrl { get; set; }

        /// <summary>
        /// The library's default <see cref="ConnectTimeout"/> (5 seconds in ytx 0.1), read
        /// from the native library (<c>ytx_default_connect_timeout_ms</c>).
        /// </summary>
        /// <exception cref="DllNotFoundException">The native library was not found.</exception>
        /// <exception cref="YtxLibraryVersionException">The native library is not the version this binding was built for.</exception>
        public static TimeSpan DefaultConnectTimeout
        {
            get { return TimeSpan.FromMilliseconds(YtxLibrary.Native(() => NativeProxy.ytx_default_connect_timeout_ms())); }
        }

        /// <summary>
        /// The library's default <see cref="Timeout"/> (30 seconds in ytx 0.1), read from
        /// the native library (<c>ytx_default_timeout_ms</c>).
        /// </summary>
        /// <exception cref="DllNotFoundException">The native library was not found.</exception>
        /// <exception cref="YtxLibraryVersionException">The native library is not the version this binding was built for.</exception>
        public static TimeSpan DefaultTimeout
        {
            get { return TimeSpan.FromMilliseconds(YtxLibrary.Native(() => NativeProxy.ytx_default_timeout_ms())); }
        }

        /// <summary>
        /// Time allowed to connect (default 5 s, or <see cref="Timeout"/> when that is
        /// shorter). Must be positive and at most <see cref="Timeout"/>; sent as whole
        /// milliseconds, rounded up. Field <c>connect_timeout_ms</c>.
        /// </summary>
        public TimeSpan? ConnectTimeout { get; set; }

        /// <summary>
        /// Time allowed for the whole call, connecting included (default 30 s). Must
        /// be positive; sent as whole milliseconds, rounded up. When it expires the
        /// call throws <see cref="YtxTimeoutException"/>. Field <c>timeout_ms</c>.
        /// </summary>
        public TimeSpan? Timeout { get; set; }

        /// <summary>
        /// An HTTP proxy, <c>http://[user:pass@]host:port</c>, or <c>""</c> for none. It wins
        /// over the environment's (see <see cref="UseEnvironmentProxy"/>). Field <c>proxy</c>.
        /// </summary>
        public string Proxy { get; set; }

        /// <summary>
        /// Whether to use the proxy the process environment names when <see cref="Proxy"/>
        /// is not set, as curl does (<c>http_proxy</c>/<c>HTTP_PROXY</c> for an <c>http://</c>
        /// base URL, <c>https_proxy</c>/<c>HTTPS_PROXY</c> for <c>https://</c>, else
        /// <c>all_proxy</c>; hosts in <c>no_proxy</c>/<c>NO_PROXY</c> are reached directly).
        /// <c>null</c>: the library's default (yes). Field <c>env_proxy</c>.
        /// </summary>
        public bool? UseEnvironmentProxy { get; set; }

        /// <summary>
        /// The longest a keep-alive connection may sit idle in the pool before it is
        /// closed instead of reused (the library's default: 30 s, under the idle
        /// timeouts of common load balancers and NATs). Must be positive; sent as whole
        /// milliseconds, rounded up. Field <c>pool_idle_timeout_ms</c>.
        /// </summary>
        public TimeSpan? PoolIdleTimeout { get; set; }

        /// <summary>
        /// A PEM file of CA certificates for <c>https://</c> (a gateway with a private CA),
        /// trusted <b>instead of</b> the built-in roots, as curl's <c>--cacert</c>. Read when
        /// the client is created: an unreadable file or one without a certificate is an
        /// error naming <c>ca_file</c>. Field <c>ca_file</c>.
        /// </summary>
        public string CaFile { get; set; }

        /// <summary>Override of the callback call's funcURL (default <c>DailbackCall.wx</c>). Field <c>callback_func_url</c>.</summary>
        public string CallbackFuncUrl { get; set; }

        /// <summary>Override of the callback call's action (default <c>callDailBack</c>). Field <c>callback_action</c>.</summary>
        public string CallbackAction { get; set; }

        /// <summary>
        /// Override of the voice code's funcURL (default <c>CodeCallOut.wx</c>, the
        /// voice verification code; PROTOCOL.md ambiguity 2). Note that
        /// <c>NoticeCall.wx</c> is the template voice notice, a different product that
        /// needs a <c>templateId</c>: the platform answers a voice code sent there with
        /// <c>-2</c>. Field <c>voice_code_func_url</c>.
        /// </summary>
        public string VoiceCodeFuncUrl { get; set; }

        /// <summary>
        /// Override of the voice code's action (default <c>callOutCode</c>, which pairs
        /// with <c>CodeCallOut.wx</c>). Field <c>voice_code_action</c>.
        /// </summary>
        public string VoiceCodeAction { get; set; }

        /// <summary>
        /// Resend a request automatically, up to this many times (0 to 10; <c>null</c>:
        /// the library's default, 0, off), when the failure makes that safe
        /// (<see cref="YtxException.RetrySafe"/>: not written yet, or the platform's
        /// <c>-104</c>); never an unknown outcome. Each retry is logged at Warning.
        /// Field <c>max_retries</c>.
        /// </summary>
        public int? MaxRetries { get; set; }

        /// <summary>
        /// No automatic retry starts later than this after the first attempt (the
        /// library's default: 10 s; at most 300 s). Sent as whole milliseconds, rounded
        /// up. Field <c>retry_budget_ms</c>.
        /// </summary>
        public TimeSpan? RetryBudget { get; set; }

        /// <summary>
        /// The pause before the first automatic retry (the library's default: 200 ms),
        /// doubled for each further one and never shorter than the error's
        /// <see cref="YtxException.RetryAfter"/>. Field <c>retry_backoff_ms</c>.
        /// </summary>
        public TimeSpan? RetryBackoff { get; set; }

        /// <summary>
        /// <c>true</c> to give every callback call sent without <see cref="CallbackOptions.CustomParm"/>
        /// a unique one (<c>ytx-&lt;unix ms&gt;-&lt;pid&gt;-&lt;counter&gt;</c>), so that every outcome
        /// unknown can be resolved (<c>YtxClient.Resolve</c>).
        /// <c>null</c>: the library's default (no). Field <c>auto_custom_parm</c>.
        /// </summary>
        public bool? AutoCustomParm { get; set; }

        /// <summary>
        /// The options that are set, by their C API names (the library checks that
        /// every name is one of <c>ytx_client_option_name</c>'s, each at most once, in
        /// any order; a test checks these names against that list).
        /// </summary>
        internal List<KeyValuePair<string, string>> ToNative()
        {
            var o = new List<KeyValuePair<string, string>>();
            // Only when set: the library's default is production, and environment
            // together with base_url is the library's error, naming both.
            if (_environmentSet)
            {
                switch (Environment)
                {
                    case YtxEnvironment.Production:
                        Add(o, "environment", "production");
                        break;
                    case YtxEnvironment.Sandbox:
                        Add(o, "environment", "sandbox");
                        break;
                    default:
                        // Not a value the enum names: passed on for the library to reject.
                        Add(o, "environment", ((int)Environment).ToString(CultureInfo.InvariantCulture));
                        break;
                }
            }
            Add(o, "base_url", BaseUrl);
            string timeout = Milliseconds(Timeout);
            // Unset, the library's connect timeout is 5 s or Timeout if shorter.
            Add(o, "connect_timeout_ms", Milliseconds(ConnectTimeout));
            Add(o, "timeout_ms", timeout);
            Add(o, "proxy", Proxy);
            Add(o, "env_proxy", UseEnvironmentProxy.HasValue ? (UseEnvironmentProxy.Value ? "1" : "0") : null);
            Add(o, "pool_idle_timeout_ms", Milliseconds(PoolIdleTimeout));
            Add(o, "ca_file", CaFile);
            Add(o, "callback_func_url", CallbackFuncUrl);
            Add(o, "callback_action", CallbackAction);
            Add(o, "voice_code_func_url", VoiceCodeFuncUrl);
            Add(o, "voice_code_action", VoiceCodeAction);
            Add(o, "max_retries", MaxRetries.HasValue ? MaxRetries.Value.ToString(CultureInfo.InvariantCulture) : null);
            Add(o, "retry_budget_ms", Milliseconds(RetryBudget));
            Add(o, "retry_backoff_ms", Milliseconds(RetryBackoff));
            Add(o, "auto_custom_parm", AutoCustomParm.HasValue ? (AutoCustomParm.Value ? "1" : "0") : null);
            return o;
        }

        private static string Milliseconds(TimeSpan? t)
        {
            if (!t.HasValue)
            {
                return null;
            }
            // Zero and negative values are passed on for the library to reject,
            // naming the field.
            double ms = Math.Ceiling(t.Value.TotalMilliseconds);
            return ((long)ms).ToString(CultureInfo.InvariantCulture);
        }

        internal static void Add(List<KeyValuePair<string, string>> list, string name, string value)
        {
            if (value != null)
            {
                list.Add(new KeyValuePair<string, string>(name, value));
            }
        }
    }

    /// <summary>
    /// The optional fields of a callback call (PROTOCOL.md). Unset (<c>null</c>)
    /// properties are not sent. Each property's documentation gives its wire name,
    /// which is also the <see cref="YtxArgumentException.Field"/> of an error about it.
    /// The library validates them before anything is sent.
    /// </summary>
    public sealed class CallbackOptions
    {
        /// <summary>Your own reference (e.g. an order id), echoed in the status push and the CDR; free text, any Unicode. Wire <c>customParm</c>.</summary>
        public string CustomParm { get; set; }

        /// <summary>Caller id shown to the first leg (5–20 digits). Wire <c>srcclid</c>.</summary>
        public string SrcClid { get; set; }

        /// <summary>Caller id shown to the second leg (5–20 digits). Wire <c>dstclid</c>.</summary>
        public string DstClid { get; set; }

        /// <summary>Seconds before an unanswered first leg is hung up. Wire <c>srctimeout</c>.</summary>
        public int? SrcTimeout { get; set; }

        /// <summary>Seconds before an unanswered second leg is hung up. Wire <c>dsttimeout</c>.</summary>
        public int? DstTimeout { get; set; }

        /// <summary>Prompt file played to the first leg. Wire <c>srchintfile</c>.</summary>
        public string SrcHintFile { get; set; }

        /// <summary>Prompt file played to the second leg. Wire <c>dsthintfile</c>.</summary>
        public string DstHintFile { get; set; }

        /// <summary>What the first leg hears while the second rings. Wire <c>ringbacktype</c> (1–3).</summary>
        public RingbackType? RingbackType { get; set; }

        /// <summary>Custom ringback file, used with <see cref="Ytx.RingbackType.Custom"/>. Wire <c>customhintfile</c>.</summary>
        public string CustomHintFile { get; set; }

        /// <summary>Prompt played to the first leg when the second leg fails. Wire <c>dstfailhintfile</c>.</summary>
        public string DstFailHintFile { get; set; }

        /// <summary>Seconds after which the first leg hears the time warning. Wire <c>srcthreshold</c>.</summary>
        public int? SrcThreshold { get; set; }

        /// <summary>Seconds after which the second leg hears the time warning. Wire <c>dstthreshold</c>.</summary>
        public int? DstThreshold { get; set; }

        /// <summary>The first leg's time-warning prompt file. Wire <c>srcthresholdfile</c>.</summary>
        public string SrcThresholdFile { get; set; }

        /// <summary>The second leg's time-warning prompt file. Wire <c>dstthresholdfile</c>.</summary>
        public string DstThresholdFile { get; set; }

        /// <summary><c>true</c> turns on call-result recognition. Wire <c>iscallstatuscheck</c> (<c>1</c>/<c>0</c>).</summary>
        public bool? CallStatusCheck { get; set; }

        /// <summary>The set options by wire name, in the protocol's order.</summary>
        internal List<KeyValuePair<string, string>> ToNative()
        {
            var o = new List<KeyValuePair<string, string>>();
            YtxClientOptions.Add(o, "customParm", CustomParm);
            YtxClientOptions.Add(o, "srcclid", SrcClid);
            YtxClientOptions.Add(o, "dstclid", DstClid);
            YtxClientOptions.Add(o, "srctimeout", Number(SrcTimeout));
            YtxClientOptions.Add(o, "dsttimeout", Number(DstTimeout));
            YtxClientOptions.Add(o, "srchintfile", SrcHintFile);
            YtxClientOptions.Add(o, "dsthintfile", DstHintFile);
            YtxClientOptions.Add(o, "ringbacktype", RingbackType.HasValue ? Number((int)RingbackType.Value) : null);
            YtxClientOptions.Add(o, "customhintfile", CustomHintFile);
            YtxClientOptions.Add(o, "dstfailhintfile", DstFailHintFile);
            YtxClientOptions.Add(o, "srcthreshold", Number(SrcThreshold));
            YtxClientOptions.Add(o, "dstthreshold", Number(DstThreshold));
            YtxClientOptions.Add(o, "srcthresholdfile", SrcThresholdFile);
            YtxClientOptions.Add(o, "dstthresholdfile", DstThresholdFile);
            YtxClientOptions.Add(o, "iscallstatuscheck", CallStatusCheck.HasValue ? (CallStatusCheck.Value ? "1" : "0") : null);
            return o;
        }

        private static string Number(int? n)
        {
            return n.HasValue ? n.Value.ToString(CultureInfo.InvariantCulture) : null;
        }
    }
}
