using System.Text;
using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>
/// Character-level tokenizer over UTF-16 code units: one id per code unit seen in the training text,
/// in ascending code-unit order, then an end-of-text id. Working on code units (not code points) makes
/// lone surrogates ordinary symbols, so the round trip is exact for every string over the alphabet.
/// A character outside the alphabet is a <see cref="UserError"/>.
/// </summary>
public sealed class CharTokenizer : ITokenizer
{
    private readonly char[] _symbols;
    private readonly int[] _idOf = new int[65536];

    /// <summary>Decoded text of the end-of-text id.</summary>
    public const string EndOfText = "<|endoftext|>";

    /// <summary>A tokenizer over exactly <paramref name="symbols"/> (distinct code units).</summary>
    public CharTokenizer(IEnumerable<char> symbols)
    {
        _symbols = symbols.Distinct().Order().ToArray();
        Array.Fill(_idOf, -1);
        for (int i = 0; i < _symbols.Length; i++) _idOf[_symbols[i]] = i;
    }

    /// <summary>The alphabet of every code unit occurring in <paramref name="texts"/>.</summary>
    public static CharTokenizer Train(IEnumerable<string> texts)
    {
        var seen = new bool[65536];
        foreach (string t in texts) foreach (char c in t) seen[c] = true;
        var syms = Enumerable.Range(0, 65536).Where(i => seen[i]).Select(i => (char)i).ToList();
        if (syms.Count == 0) throw new UserError("the corpus is empty: no characters to build a character vocabulary from");
        return new CharTokenizer(syms);
    }

    /// <summary>The alphabet, in id order.</summary>
    public IReadOnlyList<char> Symbols => _symbols;

    /// <inheritdoc />
    public int VocabSize => _symbols.Length + 1;

    /// <inheritdoc />
    public int EndOfTextId => _symbols.Length;

    /// <inheritdoc />
    public int[] Encode(string text)
    {
        var ids = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            int id = _idOf[text[i]];
            if (id < 0) throw new UserError($"character U+{(int)text[i]:X4} at position {i} is not in the tokenizer's {_symbols.Length}-character alphabet; retrain the tokenizer on text that contains it");
            ids[i] = id;
        }
        return ids;
    }

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder(ids.Length);
        foreach (int id in ids)
        {
            if (id == EndOfTextId) sb.Append(EndOfText);
            else if ((uint)id < (uint)_symbols.Length) sb.Append(_symbols[id]);
            else throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} outside [0, {VocabSize})");
        }
        return sb.ToString();
    }
}
