namespace ScalingLab.Memory;

/// <summary>
/// The energies of an associative memory over stored patterns ρ₁..ρ_d ∈ Rⁿ, their gradients and update
/// steps, in float64. Sources: Ramsauer et al. 2020 ("Hopfield Networks is All You Need") for the modern
/// continuous Hopfield (MCHN) energy; Niu et al., "Beyond Scaling Laws" (arXiv 2405.08707 v2) Eqs. (3)–(4)
/// for the nearest-neighbour function and the distance-based LogSumExp energy. The distance is the
/// squared Euclidean ‖x − y‖² with no factor ½ (Niu et al. Sec. 4.1).
/// Overloads taking <c>scratch</c> (length ≥ d) allocate nothing; the others allocate it.
/// </summary>
public static class Energies
{
    /// <summary>Writes ‖x − ρᵢ‖² for every pattern into <paramref name="dist"/> (length d).</summary>
    public static void SquaredDistances(PatternSet p, ReadOnlySpan<double> x, Span<double> dist)
    {
        p.CheckPoint(x);
        for (int i = 0; i < p.Count; i++) dist[i] = SquaredDistance(x, p[i]);
    }

    /// <summary>‖x − ρ‖², summed in index order (the same bits in every caller).</summary>
    private static double SquaredDistance(ReadOnlySpan<double> x, ReadOnlySpan<double> r)
    {
        double s = 0;
        for (int k = 0; k < r.Length; k++)
        {
            double t = x[k] - r[k];
            s += t * t;
        }
        return s;
    }

    /// <summary>
    /// The auxiliary nearest-neighbour function g(x) = minᵢ ‖x − ρᵢ‖² (Niu et al. Eq. 3): the squared
    /// distance to the nearest stored pattern; zero exactly on the patterns. <paramref name="index"/> is
    /// the nearest pattern (lowest index on ties).
    /// </summary>
    public static double NearestNeighbour(PatternSet p, ReadOnlySpan<double> x, out int index)
    {
        p.CheckPoint(x);
        double best = double.PositiveInfinity;
        index = -1;
        for (int i = 0; i < p.Count; i++)
        {
            double s = SquaredDistance(x, p[i]);
            if (s < best) { best = s; index = i; }
        }
        return best;
    }

    /// <summary>g(x) = minᵢ ‖x − ρᵢ‖² (Niu et al. Eq. 3).</summary>
    public static double NearestNeighbour(PatternSet p, ReadOnlySpan<double> x) => NearestNeighbour(p, x, out _);

    /// <summary>
    /// The distance-based layer energy E_β(x) = −β⁻¹ log Σᵢ exp(−β ‖x − ρᵢ‖²) (Niu et al. Eq. 4 is β = 1;
    /// the β form is the spec's [DERIVED] generalisation after Saha et al. 2023). It needs no regulariser:
    /// g − β⁻¹ log d ≤ E_β ≤ g (Proposition 1).
    /// </summary>
    public static double Distance(PatternSet p, ReadOnlySpan<double> x, double beta, Span<double> scratch)
    {
        var dist = scratch[..p.Count];
        SquaredDistances(p, x, dist);
        for (int i = 0; i < dist.Length; i++) dist[i] = -dist[i];
        return -LogSumExp.Of(beta, dist);
    }

    /// <summary>E_β(x) (allocating overload).</summary>
    public static double Distance(PatternSet p, ReadOnlySpan<double> x, double beta = 1.0) =>
        Distance(p, x, beta, new double[p.Count]);

    /// <summary>
    /// ∇E_β(x) = 2 Σᵢ wᵢ (x − ρᵢ) = 2 (x − M w), w = softmax(−β ‖x − ρᵢ‖²) ([DERIVED] in the spec, Sec. 3).
    /// Returns E_β(x) as well.
    /// </summary>
    public static double DistanceGradient(PatternSet p, ReadOnlySpan<double> x, double beta, Span<double> grad, Span<double> scratch)
    {
        var w = scratch[..p.Count];
        double e = DistanceUpdate(p, x, beta, grad, w);
        for (int k = 0; k < grad.Length; k++) grad[k] = 2.0 * (x[k] - grad[k]);
        return e;
    }

    /// <summary>
    /// One retrieval step on the distance energy: x_new = M softmax(−β ‖x − ρᵢ‖²), the fixed-point
    /// iteration of ∇E_β = 0 (a gradient step of size ½). Writes x_new into <paramref name="xNew"/> and
    /// the weights into <paramref name="weights"/>; returns E_β(x).
    /// </summary>
    public static double DistanceUpdate(PatternSet p, ReadOnlySpan<double> x, double beta, Span<double> xNew, Span<double> weights)
    {
        var w = weights[..p.Count];
        SquaredDistances(p, x, w);
        for (int i = 0; i < w.Length; i++) w[i] = -w[i];
        double e = -LogSumExp.Of(beta, w);
        LogSumExp.Softmax(beta, w, w);
        Combine(p, w, xNew);
        return e;
    }

    /// <summary>Ramsauer's negative LogSumExp term, −lse(β, Mᵀx) = −β⁻¹ log Σᵢ exp(β ρᵢᵀx) (Fig. 1a of Niu et al.).</summary>
    public static double NegativeLse(PatternSet p, ReadOnlySpan<double> x, double beta, Span<double> scratch)
    {
        var s = scratch[..p.Count];
        Dots(p, x, s);
        return -LogSumExp.Of(beta, s);
    }

    /// <summary>−lse(β, Mᵀx) (allocating overload).</summary>
    public static double NegativeLse(PatternSet p, ReadOnlySpan<double> x, double beta = 1.0) =>
        NegativeLse(p, x, beta, new double[p.Count]);

    /// <summary>
    /// The MCHN regularisation terms ½ xᵀx + β⁻¹ log d + ½ maxᵢ ‖ρᵢ‖² (Ramsauer et al.; Fig. 1b of Niu et al.):
    /// without them −lse is unbounded below.
    /// </summary>
    public static double MchnRegulariser(PatternSet p, ReadOnlySpan<double> x, double beta)
    {
        p.CheckPoint(x);
        PatternSet.CheckBeta(beta);
        double xx = 0;
        foreach (double v in x) xx += v * v;
        return 0.5 * xx + Math.Log(p.Count) / beta + 0.5 * p.MaxNorm2;
    }

    /// <summary>
    /// The MCHN energy of Ramsauer et al. 2020:
    /// E^MCHN_β(x) = −lse(β, Mᵀx) + ½ xᵀx + β⁻¹ log d + ½ maxᵢ ‖ρᵢ‖².
    /// </summary>
    public static double Mchn(PatternSet p, ReadOnlySpan<double> x, double beta, Span<double> scratch) =>
        NegativeLse(p, x, beta, scratch) + MchnRegulariser(p, x, beta);

    /// <summary>E^MCHN_β(x) (allocating overload).</summary>
    public static double Mchn(PatternSet p, ReadOnlySpan<double> x, double beta = 1.0) =>
        Mchn(p, x, beta, new double[p.Count]);

    /// <summary>∇E^MCHN_β(x) = x − M softmax(β Mᵀx). Returns E^MCHN_β(x).</summary>
    public static double MchnGradient(PatternSet p, ReadOnlySpan<double> x, double beta, Span<double> grad, Span<double> scratch)
    {
        double e = MchnUpdate(p, x, beta, grad, scratch) + MchnRegulariser(p, x, beta);
        for (int k = 0; k < grad.Length; k++) grad[k] = x[k] - grad[k];
        return e;
    }

    /// <summary>
    /// Ramsauer's update ξ_new = M softmax(β Mᵀ ξ): the CCCP step on E^MCHN (never increases it), and the
    /// attention map with keys = values = patterns. Returns −lse(β, Mᵀξ) at the old point.
    /// </summary>
    public static double MchnUpdate(PatternSet p, ReadOnlySpan<double> x, double beta, Span<double> xNew, Span<double> weights)
    {
        var w = weights[..p.Count];
        Dots(p, x, w);
        double negLse = -LogSumExp.Of(beta, w);
        LogSumExp.Softmax(beta, w, w);
        Combine(p, w, xNew);
        return negLse;
    }

    private static void Dots(PatternSet p, ReadOnlySpan<double> x, Span<double> s)
    {
        p.CheckPoint(x);
        for (int i = 0; i < p.Count; i++)
        {
            var r = p[i];
            double t = 0;
            for (int k = 0; k < r.Length; k++) t += r[k] * x[k];
            s[i] = t;
        }
    }

    // y = M w = Σᵢ wᵢ ρᵢ
    private static void Combine(PatternSet p, ReadOnlySpan<double> w, Span<double> y)
    {
        if (y.Length != p.Dim) throw new ArgumentException($"output has length {y.Length}, expected {p.Dim}");
        y.Clear();
        for (int i = 0; i < p.Count; i++)
        {
            double wi = w[i];
            if (wi == 0) continue;
            var r = p[i];
            for (int k = 0; k < y.Length; k++) y[k] += wi * r[k];
        }
    }
}
