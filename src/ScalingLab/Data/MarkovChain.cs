using ScalingLab.Common;
using ScalingLab.Tensors;

namespace ScalingLab.Data;

/// <summary>
/// An order-k Markov chain over V symbols: the next symbol depends on the previous k through a row of
/// transition probabilities per context (V^k rows of V). Its entropy rate is known exactly,
///     H = Σ_s π(s) · H(P(·|s)),   H(p) = −Σ_x p(x) ln p(x)   (nats per symbol; Cover &amp; Thomas, Thm 4.2.4),
/// with π the stationary distribution over contexts, so a corpus sampled from it has a true irreducible
/// loss that a fitted scaling law can be checked against.
/// </summary>
public sealed class MarkovChain
{
    private readonly double[] _p;    // [contexts, V] row-major
    private readonly double[] _cdf;  // running sums of each row, for sampling

    /// <summary>Symbols that condition the next one.</summary>
    public int Order { get; }

    /// <summary>Number of symbols V.</summary>
    public int Vocab { get; }

    /// <summary>Number of contexts, V^k. Context index = Σ_i x_{t−k+i} V^(k−1−i) (the latest symbol last).</summary>
    public int Contexts { get; }

    /// <summary>A chain with the given rows (each non-negative, summing to 1 within 1e-9).</summary>
    public MarkovChain(int order, int vocab, double[] transitions)
    {
        Order = order;
        Vocab = vocab;
        Contexts = CheckedContexts(order, vocab);
        if (transitions.Length != (long)Contexts * vocab) throw new ArgumentException($"need {Contexts}×{vocab} transition probabilities");
        _p = transitions;
        _cdf = new double[_p.Length];
        for (int s = 0; s < Contexts; s++)
        {
            double sum = 0;
            for (int x = 0; x < vocab; x++)
            {
                double q = _p[s * vocab + x];
                if (!(q >= 0)) throw new ArgumentException($"row {s} has a negative or NaN probability");
                sum += q;
                _cdf[s * vocab + x] = sum;
            }
            if (Math.Abs(sum - 1) > 1e-9) throw new ArgumentException($"row {s} sums to {sum}, not 1");
        }
    }

    private static int CheckedContexts(int order, int vocab)
    {
        if (order < 0) throw new UserError($"--order {order} must be 0 or more");
        if (vocab < 2) throw new UserError($"--vocab {vocab} must be at least 2");
        double cells = Math.Pow(vocab, order + 1);
        if (cells > (1 << 26))
            throw new UserError($"an order-{order} chain over {vocab} symbols has {cells:G3} transition probabilities; keep vocab^(order+1) ≤ 2^26 (lower --order or --vocab)");
        return (int)Math.Pow(vocab, order);
    }

    /// <summary>
    /// A random chain: each row drawn from a symmetric Dirichlet(α) (α small: peaked, low entropy; α large:
    /// near uniform, entropy near ln V). Rows come from independent streams of <paramref name="seed"/>.
    /// </summary>
    public static MarkovChain RandomDirichlet(int order, int vocab, double concentration, ulong seed)
    {
        if (!(concentration > 0) || double.IsInfinity(concentration)) throw new UserError($"--concentration {concentration} must be positive");
        int contexts = CheckedContexts(order, vocab);
        var p = new double[(long)contexts * vocab];
        var root = new Rng(seed, 0x4D41524BUL); // "MARK"
        for (int s = 0; s < contexts; s++)
        {
            var rng = root.Fork((ulong)s);
            double sum = 0;
            for (int x = 0; x < vocab; x++) sum += p[s * vocab + x] = Gamma(ref rng, concentration);
            if (sum == 0) { p[s * vocab + rng.NextInt(vocab)] = 1; continue; } // all underflowed (α tiny): a point mass
            for (int x = 0; x < vocab; x++) p[s * vocab + x] /= sum;
        }
        return new MarkovChain(order, vocab, p);
    }

    /// <summary>P(x | context s).</summary>
    public double Probability(int context, int x) => _p[context * Vocab + x];

    /// <summary>The context after seeing <paramref name="x"/> in context <paramref name="s"/>.</summary>
    public int NextContext(int s, int x) => Order == 0 ? 0 : (int)(((long)s * Vocab + x) % Contexts);

    /// <summary>Stationary distribution over contexts by power iteration (to an L1 change below 1e-13).</summary>
    public double[] Stationary()
    {
        var pi = new double[Contexts];
        var next = new double[Contexts];
        Array.Fill(pi, 1.0 / Contexts);
        for (int it = 0; it < 100_000; it++)
        {
            Array.Clear(next);
            for (int s = 0; s < Contexts; s++)
            {
                double w = pi[s];
                if (w == 0) continue;
                for (int x = 0; x < Vocab; x++) next[NextContext(s, x)] += w * _p[s * Vocab + x];
            }
            double total = 0, diff = 0;
            foreach (double v in next) total += v;
            for (int s = 0; s < Contexts; s++) { next[s] /= total; diff += Math.Abs(next[s] - pi[s]); }
            (pi, next) = (next, pi);
            if (diff < 1e-13) return pi;
        }
        throw new UserError("the chain's stationary distribution did not converge: with a tiny Dirichlet α many transitions are 0 and the chain can be periodic; raise --concentration");
    }

    /// <summary>Entropy rate in nats per symbol: Σ_s π(s) H(P(·|s)).</summary>
    public double EntropyRate()
    {
        double[] pi = Stationary();
        double h = 0;
        for (int s = 0; s < Contexts; s++)
        {
            double row = 0;
            for (int x = 0; x < Vocab; x++)
            {
                double q = _p[s * Vocab + x];
                if (q > 0) row -= q * Math.Log(q);
            }
            h += pi[s] * row;
        }
        return h;
    }

    /// <summary>A context drawn from π, so that a sample is stationary from its first symbol.</summary>
    public int StationaryContext(ref Rng rng, double[] pi)
    {
        double u = rng.NextDouble(), acc = 0;
        for (int s = 0; s < pi.Length; s++) { acc += pi[s]; if (u < acc) return s; }
        return pi.Length - 1;
    }

    /// <summary>Fills <paramref name="dst"/> with symbols, starting from context <paramref name="context"/> (updated).</summary>
    public void Sample(ref Rng rng, Span<int> dst, ref int context)
    {
        int v = Vocab;
        for (int i = 0; i < dst.Length; i++)
        {
            var row = _cdf.AsSpan(context * v, v);
            double u = rng.NextDouble() * row[^1];
            int lo = 0, hi = v - 1;
            while (lo < hi) { int mid = (lo + hi) >> 1; if (row[mid] > u) hi = mid; else lo = mid + 1; }
            dst[i] = lo;
            context = NextContext(context, lo);
        }
    }

    /// <summary>Gamma(α, 1) by Marsaglia &amp; Tsang (2000); for α &lt; 1 the boost Gamma(α+1)·U^(1/α).</summary>
    private static double Gamma(ref Rng rng, double alpha)
    {
        if (alpha < 1)
        {
            double g = Gamma(ref rng, alpha + 1);
            return g * Math.Pow(1.0 - rng.NextDouble(), 1.0 / alpha);
        }
        double d = alpha - 1.0 / 3.0, c = 1.0 / Math.Sqrt(9 * d);
        while (true)
        {
            double x = rng.NextNormal(), v = 1 + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            double u = 1.0 - rng.NextDouble();
            if (Math.Log(u) < 0.5 * x * x + d - d * v + d * Math.Log(v)) return d * v;
        }
    }
}
