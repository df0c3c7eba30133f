namespace ScalingLab.Data;

/// <summary>The first <see cref="Count"/> tokens of another sequence (a training subset: "1% of the data").</summary>
public sealed class PrefixTokens : ITokenSequence
{
    private readonly ITokenSequence _inner;

    /// <summary>The first <paramref name="count"/> tokens of <paramref name="inner"/> (1 ≤ count ≤ its length).</summary>
    public PrefixTokens(ITokenSequence inner, long count)
    {
        if (count < 1 || count > inner.Count) throw new ArgumentOutOfRangeException(nameof(count), $"{count} is not in [1, {inner.Count}]");
        _inner = inner;
        Count = count;
    }

    /// <inheritdoc />
    public long Count { get; }

    /// <inheritdoc />
    public int VocabSize => _inner.VocabSize;

    /// <inheritdoc />
    public void Read(long start, Span<int> dst)
    {
        if (start < 0 || start + dst.Length > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start + dst.Length}) outside the {Count} tokens");
        _inner.Read(start, dst);
    }
}
