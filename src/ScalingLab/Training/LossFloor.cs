using ScalingLab.Data;

namespace ScalingLab.Training;

/// <summary>
/// The floor under a run's loss when the data's generator is known: <see cref="EntropyRate"/> is the population's
/// entropy rate (the loss of the true model with unlimited context), <see cref="BestEvalLoss"/> the true model's
/// cross-entropy on the very evaluation windows the runs are scored on, with only the context a window gives (the
/// lowest validation loss any model can reach there). Null fields are not known for that generator; <see cref="Note"/> says why.
/// </summary>
public sealed record LossFloorResult(string Source, double? EntropyRate, double? BestEvalLoss, int EvalWindows, int SeqLen, string Note);

/// <summary>
/// Computes <see cref="LossFloorResult"/> for a data folder from its manifest, through the generator's true model
/// (<see cref="TrueModels.For"/>: Markov chains rebuilt from their recorded seed and Dirichlet α and checked against the
/// recorded entropy rate, the memorisable corpus, generated Question-Formation). Inside a window the model conditions
/// on the window's tokens only (a Markov target with j &lt; k tokens before it gets the stationary conditional;
/// see <see cref="MarkovTrueModel"/>), on the windows the runs are evaluated on (the stream grid, or aligned windows
/// for line-structured data, as the trainer's default picks them), so the figure is exact. Other data report the entropy
/// rate their manifest records, if any, and say the windowed floor is not computed.
/// </summary>
public static class LossFloor
{
    /// <summary>
    /// The floor for runs of <paramref name="seqLen"/> tokens scored on <paramref name="evalWindows"/> windows of
    /// <paramref name="dataDir"/>'s val split; <paramref name="windows"/> is the runs' window mode (null = the data's default).
    /// </summary>
    public static LossFloorResult? For(string dataDir, int seqLen, int evalWindows, string? windows = null)
    {
        DataManifest manifest;
        try
        {
            manifest = DataManifest.Read(dataDir);
        }
        catch (Exception e) when (e is Common.UserError or IOException)
        {
            return null;
        }
        string source = manifest.Source.Length > 0 ? manifest.Source : manifest.Kind;
        ITrueModel? model;
        try
        {
            model = TrueModels.For(manifest, dataDir);
        }
        catch (Exception e) when (e is Common.UserError or InvalidOperationException or FormatException or NullReferenceException)
        {
            model = null;
        }
        if (model is null)
            return manifest.EntropyRateNats is null ? null
                : new LossFloorResult(source, manifest.EntropyRateNats, null, evalWindows, seqLen, "the generator's true model is not known for this data");
        if (manifest.EntropyRateNats is double recorded && Math.Abs(recorded - model.EntropyRate) > 1e-9 * Math.Max(1, recorded))
            return new LossFloorResult(source, recorded, null, evalWindows, seqLen,
                "the generator rebuilt from the manifest does not reproduce its recorded entropy rate, so no windowed floor is given");
        using var ds = TokenDataset.Open(dataDir);
        var cfg = new TrainConfig { Seq = seqLen, Windows = windows }.ForData(manifest, ds.Tokenizer).Resolve();
        var layout = WindowLayout.For(ds.Val, cfg, "validation");
        int[] ks = layout.EvalWindows(evalWindows);
        var window = new int[seqLen + 1];
        double sum = 0;
        long count = 0;
        foreach (int k in ks)
        {
            long start = layout.Start(k);
            int avail = (int)Math.Min(seqLen + 1, ds.Val.Count - start);
            ds.Val.Read(start, window.AsSpan(0, avail));
            var (nats, scored) = model.LogLoss(window, Math.Min(layout.Targets(k), avail - 1));
            sum += nats;
            count += scored;
        }
        return new LossFloorResult(source, model.EntropyRate, count == 0 ? null : sum / count, ks.Length, seqLen,
            $"the true model's cross-entropy on the {ks.Length} evaluation windows ({cfg.Windows} windows of {seqLen} tokens; {count:N0} targets scored)");
    }

    /// <summary>
    /// Mean −ln P(target | in-window context) of <paramref name="chain"/> over windows of T+1 tokens at
    /// <paramref name="starts"/> (token id = symbol + 1, as <see cref="SyntheticCorpora"/> writes them).
    /// </summary>
    public static double WindowedCrossEntropy(MarkovChain chain, ITokenSequence tokens, long[] starts, int seqLen)
    {
        var model = new MarkovTrueModel(chain);
        var window = new int[seqLen + 1];
        double sum = 0;
        long count = 0;
        foreach (long start in starts)
        {
            tokens.Read(start, window);
            var (nats, scored) = model.LogLoss(window, seqLen);
            sum += nats;
            count += scored;
        }
        return sum / count;
    }
}
