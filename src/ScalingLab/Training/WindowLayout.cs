using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Model;

namespace ScalingLab.Training;

/// <summary>
/// Where the training (or evaluation) windows of a token sequence lie. A window is T+1 tokens read from its start:
/// inputs are tokens 0..T−1, targets tokens 1..T, of which the first <see cref="Targets"/>(k) are predicted and the
/// rest carry <see cref="TransformerLm.IgnoreTarget"/>.
/// <list type="bullet">
/// <item><b>stream</b>: the sequence cut into W = ⌊(count − 1) / T⌋ windows starting at multiples of T, every target
/// predicted (the usual language-modelling grid; a window may start mid-document).</item>
/// <item><b>aligned</b>: every window starts on a separator token (the end-of-text id that ends each document or line),
/// so its first target is the first token of a document; whole documents are packed greedily while they fit
/// (window k+1 starts at the separator that ends window k's last document), and targets after the last whole document
/// are ignored. No predicted token has lost part of its document's context, and the predicted tokens are whole
/// documents, so the mean loss is a per-token rate over documents (comparable with a generator's entropy floor, which
/// counts the separator as a token). A document longer than T contributes only its first T tokens (the window from its
/// start); the first document of the sequence, which no separator precedes, is not used.</item>
/// </list>
/// The layout is a pure function of the tokens, T and the separator, so a (epoch, index) position means the same
/// window in a resumed run.
/// </summary>
public sealed class WindowLayout
{
    private readonly long[]? _starts;   // aligned: start of window k (a separator position)
    private readonly int[]? _targets;   // aligned: predicted targets of window k

    /// <summary>Tokens per input sequence T.</summary>
    public int SeqLen { get; }
    /// <summary>Number of windows.</summary>
    public int Count { get; }
    /// <summary>The separator id of an aligned layout; −1 for the stream grid.</summary>
    public int Separator { get; }
    /// <summary>True for document-aligned windows.</summary>
    public bool Aligned => Separator >= 0;

    private WindowLayout(int seqLen, int count, int separator, long[]? starts, int[]? targets)
    {
        SeqLen = seqLen;
        Count = count;
        Separator = separator;
        _starts = starts;
        _targets = targets;
    }

    /// <summary>Window modes as named in train.json and on the command line.</summary>
    public const string Stream = "stream", AlignedMode = "aligned";

    /// <summary>The layout a resolved <see cref="TrainConfig"/> asks for over <paramref name="tokens"/>.</summary>
    public static WindowLayout For(ITokenSequence tokens, TrainConfig cfg, string what = "training") =>
        cfg.Windows == AlignedMode ? AlignedOn(tokens, cfg.Seq, cfg.Separator, what) : Grid(tokens, cfg.Seq, what);

    /// <summary>The stream grid: windows at multiples of <paramref name="seqLen"/>.</summary>
    public static WindowLayout Grid(ITokenSequence tokens, int seqLen, string what = "training")
    {
        if (seqLen < 1) throw new ArgumentOutOfRangeException(nameof(seqLen));
        long windows = (tokens.Count - 1) / seqLen;
        if (windows < 1)
            throw new UserError($"train: the {what} data has {tokens.Count} tokens, fewer than one window of {seqLen + 1}; use more data or a shorter --seq");
        if (windows > Array.MaxLength) throw new UserError($"train: {windows} windows are more than one epoch table can hold; use a longer --seq");
        return new WindowLayout(seqLen, (int)windows, -1, null, null);
    }

    /// <summary>Document-aligned windows on separator <paramref name="separator"/> (see the class summary).</summary>
    public static WindowLayout AlignedOn(ITokenSequence tokens, int seqLen, int separator, string what = "training")
    {
        if (seqLen < 1) throw new ArgumentOutOfRangeException(nameof(seqLen));
        if (separator < 0 || separator >= tokens.VocabSize)
            throw new UserError($"train: aligned windows need the data's end-of-text id as separator (got {separator}); use --windows stream for data without one");
        // Separator positions, read in blocks.
        var seps = new List<long>();
        var block = new int[1 << 16];
        for (long p = 0; p < tokens.Count; p += block.Length)
        {
            int n = (int)Math.Min(block.Length, tokens.Count - p);
            tokens.Read(p, block.AsSpan(0, n));
            for (int i = 0; i < n; i++) if (block[i] == separator) seps.Add(p + i);
        }
        var starts = new List<long>();
        var targets = new List<int>();
        int j = 0; // index into seps of the current window start
        while (j < seps.Count - 1)
        {
            long s = seps[j];
            // The last separator within reach (s + T): the end of the window's last whole document.
            int k = j;
            while (k + 1 < seps.Count && seps[k + 1] - s <= seqLen) k++;
            if (k == j)
            {
                // The next document is longer than T: its first T tokens, then on to the separator that ends it.
                starts.Add(s);
                targets.Add((int)Math.Min(seqLen, tokens.Count - 1 - s));
                j++;
                continue;
            }
            starts.Add(s);
            targets.Add((int)(seps[k] - s));
            j = k;
        }
        if (starts.Count == 0)
            throw new UserError($"train: the {what} data has no document that ends in the separator (id {separator}) after another; aligned windows need at least two separators (use --windows stream)");
        return new WindowLayout(seqLen, starts.Count, separator, starts.ToArray(), targets.ToArray());
    }

    /// <summary>First token of window <paramref name="k"/>.</summary>
    public long Start(int k) => _starts is null ? (long)k * SeqLen : _starts[k];

    /// <summary>Targets of window <paramref name="k"/> that are predicted (the rest are ignored).</summary>
    public int Targets(int k) => _targets is null ? SeqLen : _targets[k];

    /// <summary>
    /// Writes window <paramref name="k"/> of <paramref name="tokens"/>: inputs and targets (T each), ignored targets
    /// as <see cref="TransformerLm.IgnoreTarget"/>; an aligned window that runs past the end is padded with the separator.
    /// <paramref name="window"/> is scratch of T+1 ids.
    /// </summary>
    public void Read(ITokenSequence tokens, int k, Span<int> window, Span<int> inputs, Span<int> targets)
    {
        int t = SeqLen;
        long start = Start(k);
        int avail = (int)Math.Min(t + 1, tokens.Count - start);
        tokens.Read(start, window[..avail]);
        if (avail < t + 1) window[avail..(t + 1)].Fill(Separator);
        window[..t].CopyTo(inputs[..t]);
        window.Slice(1, t).CopyTo(targets[..t]);
        int keep = Targets(k);
        if (keep < t) targets[keep..t].Fill(TransformerLm.IgnoreTarget);
    }

    /// <summary>
    /// The fixed evaluation set: <paramref name="count"/> windows spread evenly over the layout (window ⌊i·W/count⌋),
    /// the same at every evaluation and in every run.
    /// </summary>
    public int[] EvalWindows(int count)
    {
        count = Math.Min(count, Count);
        var ks = new int[count];
        for (int i = 0; i < count; i++) ks[i] = (int)((long)i * Count / count);
        return ks;
    }
}
