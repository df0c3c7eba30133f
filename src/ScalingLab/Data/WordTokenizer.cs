using System.Text;
using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>
/// Whitespace-word tokenizer for small closed languages such as Question-Formation (68 words).
/// Text is lines of words separated by single spaces; id 0 is the newline, which ends a line and is
/// the end-of-text id, so each line is one document in a token stream. Words are sorted ordinally,
/// ids 1.. . Spaces, tabs and carriage returns separate words. Round trip: exact for text of vocabulary
/// words, single spaces and newlines (no leading or trailing spaces on a line; other separators come back as
/// single spaces); a word outside the vocabulary is a <see cref="UserError"/>.
/// </summary>
public sealed class WordTokenizer : ITokenizer
{
    private readonly string[] _words; // _words[0] = "\n"
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>The newline symbol (id 0).</summary>
    public const string Newline = "\n";

    /// <summary>A tokenizer over <paramref name="words"/> (distinct, no whitespace inside).</summary>
    public WordTokenizer(IEnumerable<string> words)
    {
        var sorted = words.Where(w => w != Newline).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (string w in sorted)
            if (w.Length == 0 || w.Any(char.IsWhiteSpace)) throw new ArgumentException($"word '{w}' is empty or holds whitespace");
        _words = [Newline, .. sorted];
        for (int i = 0; i < _words.Length; i++) _ids[_words[i]] = i;
        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The vocabulary of every space-separated word in <paramref name="texts"/> (tabs count as spaces).</summary>
    public static WordTokenizer Train(IEnumerable<string> texts)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (string t in texts)
            foreach (string w in t.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)) set.Add(w);
        if (set.Count == 0) throw new UserError("the corpus is empty: no words to build a word vocabulary from");
        return new WordTokenizer(set);
    }

    /// <summary>Words in id order (id 0 is the newline).</summary>
    public IReadOnlyList<string> Words => _words;

    /// <inheritdoc />
    public int VocabSize => _words.Length;

    /// <inheritdoc />
    public int EndOfTextId => 0;

    /// <inheritdoc />
    public int[] Encode(string text)
    {
        var ids = new List<int>(text.Length / 4 + 1);
        int line = 1;
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '\n') { ids.Add(0); i++; line++; continue; }
            if (c is ' ' or '\t' or '\r') { i++; continue; }
            int j = i;
            while (j < text.Length && text[j] is not (' ' or '\t' or '\r' or '\n')) j++;
            var word = text.AsSpan(i, j - i);
            if (!_lookup.TryGetValue(word, out int id))
                throw new UserError($"word '{word}' on line {line} is not in the tokenizer's {_words.Length - 1}-word vocabulary");
            ids.Add(id);
            i = j;
        }
        return ids.ToArray();
    }

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder(ids.Length * 6);
        bool lineStart = true;
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_words.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} outside [0, {VocabSize})");
            if (id == 0) { sb.Append('\n'); lineStart = true; continue; }
            if (!lineStart) sb.Append(' ');
            sb.Append(_words[id]);
            lineStart = false;
        }
        return sb.ToString();
    }
}
