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
        /// <summary>Production (default) or Sandbox. Ignored when <see cref="BaseUrl"/> is set. Field <c>environment</c>.</summary>
        public YtxEnvironment Environment { get; set; } = YtxEnvironment.Production;

        /// <summary>
        /// Any <c>http://</c> or <c>https://</c> base URL instead of the environment's
        /// (a gateway, a proxy in front of the platform, the local emulator),
        /// e.g. <c>http://127.0.0.1:8080</c>. Field <c>base_url</c>.
        /// </summary>
        public string BaseUrl { get; set; }

        /// <summary>The library's default <see cref="ConnectTimeout"/>: 5 seconds.</summary>
        public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);

        /// <summary>The library's default <see cref="Timeout"/>: 30 seconds.</summary>
        public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

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

        /// <summary>An HTTP proxy, <c>http://host:port</c>. Field <c>proxy</c>.</summary>
        public string Proxy { get; set; }

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

        /// <summary>The options by their C API names, in the order the library applies them.</summary>
        internal List<KeyValuePair<string, string>> ToNative()
        {
            var o = new List<KeyValuePair<string, string>>();
            // environment first: base_url, applied after it, wins.
            switch (Environment)
            {
                case YtxEnvironment.Production:
                    Add(o, "environment", "production");
                    break;
                case YtxEnvironment.Sandbox:
                    Add(o, "environment", "sandbox");
                    break;
                default:
                    throw new YtxArgumentException(
                        "environment: must be Production or Sandbox, got " +
                        ((int)Environment).ToString(CultureInfo.InvariantCulture),
                        YtxResultCode.InvalidArgument, "environment");
            }
            Add(o, "base_url", BaseUrl);
            string timeout = Milliseconds(Timeout);
            // Unset, the library's connect timeout is 5 s or Timeout if shorter.
            Add(o, "connect_timeout_ms", Milliseconds(ConnectTimeout));
            Add(o, "timeout_ms", timeout);
            Add(o, "proxy", Proxy);
            Add(o, "callback_func_url", CallbackFuncUrl);
            Add(o, "callback_action", CallbackAction);
            Add(o, "voice_code_func_url", VoiceCodeFuncUrl);
            Add(o, "voice_code_action", VoiceCodeAction);
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
