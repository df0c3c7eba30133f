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
/// Computes <see cref="LossFloorResult"/> for a data folder from its manifest. Markov data (order k, V symbols, the
/// chain rebuilt from its recorded seed and Dirichlet α; checked against the recorded entropy rate): inside a window
/// a target with at least k tokens of context has P(x | last k); one with j &lt; k has P(x_j | x_0..x_{j−1}) from the
/// stationary marginals of j and j+1 consecutive symbols (Cover &amp; Thomas §4.2), so the figure is exact.
/// Other generators report the entropy rate their manifest records, if any, and say the windowed floor is not computed.
/// </summary>
public static class LossFloor
{
    /// <summary>The floor for runs of <paramref name="seqLen"/> tokens scored on <paramref name="evalWindows"/> windows of <paramref name="dataDir"/>'s val split.</summary>
    public static LossFloorResult? For(string dataDir, int seqLen, int evalWindows)
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
        if (manifest.Kind != "markov" || manifest.Parameters is not { } p)
        {
            string why = manifest.Kind switch
            {
                "qf" => "the Question-Formation grammar's per-token probabilities are not computed here",
                "memorize" => "the windowed floor of the memorisation corpus is not computed here",
                _ => "the generator is not known",
            };
            return manifest.EntropyRateNats is null && manifest.Kind is not ("qf" or "memorize")
                ? null
                : new LossFloorResult(source, manifest.EntropyRateNats, null, evalWindows, seqLen, why);
        }
        int order = (int)p["order"]!, vocab = (int)p["vocab"]!;
        double alpha = (double)p["concentration"]!;
        var chain = MarkovChain.RandomDirichlet(order, vocab, alpha, manifest.Seed);
        double h = chain.EntropyRate();
        if (manifest.EntropyRateNats is double recorded && Math.Abs(recorded - h) > 1e-9 * Math.Max(1, h))
            return new LossFloorResult(source, recorded, null, evalWindows, seqLen,
                "the chain rebuilt from the manifest does not reproduce its recorded entropy rate, so no windowed floor is given");
        using var ds = TokenDataset.Open(dataDir);
        var starts = WindowSampler.EvalStarts(ds.Val, seqLen, evalWindows);
        double loss = WindowedCrossEntropy(chain, ds.Val, starts, seqLen);
        return new LossFloorResult(source, h, loss, starts.Length, seqLen,
            $"the true order-{order} chain's cross-entropy on the {starts.Length} evaluation windows of {seqLen} targets each");
    }

    /// <summary>
    /// Mean −ln P(target | in-window context) of <paramref name="chain"/> over windows of T+1 tokens at
    /// <paramref name="starts"/> (token id = symbol + 1, as <see cref="SyntheticCorpora"/> writes them).
    /// </summary>
    public static double WindowedCrossEntropy(MarkovChain chain, ITokenSequence tokens, long[] starts, int seqLen)
    {
        int k = chain.Order, v = chain.Vocab;
        // marginal[j][code]: stationary probability of j consecutive symbols (code = Σ x_i V^(j−1−i)), j = 0..k.
        var pi = chain.Stationary();
        var marginal = new double[k + 1][];
        marginal[k] = pi;
        for (int j = k - 1; j >= 0; j--)
        {
            int size = (int)Math.Pow(v, j);
            marginal[j] = new double[size];
            // The last j symbols of a (j+1)-gram: drop its first (most significant) symbol.
            for (int code = 0; code < marginal[j + 1].Length; code++) marginal[j][code % Math.Max(size, 1)] += marginal[j + 1][code];
        }
        var window = new int[seqLen + 1];
        double sum = 0;
        long count = 0;
        foreach (long start in starts)
        {
            tokens.Read(start, window);
            for (int t = 1; t <= seqLen; t++)
            {
                int x = window[t] - 1;
                double prob;
                if (t >= k)
                {
                    int ctx = 0;
                    for (int i = t - k; i < t; i++) ctx = ctx * v + (window[i] - 1);
                    prob = chain.Probability(ctx, x);
                }
                else
                {
                    int prefix = 0;
                    for (int i = 0; i < t; i++) prefix = prefix * v + (window[i] - 1);
                    prob = marginal[t + 1][prefix * v + x] / marginal[t][prefix];
                }
                sum -= Math.Log(prob);
                count++;
            }
        }
        return sum / count;
    }
}
