// The shared bad-input matrix (issue 6): tests/data/input_matrix.tsv, read
// at run time; every row marked "all" or "bindings" is one test. Part of the
// YtxTests program (see YtxTests.cs for the runner and the helpers).
//
// Each row changes one argument of a known-good dry run (PrepareCallbackCall,
// PrepareVoiceCode, or the client constructor; the client's base URL is
// http://127.0.0.1:9, so nothing is ever sent) and expects success (code 0)
// or a YtxArgumentException with the row's code and field (codes 1-3).
//
// Mapping to the typed C# API:
//   * opt:<wire name> rows set the CallbackOptions property with that wire
//     name; numbers are parsed as a user would (int.Parse, a cast for enums:
//     ringbacktype 4 is (RingbackType)4), iscallstatuscheck 0/1 is false/true.
//   * voice time 0 is the C ABI's "platform default", which C# spells null.
//   * A row whose value the property's type cannot hold at all is "covered by
//     type": the test asserts the type (e.g. SrcTimeout is int?, so "abc" does
//     not compile; CallStatusCheck is bool?, so "2" cannot be stated) and counts
//     the row as passed. In the current matrix: opt:srctimeout=abc and
//     opt:iscallstatuscheck=2.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Ytx;

internal static partial class YtxTests
{
    private const string MatrixBaseUrl = "http://127.0.0.1:9";

    private sealed class MatrixRow
    {
        public int Line;
        public string Where;
        public string Op;
        public string Arg;
        public string RawValue;
        public string Value;          // decoded; null for <NULL>
        public string NotAString;     // why Value could not be decoded to a .NET string, or null
        public int Code;
        public string Field;

        public bool Applies
        {
            get { return Where == "all" || Where == "bindings"; }
        }
    }

    private static void RunInputMatrix()
    {
        List<MatrixRow> rows = null;
        Run("input matrix: read, parsed, at least 50 rows apply to the bindings", () =>
        {
            string path = FindMatrix();
            rows = ParseMatrix(path);
            int applicable = rows.Count(r => r.Applies);
            Console.WriteLine("     (" + path + ": " + rows.Count + " rows, " + applicable + " for the bindings)");
            Check(applicable >= 50, "applicable rows: " + applicable);
            Check(rows.Any(r => r.Where == "bindings"), "rows only for the bindings");
        });
        if (rows == null)
        {
            return;
        }
        foreach (MatrixRow row in rows.Where(r => r.Applies))
        {
            MatrixRow r = row;
            string why = CoveredByType(r);
            string name = "matrix line " + r.Line + ": " + r.Op + " " + r.Arg + "=" + Show(r.Value) + " -> " +
                          (r.Code == 0 ? "ok" : r.Code + " " + r.Field) +
                          (why != null ? " (covered by type: " + why + ")" : "");
            Run(name, () => RunMatrixRow(r));
        }
    }

    private static string FindMatrix()
    {
        string env = System.Environment.GetEnvironmentVariable("YTX_INPUT_MATRIX");
        if (!string.IsNullOrEmpty(env))
        {
            Check(File.Exists(env), "YTX_INPUT_MATRIX=" + env + " does not exist");
            return env;
        }
        // <repo>/bindings/csharp/bin/YtxTests.exe: walk up from the exe, then
        // from the working directory, to the first tests/data/input_matrix.tsv.
        var starts = new[] { AppDomain.CurrentDomain.BaseDirectory, System.Environment.CurrentDirectory };
        foreach (string start in starts)
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(Path.Combine(Path.Combine(dir.FullName, "tests"), "data"), "input_matrix.tsv");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new AssertionException("tests/data/input_matrix.tsv not found above " + string.Join(" or ", starts) +
                                     "; set YTX_INPUT_MATRIX");
    }

    private static List<MatrixRow> ParseMatrix(string path)
    {
        var rows = new List<MatrixRow>();
        string[] lines = File.ReadAllLines(path, new UTF8Encoding(false, true));
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            string[] f = line.Split('\t');
            Check(f.Length == 6, path + ":" + (i + 1) + ": expected 6 tab-separated columns, got " + f.Length);
            var row = new MatrixRow
            {
                Line = i + 1,
                Where = f[0],
                Op = f[1],
                Arg = f[2],
                RawValue = f[3],
                Code = int.Parse(f[4], NumberStyles.None, CultureInfo.InvariantCulture),
                Field = f[5],
            };
            Check(new[] { "all", "c", "bindings" }.Contains(row.Where), "line " + row.Line + ": where " + row.Where);
            Check(new[] { "client", "callback", "voice" }.Contains(row.Op), "line " + row.Line + ": op " + row.Op);
            Check(row.Code >= 0 && row.Code <= 3, "line " + row.Line + ": code " + row.Code);
            Check((row.Code == 0) == (row.Field == "-"), "line " + row.Line + ": field " + row.Field + " with code " + row.Code);
            if (row.RawValue != "<NULL>")
            {
                byte[] bytes = Unescape(row.RawValue, row.Line);
                try
                {
                    row.Value = new UTF8Encoding(false, true).GetString(bytes);
                }
                catch (DecoderFallbackException)
                {
                    row.NotAString = "raw bytes that are not UTF-8; a .NET string always has a UTF-8 form";
                }
            }
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>The matrix's escapes: \0 \xHH \n \r \t \\ and {rep:N:S}, to bytes.</summary>
    private static byte[] Unescape(string s, int line)
    {
        var output = new List<byte>();
        var text = new StringBuilder();
        Action flush = () =>
        {
            output.AddRange(Encoding.UTF8.GetBytes(text.ToString()));
            text.Clear();
        };
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '\\')
            {
                Check(i + 1 < s.Length, "line " + line + ": a lone backslash at the end");
                char e = s[++i];
                flush();
                switch (e)
                {
                    case '0': output.Add(0); break;
                    case 'n': output.Add((byte)'\n'); break;
                    case 'r': output.Add((byte)'\r'); break;
                    case 't': output.Add((byte)'\t'); break;
                    case '\\': output.Add((byte)'\\'); break;
                    case 'x':
                        Check(i + 2 < s.Length, "line " + line + ": \\x needs two hex digits");
                        output.Add(byte.Parse(s.Substring(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                        i += 2;
                        break;
                    default:
                        throw new AssertionException("line " + line + ": unknown escape \\" + e);
                }
            }
            else if (c == '{' && string.CompareOrdinal(s, i, "{rep:", 0, 5) == 0)
            {
                int colon = s.IndexOf(':', i + 5);
                int close = s.IndexOf('}', i + 5);
                Check(colon > 0 && close > colon, "line " + line + ": malformed {rep:N:S}");
                int n = int.Parse(s.Substring(i + 5, colon - i - 5), NumberStyles.None, CultureInfo.InvariantCulture);
                byte[] unit = Unescape(s.Substring(colon + 1, close - colon - 1), line);
                flush();
                for (int k = 0; k < n; k++)
                {
                    output.AddRange(unit);
                }
                i = close;
            }
            else
            {
                text.Append(c);
            }
        }
        flush();
        return output.ToArray();
    }

    // wire name -> CallbackOptions property (the XML docs name the wire field of each).
    private static readonly Dictionary<string, string> OptionProperties = new Dictionary<string, string>
    {
        { "customParm", "CustomParm" }, { "srcclid", "SrcClid" }, { "dstclid", "DstClid" },
        { "srctimeout", "SrcTimeout" }, { "dsttimeout", "DstTimeout" }, { "srchintfile", "SrcHintFile" },
        { "dsthintfile", "DstHintFile" }, { "ringbacktype", "RingbackType" }, { "customhintfile", "CustomHintFile" },
        { "dstfailhintfile", "DstFailHintFile" }, { "srcthreshold", "SrcThreshold" }, { "dstthreshold", "DstThreshold" },
        { "srcthresholdfile", "SrcThresholdFile" }, { "dstthresholdfile", "DstThresholdFile" },
        { "iscallstatuscheck", "CallStatusCheck" },
    };

    /// <summary>
    /// Converts a row's value to what a C# caller would pass for the argument:
    /// true with the value, or false with the reason the typed API cannot state it.
    /// </summary>
    private static bool ToTyped(MatrixRow r, Type type, out object value, out string why)
    {
        value = null;
        why = null;
        if (r.NotAString != null)
        {
            why = r.NotAString;
            return false;
        }
        if (type == typeof(string))
        {
            value = r.Value;
            return true;
        }
        if (r.Value == null)
        {
            why = "a null " + Nice(type) + " means unset";
            return false;
        }
        long n;
        bool isNumber = long.TryParse(r.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n);
        if (type == typeof(long))
        {
            if (isNumber)
            {
                value = n;
                return true;
            }
        }
        else if (type == typeof(int?) || type == typeof(int))
        {
            if (isNumber && n >= int.MinValue && n <= int.MaxValue)
            {
                value = (int)n;
                return true;
            }
        }
        else if (type == typeof(RingbackType?))
        {
            if (isNumber && n >= int.MinValue && n <= int.MaxValue)
            {
                value = (RingbackType)(int)n; // a cast, as a user could write
                return true;
            }
        }
        else if (type == typeof(bool?))
        {
            if (r.Value == "1" || r.Value == "0")
            {
                value = r.Value == "1";
                return true;
            }
        }
        else
        {
            throw new AssertionException("no conversion to " + type);
        }
        why = Nice(type) + " cannot hold \"" + r.Value + "\"";
        return false;
    }

    private static string Nice(Type t)
    {
        Type inner = Nullable.GetUnderlyingType(t);
        if (inner != null)
        {
            return Nice(inner) + "?";
        }
        if (t == typeof(int))
        {
            return "int";
        }
        if (t == typeof(long))
        {
            return "long";
        }
        if (t == typeof(bool))
        {
            return "bool";
        }
        return t.Name;
    }

    /// <summary>The C# type of the row's argument.</summary>
    private static Type ArgumentType(MatrixRow r)
    {
        if (r.Arg.StartsWith("opt:", StringComparison.Ordinal))
        {
            string prop;
            if (!OptionProperties.TryGetValue(r.Arg.Substring(4), out prop))
            {
                return null;
            }
            return typeof(CallbackOptions).GetProperty(prop).PropertyType;
        }
        if (r.Op == "callback" && r.Arg == "credit")
        {
            return typeof(long);
        }
        if (r.Op == "voice" && r.Arg == "time")
        {
            return typeof(int?);
        }
        return typeof(string);
    }

    /// <summary>Why the typed API cannot state the row, or null when it can.</summary>
    private static string CoveredByType(MatrixRow r)
    {
        Type type = ArgumentType(r);
        if (type == null)
        {
            return "CallbackOptions has no property for " + r.Arg;
        }
        object value;
        string why;
        return ToTyped(r, type, out value, out why) ? null : why;
    }

    private static void RunMatrixRow(MatrixRow r)
    {
        Type type = ArgumentType(r);
        object value;
        string why;
        if (type == null || !ToTyped(r, type, out value, out why))
        {
            // Not expressible: the compile-time type rules the value out. Assert
            // that the type really is what rules it out, and that the library
            // would have refused it (so nothing is lost).
            Check(r.Code != 0, "a row expected to succeed must be expressible");
            Check(type != null, "every option the library knows has a CallbackOptions property (" + r.Arg + ")");
            Check(type != typeof(string) || r.NotAString != null, "a string argument can hold any text");
            if (r.NotAString == null)
            {
                Check(type == typeof(int?) || type == typeof(bool?) || type == typeof(long),
                      r.Arg + " is typed (" + Nice(type) + ")");
                Check(r.Value != null, "a non-null value");
            }
            return;
        }

        if (r.Op == "client")
        {
            var args = new Dictionary<string, string>
            {
                { "account_sid", Sid }, { "auth_token", Token }, { "app_id", App },
            };
            Check(args.ContainsKey(r.Arg), "client argument " + r.Arg);
            args[r.Arg] = (string)value;
            Func<YtxClient> make = () => new YtxClient(
                args["account_sid"], args["auth_token"], args["app_id"], new YtxClientOptions { BaseUrl = MatrixBaseUrl });
            if (r.Code == 0)
            {
                using (var c = make())
                {
                    MatrixPrepared(c.PrepareVoiceCode("13800138000", "02160000000", "1234"));
                }
            }
            else
            {
                MatrixError(r, () => make().Dispose());
            }
            return;
        }

        using (var client = new YtxClient(Sid, Token, App, new YtxClientOptions { BaseUrl = MatrixBaseUrl }))
        {
            if (r.Op == "callback")
            {
                string src = "13800138000", dst = "13900139000";
                long credit = 600;
                CallbackOptions options = null;
                if (r.Arg == "src")
                {
                    src = (string)value;
                }
                else if (r.Arg == "dst")
                {
                    dst = (string)value;
                }
                else if (r.Arg == "credit")
                {
                    credit = (long)value;
                }
                else
                {
                    Check(r.Arg.StartsWith("opt:", StringComparison.Ordinal), "callback argument " + r.Arg);
                    options = new CallbackOptions();
                    typeof(CallbackOptions).GetProperty(OptionProperties[r.Arg.Substring(4)]).SetValue(options, value);
                }
                if (r.Code != 0)
                {
                    MatrixError(r, () => client.PrepareCallbackCall(src, dst, credit, options));
                    return;
                }
                var body = MatrixPrepared(client.PrepareCallbackCall(src, dst, credit, options));
                if (r.Arg == "credit")
                {
                    Equal(r.Value, body["credit"], "credit on the wire");
                }
                if (r.Arg.StartsWith("opt:", StringComparison.Ordinal))
                {
                    string wire = r.Arg.Substring(4);
                    Check(body.ContainsKey(wire), wire + " on the wire");
                    Equal(r.Value, body[wire], wire + " on the wire");
                }
                Equal("13800138000", body["src"], "src on the wire (+86 normalised)");
                return;
            }

            Check(r.Op == "voice", "op " + r.Op);
            string vdst = "13800138000", clid = "02160000000", code = "1234";
            int? times = null;
            switch (r.Arg)
            {
                case "dst":
                    vdst = (string)value;
                    break;
                case "dstclid":
                    clid = (string)value;
                    break;
                case "code":
                    code = (string)value;
                    break;
                case "time":
                    // The C ABI's 0 ("platform default") is null in C#.
                    times = (int)value == 0 ? (int?)null : (int)value;
                    break;
                default:
                    throw new AssertionException("voice argument " + r.Arg);
            }
            if (r.Code != 0)
            {
                MatrixError(r, () => client.PrepareVoiceCode(vdst, clid, code, times));
                return;
            }
            var vbody = MatrixPrepared(client.PrepareVoiceCode(vdst, clid, code, times));
            Equal(code, vbody["code"], "code on the wire");
            if (string.IsNullOrEmpty(clid))
            {
                // Optional: NULL and "" leave it out of the request.
                Check(!vbody.ContainsKey("dstclid"), "no dstclid on the wire for " + Show(clid));
            }
            else
            {
                Equal(clid, vbody["dstclid"], "dstclid on the wire");
            }
            if (times.HasValue)
            {
                Equal(times.Value.ToString(CultureInfo.InvariantCulture), vbody["time"], "time on the wire");
            }
            else
            {
                Check(!vbody.ContainsKey("time"), "no time for the platform default");
            }
        }
    }

    private static Dictionary<string, object> MatrixPrepared(PreparedRequest p)
    {
        Equal("POST", p.Method, "method");
        StartsWith(p.Url, MatrixBaseUrl + "/201512/sid/" + Sid + "/call/", "URL");
        return Json.ParseObject(p.Body);
    }

    private static void MatrixError(MatrixRow r, Action action)
    {
        var e = Throws<YtxArgumentException>(action);
        Equal(r.Field, e.Field, "Field of <" + e.Message + ">");
        Contains(e.Message, r.Field, "the message names the field");
        Equal((YtxResultCode)r.Code, e.Code, "code of <" + e.Message + ">");
        Equal(YtxDelivery.NotSent, e.Delivery, "delivery");
        if (r.Arg == "auth_token" && r.Value != null && r.Value.Length > 0)
        {
            NotContains(e.ToString(), r.Value.Trim(), "the rejected token in the exception");
        }
    }

    /// <summary>A short, printable form of a value for a test name.</summary>
    private static string Show(string v)
    {
        if (v == null)
        {
            return "<NULL>";
        }
        var sb = new StringBuilder("\"");
        int shown = 0;
        foreach (char c in v)
        {
            if (shown == 16)
            {
                sb.Append("...");
                break;
            }
            switch (c)
            {
                case '\0': sb.Append("\\0"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default: sb.Append(c); break;
            }
            shown++;
        }
        sb.Append('"');
        if (v.Length > 16)
        {
            sb.Append(" (").Append(v.Length.ToString(CultureInfo.InvariantCulture)).Append(" chars)");
        }
        return sb.ToString();
    }
}
