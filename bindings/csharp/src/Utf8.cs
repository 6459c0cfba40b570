using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace Ytx
{
    /// <summary>
    /// UTF-8 across the boundary, by hand (netstandard2.0 has no <c>LPUTF8Str</c>):
    /// strings in become NUL-terminated UTF-8 <c>byte[]</c>s, strings out are read
    /// from a borrowed <c>const char *</c> up to its NUL and decoded as UTF-8.
    /// </summary>
    internal static class Utf8
    {
        // Strict: a lone surrogate is an error, never silently replaced.
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        // Lenient for text from the library (it only produces UTF-8; a replacement
        // character is better than losing an error report).
        private static readonly UTF8Encoding Lenient = new UTF8Encoding(false, false);

        /// <summary>
        /// The NUL-terminated UTF-8 bytes of <paramref name="value"/>. Throws
        /// <see cref="YtxArgumentException"/> naming <paramref name="field"/> when the
        /// value is null, contains a NUL character or is not valid UTF-16. The value
        /// itself never appears in the message (it may be the auth token).
        /// </summary>
        internal static byte[] Encode(string value, string field)
        {
            if (value == null)
            {
                throw new YtxArgumentException(
                    field + ": must not be null", YtxResultCode.NullArgument, field);
            }
            if (value.IndexOf('\0') >= 0)
            {
                throw new YtxArgumentException(
                    field + ": must not contain a NUL character (U+0000)",
                    YtxResultCode.InvalidArgument, field);
            }
            int length;
            try
            {
                length = Strict.GetByteCount(value);
            }
            catch (EncoderFallbackException)
            {
                throw new YtxArgumentException(
                    field + ": is not valid Unicode (unpaired surrogate), so it has no UTF-8 form",
                    YtxResultCode.InvalidUtf8, field);
            }
            var bytes = new byte[length + 1];
            Strict.GetBytes(value, 0, value.Length, bytes, 0);
            bytes[length] = 0;
            return bytes;
        }

        /// <summary>Copies NUL-terminated bytes into a new HGlobal block.</summary>
        internal static IntPtr ToHGlobal(byte[] nulTerminated)
        {
            IntPtr p = Marshal.AllocHGlobal(nulTerminated.Length);
            Marshal.Copy(nulTerminated, 0, p, nulTerminated.Length);
            return p;
        }

        /// <summary>
        /// Decodes a borrowed NUL-terminated UTF-8 string; <c>""</c> for NULL. Must be
        /// called while the owner (an outcome, or static storage) is alive.
        /// </summary>
        internal static string Decode(IntPtr p)
        {
            if (p == IntPtr.Zero)
            {
                return string.Empty;
            }
            int length = 0;
            while (Marshal.ReadByte(p, length) != 0)
            {
                length++;
            }
            if (length == 0)
            {
                return string.Empty;
            }
            var bytes = new byte[length];
            Marshal.Copy(p, bytes, 0, length);
            return Lenient.GetString(bytes);
        }
    }

    /// <summary>
    /// Name/value option pairs as the two <c>const char *const *</c> arrays the C API
    /// takes: every string is a UTF-8 HGlobal block, freed by <see cref="Dispose"/>
    /// (call it in a <c>finally</c>). Every value is validated before anything is
    /// allocated.
    /// </summary>
    internal sealed class NativeOptions : IDisposable
    {
        internal IntPtr[] Names { get; private set; }
        internal IntPtr[] Values { get; private set; }
        internal UIntPtr Count { get; private set; }

        internal NativeOptions(IList<KeyValuePair<string, string>> options)
        {
            Count = UIntPtr.Zero;
            if (options == null || options.Count == 0)
            {
                return; // NULL arrays with a count of 0, as the C API allows
            }
            var names = new byte[options.Count][];
            var values = new byte[options.Count][];
            for (int i = 0; i < options.Count; i++)
            {
                names[i] = Utf8.Encode(options[i].Key, "option_names");
                values[i] = Utf8.Encode(options[i].Value, options[i].Key);
            }
            Names = new IntPtr[options.Count];
            Values = new IntPtr[options.Count];
            try
            {
                for (int i = 0; i < options.Count; i++)
                {
                    Names[i] = Utf8.ToHGlobal(names[i]);
                    Values[i] = Utf8.ToHGlobal(values[i]);
                }
            }
            catch
            {
                Dispose();
                throw;
            }
            Count = new UIntPtr((uint)options.Count);
        }

        public void Dispose()
        {
            Free(Names);
            Free(Values);
            Names = null;
            Values = null;
            Count = UIntPtr.Zero;
        }

        private static void Free(IntPtr[] blocks)
        {
            if (blocks == null)
            {
                return;
            }
            for (int i = 0; i < blocks.Length; i++)
            {
                if (blocks[i] != IntPtr.Zero)
                {
                    Marshal.FreeHGlobal(blocks[i]);
                    blocks[i] = IntPtr.Zero;
                }
            }
        }
    }
}
