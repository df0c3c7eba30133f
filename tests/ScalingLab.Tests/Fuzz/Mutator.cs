using System.Text;

namespace ScalingLab.Tests.Fuzz;

/// <summary>
/// A deterministic mutation fuzzer's mutations: from a seed input and a case number, 1 to 4 edits chosen by a seeded
/// RNG — bit flips, interesting bytes, little-endian integers planted anywhere (header lengths, shapes, counts),
/// insertions, deletions, duplicated or spliced ranges, truncation, and for text formats numbers replaced by extreme
/// ones and structural characters (braces, quotes, commas, newlines) inserted. Same (seed input, case) → same bytes.
/// </summary>
public static class Mutator
{
    private static readonly byte[] InterestingBytes = [0, 1, 0x7F, 0x80, 0xFF, (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)'"', (byte)',', (byte)':', (byte)'\n', (byte)'-', (byte)'.', (byte)'e', (byte)'\\'];

    private static readonly long[] InterestingInts = [0, 1, -1, 2, 255, 256, 65535, 65536, int.MaxValue, int.MinValue, uint.MaxValue, long.MaxValue, long.MinValue, 1L << 40, 1L << 31, 1L << 32, 1L << 62];

    private static readonly string[] InterestingNumbers = ["0", "-1", "-0", "1e308", "-1e308", "1e-320", "NaN", "Infinity", "-Infinity", "2147483648", "4294967296",
                                                           "9223372036854775808", "99999999999999999999999", "0.0000001", "1.5", "3e9", "1e400", ""];

    private static readonly string[] Structural = ["{", "}", "[", "]", "\"", ",", ":", "\n", "\r\n", " ", "\t", "null", "true", "[]", "{}", "\"\"", "- ", ": ", "#", "&a", "*a", "!!binary ", "\u0000", "\uFFFD", "é", "'"];

    /// <summary>The RNG seed of case <paramref name="caseIndex"/>: SplitMix64's finaliser over (seed, case), the same in every process.</summary>
    public static int CaseSeed(ulong fuzzSeed, long caseIndex)
    {
        ulong z = fuzzSeed * 0x9E3779B97F4A7C15UL + (ulong)caseIndex + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }

    /// <summary>The mutated input of case <paramref name="caseIndex"/>.</summary>
    public static byte[] Mutate(IReadOnlyList<byte[]> seeds, ulong fuzzSeed, long caseIndex, bool text)
    {
        // Not HashCode.Combine: it is salted per process, so the same (seed, case) gave other bytes on every run.
        var rng = new Random(CaseSeed(fuzzSeed, caseIndex));
        var data = new List<byte>(seeds[rng.Next(seeds.Count)]);
        int edits = 1 + rng.Next(4);
        for (int e = 0; e < edits; e++)
        {
            int op = rng.Next(text ? 12 : 9);
            int n = data.Count;
            int At(int extra = 0) => n == 0 ? 0 : rng.Next(n + extra);
            switch (op)
            {
                case 0 when n > 0: // flip a bit
                {
                    int i = At();
                    data[i] ^= (byte)(1 << rng.Next(8));
                    break;
                }
                case 1 when n > 0: // an interesting byte
                    data[At()] = InterestingBytes[rng.Next(InterestingBytes.Length)];
                    break;
                case 2: // a little-endian integer planted over 1, 2, 4 or 8 bytes
                {
                    int width = 1 << rng.Next(4);
                    long v = InterestingInts[rng.Next(InterestingInts.Length)] + rng.Next(-2, 3);
                    int i = At();
                    for (int b = 0; b < width; b++)
                    {
                        byte x = (byte)(v >> (8 * b));
                        if (i + b < data.Count) data[i + b] = x;
                        else data.Add(x);
                    }
                    break;
                }
                case 3: // random bytes inserted
                {
                    int i = At(1), len = 1 + rng.Next(16);
                    var buf = new byte[len];
                    rng.NextBytes(buf);
                    data.InsertRange(i, buf);
                    break;
                }
                case 4 when n > 0: // a range deleted
                {
                    int i = At(), len = 1 + rng.Next(Math.Min(64, n - i));
                    data.RemoveRange(i, len);
                    break;
                }
                case 5 when n > 0: // a range duplicated
                {
                    int i = At(), len = 1 + rng.Next(Math.Min(64, n - i));
                    data.InsertRange(At(1), data.GetRange(i, len));
                    break;
                }
                case 6 when n > 0: // truncated
                    TruncateAt(data, rng);
                    break;
                case 7: // spliced with another seed
                {
                    var other = seeds[rng.Next(seeds.Count)];
                    if (other.Length == 0) break;
                    int i = rng.Next(other.Length), len = 1 + rng.Next(Math.Min(256, other.Length - i));
                    int at = At(1);
                    data.RemoveRange(at, Math.Min(data.Count - at, rng.Next(len + 1)));
                    data.InsertRange(at, other.AsSpan(i, len).ToArray());
                    break;
                }
                case 8 when n > 0: // a byte repeated many times (long lines, deep nesting)
                {
                    int i = At();
                    data.InsertRange(i, Enumerable.Repeat(data[i], 1 + rng.Next(2000)));
                    break;
                }
                case 9: // text: a number replaced by an extreme one
                    ReplaceNumber(data, rng);
                    break;
                case 10: // text: a structural token inserted
                    data.InsertRange(At(1), Encoding.UTF8.GetBytes(Structural[rng.Next(Structural.Length)]));
                    break;
                case 11: // text: a line removed or doubled
                    EditLine(data, rng);
                    break;
            }
        }
        return data.ToArray();
    }

    private static void TruncateAt(List<byte> data, Random rng)
    {
        if (data.Count == 0) return;
        int keep = rng.Next(data.Count);
        data.RemoveRange(keep, data.Count - keep);
    }

    private static void ReplaceNumber(List<byte> data, Random rng)
    {
        var starts = new List<int>();
        for (int i = 0; i < data.Count; i++)
            if (char.IsAsciiDigit((char)data[i]) && (i == 0 || !char.IsAsciiDigit((char)data[i - 1]) && data[i - 1] != '.')) starts.Add(i);
        if (starts.Count == 0) return;
        int s = starts[rng.Next(starts.Count)], e = s;
        while (e < data.Count && (char.IsAsciiDigit((char)data[e]) || data[e] is (byte)'.' or (byte)'e' or (byte)'E' or (byte)'-' or (byte)'+')) e++;
        data.RemoveRange(s, e - s);
        data.InsertRange(s, Encoding.UTF8.GetBytes(InterestingNumbers[rng.Next(InterestingNumbers.Length)]));
    }

    private static void EditLine(List<byte> data, Random rng)
    {
        var breaks = new List<int> { 0 };
        for (int i = 0; i < data.Count; i++) if (data[i] == '\n') breaks.Add(i + 1);
        if (breaks.Count < 2) return;
        int k = rng.Next(breaks.Count - 1), s = breaks[k], e = breaks[k + 1];
        if (rng.Next(2) == 0) data.RemoveRange(s, e - s);
        else data.InsertRange(e, data.GetRange(s, e - s));
    }
}
