using ScalingLab.Data;
using ScalingLab.Tensors;

namespace ScalingLab.Training;

/// <summary>
/// Draws training windows without replacement within an epoch. The token sequence is cut into
/// W = ⌊(count − 1) / T⌋ windows of T+1 tokens starting at multiples of T (inputs are tokens 0..T−1 of a window,
/// targets tokens 1..T). Epoch e visits the windows in a permutation drawn from the RNG stream forked for e, so
/// the position (epoch, index) is the whole state: a checkpoint saves it and a resumed run draws the same windows.
/// </summary>
public sealed class WindowSampler
{
    private readonly ITokenSequence _tokens;
    private readonly Rng _rng;
    private readonly int[] _perm;
    private readonly int[] _window;

    /// <summary>Tokens per input sequence T.</summary>
    public int SeqLen { get; }
    /// <summary>Windows per epoch W.</summary>
    public int WindowCount { get; }
    /// <summary>Current epoch (0-based).</summary>
    public long Epoch { get; private set; }
    /// <summary>Windows of the current epoch already drawn.</summary>
    public int Index { get; private set; }

    /// <summary>A sampler over <paramref name="tokens"/> for windows of <paramref name="seqLen"/> tokens, seeded by <paramref name="seed"/>.</summary>
    public WindowSampler(ITokenSequence tokens, int seqLen, ulong seed)
    {
        if (seqLen < 1) throw new ArgumentOutOfRangeException(nameof(seqLen));
        long windows = (tokens.Count - 1) / seqLen;
        if (windows < 1)
            throw new Common.UserError($"train: the training data has {tokens.Count} tokens, fewer than one window of {seqLen + 1}; use more data or a shorter --seq");
        if (windows > Array.MaxLength) throw new Common.UserError($"train: {windows} windows are more than one epoch table can hold; use a longer --seq");
        _tokens = tokens;
        SeqLen = seqLen;
        WindowCount = (int)windows;
        _rng = new Rng(seed, stream: 0x57494E44); // "WIND"
        _perm = new int[WindowCount];
        _window = new int[seqLen + 1];
        Seek(0, 0);
    }

    /// <summary>The RNG stream of the current epoch (saved in trainer_state.json for the record).</summary>
    public Rng EpochRng => _rng.Fork((ulong)Epoch);

    /// <summary>Moves to position (<paramref name="epoch"/>, <paramref name="index"/>), as saved by a checkpoint.</summary>
    public void Seek(long epoch, int index)
    {
        if (epoch < 0 || index < 0 || index > WindowCount)
            throw new Common.UserError($"train: data position (epoch {epoch}, window {index}) does not fit {WindowCount} windows; the data changed since the checkpoint");
        Epoch = epoch;
        Index = index;
        var r = EpochRng;
        r.Permutation(_perm);
    }

    /// <summary>Writes the next <paramref name="batch"/> windows as inputs and targets (batch×T each, row-major).</summary>
    public void Next(int batch, Span<int> inputs, Span<int> targets)
    {
        int t = SeqLen;
        for (int b = 0; b < batch; b++)
        {
            if (Index == WindowCount) Seek(Epoch + 1, 0);
            long start = (long)_perm[Index++] * t;
            _tokens.Read(start, _window);
            _window.AsSpan(0, t).CopyTo(inputs.Slice(b * t, t));
            _window.AsSpan(1, t).CopyTo(targets.Slice(b * t, t));
        }
    }

    /// <summary>
    /// The fixed evaluation set: <paramref name="count"/> windows of T+1 tokens spread evenly over
    /// <paramref name="tokens"/> (window i starts at T·⌊i·W/count⌋), the same at every evaluation and in every run.
    /// </summary>
    public static long[] EvalStarts(ITokenSequence tokens, int seqLen, int count)
    {
        long windows = (tokens.Count - 1) / seqLen;
        if (windows < 1)
            throw new Common.UserError($"train: the validation data has {tokens.Count} tokens, fewer than one window of {seqLen + 1}; use more data or a shorter --seq");
        count = (int)Math.Min(count, windows);
        var starts = new long[count];
        for (int i = 0; i < count; i++) starts[i] = (long)((UInt128)(ulong)i * (ulong)windows / (ulong)count) * seqLen;
        return starts;
    }
}
