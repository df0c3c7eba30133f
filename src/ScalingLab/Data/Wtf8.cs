namespace ScalingLab.Data;

/// <summary>
/// WTF-8 ("wobbly" UTF-8, https://simonsapin.github.io/wtf-8/): UTF-8 extended so that a lone UTF-16
/// surrogate is written as its own 3-byte sequence (ED A0–BF xx). A .NET string may hold lone surrogates;
/// plain UTF-8 would replace them with U+FFFD and lose them, WTF-8 keeps them, so byte-level BPE over
/// WTF-8 bytes round-trips every string. Paired surrogates are written as the usual 4-byte form, so for
/// valid text WTF-8 is exactly UTF-8 (and GPT-2's ids are unchanged). Decoding a byte sequence that no
/// string produces (e.g. a model's sample cut mid-character) replaces each bad byte with U+FFFD.
/// </summary>
public static class Wtf8
{
    /// <summary>Bytes needed for <paramref name="s"/>.</summary>
    public static int ByteCount(ReadOnlySpan<char> s)
    {
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c < 0x80) n += 1;
            else if (c < 0x800) n += 2;
            else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { n += 4; i++; }
            else n += 3; // BMP character or lone surrogate
        }
        return n;
    }

    /// <summary>Writes <paramref name="s"/> into <paramref name="dst"/> (at least <see cref="ByteCount"/> long); returns the byte count.</summary>
    public static int Encode(ReadOnlySpan<char> s, Span<byte> dst)
    {
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            int c = s[i];
            if (c < 0x80) dst[n++] = (byte)c;
            else if (c < 0x800)
            {
                dst[n++] = (byte)(0xC0 | (c >> 6));
                dst[n++] = (byte)(0x80 | (c & 0x3F));
            }
            else if (char.IsHighSurrogate((char)c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                int cp = char.ConvertToUtf32((char)c, s[++i]);
                dst[n++] = (byte)(0xF0 | (cp >> 18));
                dst[n++] = (byte)(0x80 | ((cp >> 12) & 0x3F));
                dst[n++] = (byte)(0x80 | ((cp >> 6) & 0x3F));
                dst[n++] = (byte)(0x80 | (cp & 0x3F));
            }
            else
            {
                dst[n++] = (byte)(0xE0 | (c >> 12));
                dst[n++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                dst[n++] = (byte)(0x80 | (c & 0x3F));
            }
        }
        return n;
    }

    /// <summary>The WTF-8 bytes of <paramref name="s"/>.</summary>
    public static byte[] GetBytes(ReadOnlySpan<char> s)
    {
        var b = new byte[ByteCount(s)];
        Encode(s, b);
        return b;
    }

    /// <summary>Decodes WTF-8 (hence UTF-8); each byte that starts no valid sequence becomes U+FFFD.</summary>
    public static string Decode(ReadOnlySpan<byte> b)
    {
        var sb = new System.Text.StringBuilder(b.Length);
        int i = 0;
        while (i < b.Length)
        {
            int b0 = b[i];
            if (b0 < 0x80) { sb.Append((char)b0); i++; continue; }
            if (b0 >= 0xC2 && b0 <= 0xDF && i + 1 < b.Length && Cont(b[i + 1]))
            {
                sb.Append((char)(((b0 & 0x1F) << 6) | (b[i + 1] & 0x3F)));
                i += 2;
                continue;
            }
            if (b0 >= 0xE0 && b0 <= 0xEF && i + 2 < b.Length && Cont(b[i + 1]) && Cont(b[i + 2]))
            {
                int cp = ((b0 & 0x0F) << 12) | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F);
                if (cp >= 0x800) // surrogates D800–DFFF allowed: that is the WTF-8 extension
                {
                    sb.Append((char)cp);
                    i += 3;
                    continue;
                }
            }
            if (b0 >= 0xF0 && b0 <= 0xF4 && i + 3 < b.Length && Cont(b[i + 1]) && Cont(b[i + 2]) && Cont(b[i + 3]))
            {
                int cp = ((b0 & 0x07) << 18) | ((b[i + 1] & 0x3F) << 12) | ((b[i + 2] & 0x3F) << 6) | (b[i + 3] & 0x3F);
                if (cp >= 0x10000 && cp <= 0x10FFFF)
                {
                    sb.Append(char.ConvertFromUtf32(cp));
                    i += 4;
                    continue;
                }
            }
            sb.Append('\uFFFD');
            i++;
        }
        return sb.ToString();
    }

    private static bool Cont(byte x) => (x & 0xC0) == 0x80;
}
