namespace ScalingLab.Data;

/// <summary>
/// An order-k <see cref="MarkovChain"/> as a true model over token ids (symbol i = id i + 1, as
/// <see cref="SyntheticCorpora.WriteMarkov"/> writes them). A target with at least k tokens before it in the window
/// gets P(x | last k); an earlier one the stationary conditional P(x | the j &lt; k tokens seen), from the stationary
/// marginals of (j+1)-grams, which is the best any model seeing only the window can do.
/// </summary>
public sealed class MarkovTrueModel : ITrueModel
{
    private readonly MarkovChain _chain;
    private readonly double[][] _marginal; // _marginal[j][idx of a j-gram] = stationary P(j-gram), j = 0..k

    /// <summary>Wraps <paramref name="chain"/>.</summary>
    public MarkovTrueModel(MarkovChain chain)
    {
        _chain = chain;
        EntropyRate = chain.EntropyRate();
        double[] pi = chain.Stationary();
        int k = chain.Order, v = chain.Vocab;
        _marginal = new double[k + 1][];
        for (int j = 0; j <= k; j++)
        {
            int size = (int)Math.Pow(v, j);
            var m = new double[size];
            for (int s = 0; s < pi.Length; s++) m[s % size] += pi[s]; // the last j symbols of context s
            _marginal[j] = m;
        }
    }

    /// <inheritdoc />
    public double EntropyRate { get; }

    /// <summary>The chain.</summary>
    public MarkovChain Chain => _chain;

    /// <inheritdoc />
    public (double Nats, int Scored) LogLoss(ReadOnlySpan<int> window, int predicted)
    {
        int k = _chain.Order, v = _chain.Vocab;
        double nats = 0;
        for (int i = 1; i <= predicted; i++)
        {
            int x = window[i] - 1;
            int seen = Math.Min(i, k);
            int ctx = 0;
            for (int j = i - seen; j < i; j++) ctx = ctx * v + (window[j] - 1);
            double p;
            if (seen == k) p = _chain.Probability(ctx, x);
            else p = _marginal[seen + 1][ctx * v + x] / _marginal[seen][ctx];
            nats -= Math.Log(p);
        }
        return (nats, predicted);
    }
}
