namespace ScalingLab.Memory;

/// <summary>
/// Lemmas 1–4 and Propositions 1–3 of Niu et al., "Beyond Scaling Laws" (arXiv 2405.08707 v2, Sec. 4 and
/// App. C), as executable checks: each evaluates both sides on given inputs and returns a
/// <see cref="BoundCheck"/>. Δ = maxᵢ‖ρᵢ‖² − minᵢ‖ρᵢ‖². Strict inequalities of the paper are checked as
/// non-strict (they are equalities for a single term).
/// </summary>
public static class Propositions
{
    /// <summary>Lemma 1 (convexity of LogSumExp): LSE(t x + (1−t) y) ≤ t LSE(x) + (1−t) LSE(y).</summary>
    public static BoundCheck Lemma1(ReadOnlySpan<double> x, ReadOnlySpan<double> y, double t)
    {
        var mix = new double[x.Length];
        for (int i = 0; i < mix.Length; i++) mix[i] = t * x[i] + (1 - t) * y[i];
        return new("Lemma 1: LSE(tx+(1-t)y) ≤ t·LSE(x)+(1-t)·LSE(y)", double.NegativeInfinity,
                   LogSumExp.Of(mix), t * LogSumExp.Of(x) + (1 - t) * LogSumExp.Of(y));
    }

    /// <summary>Lemma 2: maxᵢ yᵢ ≤ LogSumExp(y) ≤ maxᵢ yᵢ + log n.</summary>
    public static BoundCheck Lemma2(ReadOnlySpan<double> y)
    {
        double max = double.NegativeInfinity;
        foreach (double v in y) max = Math.Max(max, v);
        return new("Lemma 2: max ≤ LSE ≤ max + log n", max, LogSumExp.Of(y), max + Math.Log(y.Length));
    }

    /// <summary>Lemma 3 (smooth minimum): minᵢ yᵢ − log n ≤ −LogSumExp(−y) ≤ minᵢ yᵢ.</summary>
    public static BoundCheck Lemma3(ReadOnlySpan<double> y)
    {
        double min = double.PositiveInfinity;
        var neg = new double[y.Length];
        for (int i = 0; i < y.Length; i++) { min = Math.Min(min, y[i]); neg[i] = -y[i]; }
        return new("Lemma 3: min − log n ≤ −LSE(−y) ≤ min", min - Math.Log(y.Length), -LogSumExp.Of(neg), min);
    }

    /// <summary>Lemma 4: |LogSumExp(x) − LogSumExp(y)| ≤ ‖x − y‖_∞.</summary>
    public static BoundCheck Lemma4(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double inf = 0;
        for (int i = 0; i < x.Length; i++) inf = Math.Max(inf, Math.Abs(x[i] - y[i]));
        return new("Lemma 4: |LSE(x) − LSE(y)| ≤ ‖x − y‖∞", double.NegativeInfinity,
                   Math.Abs(LogSumExp.Of(x) - LogSumExp.Of(y)), inf);
    }

    /// <summary>
    /// Lemma 5 (App. D.2), in log space: log((rⁿ/n) e^{−r}) ≤ log γ(n, r) ≤ log(rⁿ/n), γ the lower
    /// incomplete gamma function.
    /// </summary>
    public static BoundCheck Lemma5(double n, double r)
    {
        double upper = n * Math.Log(r) - Math.Log(n);
        return new("Lemma 5: (rⁿ/n)e^(−r) ≤ γ(n,r) ≤ rⁿ/n  [log]", upper - r, BallMass.LogLowerIncompleteGamma(n, r), upper);
    }

    /// <summary>
    /// Proposition 1: g(x) − β⁻¹ log d ≤ E_β(x) ≤ g(x) (Lemma 3 on the squared distances; the paper states
    /// β = 1, the β form is the spec's [DERIVED] generalisation).
    /// </summary>
    public static BoundCheck Proposition1(PatternSet p, ReadOnlySpan<double> x, double beta = 1.0)
    {
        double g = Energies.NearestNeighbour(p, x);
        return new("Prop 1: g − log(d)/β ≤ E_β ≤ g", g - Math.Log(p.Count) / beta, Energies.Distance(p, x, beta), g);
    }

    /// <summary>
    /// Proposition 2 as printed: |E(x) − (2 E^MCHN_{β=2}(x) − log d)| ≤ Δ, checked as −Δ ≤ E − (2E^MCHN₂ − log d) ≤ Δ.
    /// </summary>
    public static BoundCheck Proposition2(PatternSet p, ReadOnlySpan<double> x)
    {
        double diff = Energies.Distance(p, x, 1.0) - (2 * Energies.Mchn(p, x, 2.0) - Math.Log(p.Count));
        return new("Prop 2: −Δ ≤ E − (2E^MCHN₂ − log d) ≤ Δ", -p.NormSpread, diff, p.NormSpread);
    }

    /// <summary>
    /// Proposition 2, the sharper one-sided form ([DERIVED]: 2E^MCHN₂ − log d = −log Σᵢ exp(−‖x−ρᵢ‖² + ‖ρᵢ‖² − maxⱼ‖ρⱼ‖²),
    /// and every shift lies in [−Δ, 0]): 0 ≤ (2E^MCHN₂ − log d) − E ≤ Δ.
    /// </summary>
    public static BoundCheck Proposition2Sharp(PatternSet p, ReadOnlySpan<double> x)
    {
        double diff = 2 * Energies.Mchn(p, x, 2.0) - Math.Log(p.Count) - Energies.Distance(p, x, 1.0);
        return new("Prop 2 (sharp): 0 ≤ (2E^MCHN₂ − log d) − E ≤ Δ", 0, diff, p.NormSpread);
    }

    /// <summary>
    /// Proposition 3, corrected two-sided form ([DERIVED] from Props 1 and 2):
    /// −Δ ≤ g(x) − (2E^MCHN₂(x) − log d) ≤ Δ + log d.
    /// The paper prints (our reading of a garbled extraction) min‖ρ‖² − max‖ρ‖² ≤ g − 2E^MCHN₂ ≤ Δ + log d,
    /// which is false read literally: see <see cref="Proposition3AsPrinted"/>.
    /// </summary>
    public static BoundCheck Proposition3(PatternSet p, ReadOnlySpan<double> x)
    {
        double logD = Math.Log(p.Count);
        double v = Energies.NearestNeighbour(p, x) - (2 * Energies.Mchn(p, x, 2.0) - logD);
        return new("Prop 3: −Δ ≤ g − (2E^MCHN₂ − log d) ≤ Δ + log d", -p.NormSpread, v, p.NormSpread + logD);
    }

    /// <summary>
    /// Proposition 3, tightest correct form ([DERIVED] from Prop 1 and the one-sided Prop 2):
    /// −Δ − log d ≤ g(x) − 2E^MCHN₂(x) ≤ 0.
    /// </summary>
    public static BoundCheck Proposition3Tight(PatternSet p, ReadOnlySpan<double> x)
    {
        double logD = Math.Log(p.Count);
        double v = Energies.NearestNeighbour(p, x) - 2 * Energies.Mchn(p, x, 2.0);
        return new("Prop 3 (tight): −Δ − log d ≤ g − 2E^MCHN₂ ≤ 0", -p.NormSpread - logD, v, 0);
    }

    /// <summary>
    /// Proposition 3 as the paper prints it (reconstructed): −Δ ≤ g(x) − 2E^MCHN₂(x) ≤ Δ + log d. Kept to
    /// document that it fails: patterns (±10, 0), x = (10, 0) give g − 2E^MCHN₂ = −log 2 &lt; 0 = −Δ.
    /// </summary>
    public static BoundCheck Proposition3AsPrinted(PatternSet p, ReadOnlySpan<double> x)
    {
        double v = Energies.NearestNeighbour(p, x) - 2 * Energies.Mchn(p, x, 2.0);
        return new("Prop 3 (as printed): −Δ ≤ g − 2E^MCHN₂ ≤ Δ + log d", -p.NormSpread, v, p.NormSpread + Math.Log(p.Count));
    }
}
