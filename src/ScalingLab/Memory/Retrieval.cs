using ScalingLab.Common;
using ScalingLab.Tensors;

namespace ScalingLab.Memory;

/// <summary>Which update rule the retrieval iterates.</summary>
public enum RetrievalUpdate
{
    /// <summary>x ← M softmax(−β‖x − ρᵢ‖²): fixed-point iteration on the distance energy (Niu et al. Eq. 4).</summary>
    Distance,
    /// <summary>ξ ← M softmax(β Mᵀξ): Ramsauer et al.'s MCHN update (the attention map).</summary>
    Mchn,
}

/// <summary>Settings of one retrieval experiment.</summary>
public sealed record RetrievalSettings
{
    /// <summary>Pattern dimension n.</summary>
    public int Dim { get; init; } = 64;
    /// <summary>Stored patterns d.</summary>
    public int Patterns { get; init; } = 1000;
    /// <summary>Pattern norm R: patterns are uniform on the sphere of radius R (0 = √n, i.e. entries of unit scale).</summary>
    public double Norm { get; init; }
    /// <summary>Start distance from the target pattern, as a fraction of R.</summary>
    public double Noise { get; init; } = 0.3;
    /// <summary>Inverse temperature.</summary>
    public double Beta { get; init; } = 1.0;
    /// <summary>Update rule.</summary>
    public RetrievalUpdate Update { get; init; } = RetrievalUpdate.Distance;
    /// <summary>Noisy queries (0 = min(d, 1000)).</summary>
    public int Queries { get; init; }
    /// <summary>Success: the final point is within Epsilon·R of the target pattern (and nearest to it).</summary>
    public double Epsilon { get; init; } = 0.05;
    /// <summary>Iteration cap.</summary>
    public int MaxIterations { get; init; } = 100;
    /// <summary>Stop when a step moves less than Tolerance·R.</summary>
    public double Tolerance { get; init; } = 1e-8;
    /// <summary>Seed for patterns and queries.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>R actually used.</summary>
    public double EffectiveNorm => Norm > 0 ? Norm : Math.Sqrt(Dim);

    /// <summary>Throws <see cref="UserError"/> on an impossible setting.</summary>
    public RetrievalSettings Validate()
    {
        if (Dim < 1) throw new UserError($"retrieve: --n must be ≥ 1 (got {Dim})");
        if (Patterns < 1) throw new UserError($"retrieve: --patterns must be ≥ 1 (got {Patterns}); the set is empty");
        if (Norm < 0 || !double.IsFinite(Norm)) throw new UserError($"retrieve: --norm must be ≥ 0 (got {Norm})");
        if (Noise < 0 || !double.IsFinite(Noise)) throw new UserError($"retrieve: --noise must be ≥ 0 (got {Noise})");
        PatternSet.CheckBeta(Beta);
        if (Queries < 0) throw new UserError($"retrieve: --queries must be ≥ 0 (got {Queries})");
        if (MaxIterations < 1) throw new UserError("retrieve: --max-iterations must be ≥ 1");
        if ((long)Dim * Patterns > 200_000_000) throw new UserError("retrieve: n × patterns is over 2e8; choose a smaller experiment");
        return this;
    }
}

/// <summary>What a retrieval experiment measured.</summary>
public sealed record RetrievalResult(RetrievalSettings Settings, int Queries, double Accuracy, double WrongPattern,
                                     double MeanIterations, double MedianFinalError, double MinSeparation);

/// <summary>
/// Hopfield-style retrieval (Ramsauer et al. 2020; Niu et al. Sec. 4): store d patterns, start from noisy
/// copies, iterate an update rule to its fixed point and count how often the pattern comes back. Sweeping
/// d and n shows capacity: with separation large against the noise and log d retrieval is exact in a step
/// or two; as patterns crowd, the iteration lands on metastable averages or on the wrong pattern.
/// </summary>
public static class Retrieval
{
    /// <summary>d patterns uniform on the sphere of radius R in Rⁿ (seeded).</summary>
    public static PatternSet SpherePatterns(int n, int d, double radius, ulong seed)
    {
        var v = new double[(long)n * d];
        var rng = new Rng(seed, 0x50415454UL);
        for (int i = 0; i < d; i++)
        {
            var row = v.AsSpan(i * n, n);
            double s;
            do
            {
                s = 0;
                for (int k = 0; k < n; k++) { row[k] = rng.NextNormal(); s += row[k] * row[k]; }
            } while (s == 0);
            double scale = radius / Math.Sqrt(s);
            for (int k = 0; k < n; k++) row[k] *= scale;
        }
        return new PatternSet(v, n);
    }

    /// <summary>
    /// Iterates the update from <paramref name="x"/> (overwritten with the end point) until a step moves less
    /// than <paramref name="tol"/> or <paramref name="maxIter"/> steps; returns the steps taken.
    /// Scratch: <paramref name="next"/> (n), <paramref name="weights"/> (d).
    /// </summary>
    public static int Iterate(PatternSet p, Span<double> x, double beta, RetrievalUpdate update, int maxIter, double tol,
                              Span<double> next, Span<double> weights)
    {
        for (int it = 1; it <= maxIter; it++)
        {
            if (update == RetrievalUpdate.Distance) Energies.DistanceUpdate(p, x, beta, next, weights);
            else Energies.MchnUpdate(p, x, beta, next, weights);
            double step = 0;
            for (int k = 0; k < x.Length; k++) { double t = next[k] - x[k]; step += t * t; }
            next.CopyTo(x);
            if (Math.Sqrt(step) <= tol) return it;
        }
        return maxIter;
    }

    /// <summary>
    /// The one-step retrieval bound ([DERIVED] in the spec, Sec. 3): for i = argminⱼ ‖x − ρⱼ‖ and one distance
    /// update x_new, ‖x_new − ρᵢ‖ ≤ Σ_{j≠i} ‖ρⱼ − ρᵢ‖ exp(−β(‖x − ρⱼ‖² − ‖x − ρᵢ‖²)).
    /// </summary>
    public static BoundCheck OneStepBound(PatternSet p, ReadOnlySpan<double> x, double beta)
    {
        var dist = new double[p.Count];
        Energies.SquaredDistances(p, x, dist);
        Energies.NearestNeighbour(p, x, out int i);
        var next = new double[p.Dim];
        Energies.DistanceUpdate(p, x, beta, next, new double[p.Count]);
        double err = Math.Sqrt(SquaredDistance(next, p[i]));
        double bound = 0;
        for (int j = 0; j < p.Count; j++)
            if (j != i) bound += Math.Sqrt(SquaredDistance(p[j], p[i])) * Math.Exp(-beta * (dist[j] - dist[i]));
        return new("one-step: ‖x_new − ρ_i‖ ≤ Σ_j ‖ρ_j − ρ_i‖ e^(−β(d_j − d_i))", double.NegativeInfinity, err, bound);
    }

    /// <summary>
    /// Runs the experiment: queries start at distance Noise·R from a random stored pattern (uniform direction)
    /// and iterate; success when the end point is nearest to that pattern and within Epsilon·R of it.
    /// Queries run in parallel, each with its own random stream, so the result does not depend on threads.
    /// </summary>
    public static RetrievalResult Run(RetrievalSettings s, int threads = 1)
    {
        s.Validate();
        double radius = s.EffectiveNorm;
        var p = SpherePatterns(s.Dim, s.Patterns, radius, s.Seed);
        int queries = s.Queries > 0 ? s.Queries : Math.Min(s.Patterns, 1000);
        var ok = new bool[queries];
        var wrong = new bool[queries];
        var iters = new int[queries];
        var err = new double[queries];
        var root = new Rng(s.Seed, 0x51554552UL);
        Parallel.For(0, queries, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) },
            () => (x: new double[s.Dim], next: new double[s.Dim], w: new double[s.Patterns]),
            (q, _, buf) =>
            {
                var rng = root.Fork((ulong)q);
                int target = rng.NextInt(s.Patterns);
                var rho = p[target];
                double zz = 0;
                for (int k = 0; k < s.Dim; k++) { buf.x[k] = rng.NextNormal(); zz += buf.x[k] * buf.x[k]; }
                double scale = zz > 0 ? s.Noise * radius / Math.Sqrt(zz) : 0;
                for (int k = 0; k < s.Dim; k++) buf.x[k] = rho[k] + scale * buf.x[k];
                iters[q] = Iterate(p, buf.x, s.Beta, s.Update, s.MaxIterations, s.Tolerance * radius, buf.next, buf.w);
                err[q] = Math.Sqrt(SquaredDistance(buf.x, rho)) / radius;
                Energies.NearestNeighbour(p, buf.x, out int nearest);
                ok[q] = nearest == target && err[q] <= s.Epsilon;
                wrong[q] = nearest != target && Math.Sqrt(SquaredDistance(buf.x, p[nearest])) / radius <= s.Epsilon;
                return buf;
            },
            _ => { });
        Array.Sort(err);
        return new RetrievalResult(s, queries, ok.Count(b => b) / (double)queries, wrong.Count(b => b) / (double)queries,
                                   iters.Average(), err[queries / 2], MinSeparation(p));
    }

    /// <summary>minᵢ≠ⱼ ‖ρᵢ − ρⱼ‖ (brute force; d ≤ a few thousand), or NaN for one pattern.</summary>
    public static double MinSeparation(PatternSet p)
    {
        if (p.Count < 2 || (long)p.Count * p.Count * p.Dim > 4_000_000_000L) return double.NaN;
        double best = double.PositiveInfinity;
        for (int i = 0; i < p.Count; i++)
            for (int j = i + 1; j < p.Count; j++) best = Math.Min(best, SquaredDistance(p[i], p[j]));
        return Math.Sqrt(best);
    }

    private static double SquaredDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int k = 0; k < a.Length; k++) { double t = a[k] - b[k]; s += t * t; }
        return s;
    }
}
