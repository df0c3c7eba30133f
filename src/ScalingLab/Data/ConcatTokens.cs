namespace ScalingLab.Data;

/// <summary>Several token sequences read as one (a split stored in many shards).</summary>
public sealed class ConcatTokens : ITokenSequence
{
    private readonly ITokenSequence[] _parts;
    private readonly long[] _starts; // _starts[i] = first global index of part i; _starts[^1] = Count

    /// <summary>Concatenates <paramref name="parts"/> in order; they must share one vocabulary size.</summary>
    public ConcatTokens(IReadOnlyList<ITokenSequence> parts, int vocabSize)
    {
        _parts = parts.ToArray();
        _starts = new long[_parts.Length + 1];
        for (int i = 0; i < _parts.Length; i++)
        {
            if (_parts[i].VocabSize != vocabSize)
                throw new ArgumentException($"part {i} has vocabulary {_parts[i].VocabSize}, expected {vocabSize}");
            _starts[i + 1] = _starts[i] + _parts[i].Count;
        }
        VocabSize = vocabSize;
    }

    /// <inheritdoc />
    public long Count => _starts[^1];

    /// <inheritdoc />
    public int VocabSize { get; }

    /// <inheritdoc />
    public void Read(long start, Span<int> dst)
    {
        if (start < 0 || start + dst.Length > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start + dst.Length}) outside the {Count} tokens");
        int part = Array.BinarySearch(_starts, start);
        if (part < 0) part = ~part - 1;
        while (dst.Length > 0)
        {
            while (_starts[part + 1] == start) part++; // skip empty parts
            long local = start - _starts[part];
            int n = (int)Math.Min(dst.Length, _parts[part].Count - local);
            _parts[part].Read(local, dst[..n]);
            dst = dst[n..];
            start += n;
        }
    }
}
