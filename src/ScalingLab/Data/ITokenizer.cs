namespace ScalingLab.Data;

/// <summary>
/// Text ↔ token ids. Every tokenizer here round-trips: <c>Decode(Encode(s)) == s</c> for every string
/// in its domain (for byte-level BPE that is every .NET string, lone surrogates included; for the
/// closed-vocabulary char and word tokenizers it is every string made of their symbols).
/// Saved and loaded as JSON through <see cref="TokenizerFile"/>.
/// </summary>
public interface ITokenizer
{
    /// <summary>Number of ids; every id is in [0, VocabSize).</summary>
    int VocabSize { get; }

    /// <summary>The ids of <paramref name="text"/>. Never produces the end-of-text id.</summary>
    int[] Encode(string text);

    /// <summary>The text of <paramref name="ids"/>.</summary>
    string Decode(ReadOnlySpan<int> ids);

    /// <summary>The id placed between documents in a token stream, or -1 when the tokenizer has none.</summary>
    int EndOfTextId => -1;
}
