namespace ScalingLab.Data;

/// <summary>
/// A read-only sequence of token ids: a plain array, or a memory-mapped token shard.
/// The trainer draws windows from it; reads are thread-safe.
/// </summary>
public interface ITokenSequence
{
    /// <summary>Number of tokens.</summary>
    long Count { get; }

    /// <summary>Every id is in [0, VocabSize).</summary>
    int VocabSize { get; }

    /// <summary>Copies tokens [start, start + dst.Length) into <paramref name="dst"/>.</summary>
    void Read(long start, Span<int> dst);
}

/// <summary>Tokens held in memory.</summary>
public sealed class ArrayTokens : ITokenSequence
{
    private readonly int[] _tokens;

    /// <summary>Wraps <paramref name="tokens"/> (not copied); ids must lie in [0, vocabSize).</summary>
    public ArrayTokens(int[] tokens, int vocabSize)
    {
        foreach (int t in tokens)
            if ((uint)t >= (uint)vocabSize) throw new ArgumentException($"token id {t} outside [0, {vocabSize})");
        _tokens = tokens;
        VocabSize = vocabSize;
    }

    /// <inheritdoc />
    public long Count => _tokens.Length;

    /// <inheritdoc />
    public int VocabSize { get; }

    /// <inheritdoc />
    public void Read(long start, Span<int> dst) => _tokens.AsSpan(checked((int)start), dst.Length).CopyTo(dst);
}
