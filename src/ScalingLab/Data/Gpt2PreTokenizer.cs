using System.Runtime.CompilerServices;
using System.Text;

namespace ScalingLab.Data;

/// <summary>
/// GPT-2's pre-tokenisation (Radford et al. 2019), the pattern
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>
/// written out as a scanner: the same pieces as the regex (first matching alternative, greedy), without a
/// regex engine or allocation. Classes are taken per code point (a supplementary letter is a letter); a
/// lone surrogate is neither letter, number nor space. BPE never merges across these pieces.
/// </summary>
public static class Gpt2PreTokenizer
{
    private enum Cls : byte { Letter, Number, Space, Other }

    /// <summary>End (exclusive) of the piece that starts at <paramref name="i"/> (&lt; s.Length).</summary>
    public static int Next(ReadOnlySpan<char> s, int i)
    {
        int n = s.Length;
        char c = s[i];
        if (c == '\'' && i + 1 < n)
        {
            char c1 = s[i + 1];
            if (c1 is 's' or 't' or 'm' or 'd') return i + 2;
            if (i + 2 < n)
            {
                char c2 = s[i + 2];
                if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return i + 3;
            }
        }
        int j = i;
        if (c == ' ' && i + 1 < n && Class(s, i + 1, out _) != Cls.Space) j = i + 1; // " ?" before a word, number or symbol run
        Cls cls = Class(s, j, out int len);
        if (cls != Cls.Space)
        {
            j += len;
            while (j < n && Class(s, j, out len) == cls) j += len;
            return j;
        }
        // Whitespace: the run, less its last character when a non-space follows (that one goes with the next word).
        int k = i + len;
        while (k < n && Class(s, k, out len) == Cls.Space) k += len;
        if (k == n || k - i == 1) return k;
        return k - 1;
    }

    /// <summary>Splits <paramref name="s"/> into pieces (for tests and the trainer; the encoder calls <see cref="Next"/>).</summary>
    public static List<string> Split(string s)
    {
        var pieces = new List<string>();
        for (int i = 0; i < s.Length;)
        {
            int e = Next(s, i);
            pieces.Add(s[i..e]);
            i = e;
        }
        return pieces;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Cls Class(ReadOnlySpan<char> s, int i, out int len)
    {
        char c = s[i];
        len = 1;
        if (c < 0x80)
        {
            if ((uint)((c | 0x20) - 'a') <= 'z' - 'a') return Cls.Letter;
            if ((uint)(c - '0') <= 9) return Cls.Number;
            if (c == ' ' || (c >= '\t' && c <= '\r')) return Cls.Space;
            return Cls.Other;
        }
        if (!char.IsSurrogate(c))
        {
            if (char.IsLetter(c)) return Cls.Letter;
            if (char.IsNumber(c)) return Cls.Number;
            if (char.IsWhiteSpace(c)) return Cls.Space;
            return Cls.Other;
        }
        if (Rune.DecodeFromUtf16(s[i..], out Rune r, out int used) != System.Buffers.OperationStatus.Done)
            return Cls.Other; // lone surrogate
        len = used;
        if (Rune.IsLetter(r)) return Cls.Letter;
        if (Rune.IsNumber(r)) return Cls.Number;
        if (Rune.IsWhiteSpace(r)) return Cls.Space;
        return Cls.Other;
    }
}
