using ScalingLab.Data;
using ScalingLab.Tensors;

namespace ScalingLab.Training;

/// <summary>
/// Draws training windows without replacement within an epoch from a <see cref="WindowLayout"/> (the stream grid, or
/// document-aligned windows). Epoch e visits the layout's W windows in a permutation drawn from the RNG stream forked
/// for e, so the position (epoch, index) is the whole state: a checkpoint saves it and a resumed run draws the same
/// windows.
/// </summary>
public sealed class WindowSampler
{
    private readonly ITokenSequence _tokens;
    private readonly Rng _rng;
    private readonly int[] _perm;
    private readonly int[] _window;

    /// <summary>Where the windows lie.</summary>
    public WindowLayout Layout { get; }
    /// <summary>Tokens per input sequence T.</summary>
    public int SeqLen => Layout.SeqLen;
    /// <summary>Windows per epoch W.</summary>
    public int WindowCount => Layout.Count;
    /// <summary>Current epoch (0-based).</summary>
    public long Epoch { get; private set; }
    /// <summary>Windows of the current epoch already drawn.</summary>
    public int Index { get; private set; }

    /// <summary>A sampler over the stream grid of <paramref name="tokens"/> (windows of <paramref name="seqLen"/> at multiples of it), seeded by <paramref name="seed"/>.</summary>
    public WindowSampler(ITokenSequence tokens, int seqLen, ulong seed) : this(tokens, WindowLayout.Grid(tokens, seqLen), seed) { }

    /// <summary>A sampler over the windows of <paramref name="layout"/> on <paramref name="tokens"/>, seeded by <paramref name="seed"/>.</summary>
    public WindowSampler(ITokenSequence tokens, WindowLayout layout, ulong seed)
    {
        _tokens = tokens;
        Layout = layout;
        _rng = new Rng(seed, stream: 0x57494E44); // "WIND"
        _perm = new int[layout.Count];
        _window = new int[layout.SeqLen + 1];
        Seek(0, 0);
    }

    /// <summary>The sampler a resolved train config asks for (its window mode, T and seed) over <paramref name="tokens"/>.</summary>
    public static WindowSampler For(ITokenSequence tokens, TrainConfig cfg) => new(tokens, WindowLayout.For(tokens, cfg), cfg.Seed);

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

    /// <summary>Writes the next <paramref name="batch"/> windows as inputs and targets (batch×T each, row-major; ignored targets are <see cref="Model.TransformerLm.IgnoreTarget"/>).</summary>
    public void Next(int batch, Span<int> inputs, Span<int> targets)
    {
        int t = SeqLen;
        for (int b = 0; b < batch; b++)
        {
            if (Index == WindowCount) Seek(Epoch + 1, 0);
            Layout.Read(_tokens, _perm[Index++], _window, inputs.Slice(b * t, t), targets.Slice(b * t, t));
        }
    }

    /// <summary>
    /// The fixed evaluation set of the stream grid: <paramref name="count"/> windows of T+1 tokens spread evenly over
    /// <paramref name="tokens"/> (window i starts at T·⌊i·W/count⌋), the same at every evaluation and in every run.
    /// </summary>
    public static long[] EvalStarts(ITokenSequence tokens, int seqLen, int count)
    {
        var layout = WindowLayout.Grid(tokens, seqLen, "validation");
        return layout.EvalWindows(count).Select(k => layout.Start(k)).ToArray();
    }
}
