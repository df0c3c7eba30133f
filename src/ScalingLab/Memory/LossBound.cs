using ScalingLab.Common;

namespace ScalingLab.Memory;

/// <summary>Inputs of the loss-bound calculator: pattern dimension, model and data size, and Eq. (2)'s constants.</summary>
public sealed record LossBoundInputs
{
    /// <summary>Pattern dimension n (the paper's radius check uses n = d_emb; its theory n = T_max·d_emb).</summary>
    public double Dim { get; init; } = 1024;
    /// <summary>Model size N: parameters in attention + FF layers.</summary>
    public double Params { get; init; } = 3.55e8;
    /// <summary>Data size D in tokens.</summary>
    public double Tokens { get; init; } = 9e9;
    /// <summary>T_max, tokens per training sequence: d = D/T_max patterns (Eq. 2).</summary>
    public double SeqLen { get; init; } = 1024;
    /// <summary>Layers l.</summary>
    public double Layers { get; init; } = 24;
    /// <summary>d_emb.</summary>
    public double DEmb { get; init; } = 1024;
    /// <summary>A in N ≈ A·l·d_emb² (the paper: ≈ 10 for GPT-2 medium, App. E).</summary>
    public double A { get; init; } = 10;

    /// <summary>Throws <see cref="UserError"/> unless every input is positive and finite.</summary>
    public LossBoundInputs Validate()
    {
        foreach (var (name, v) in new[] { ("--n", Dim), ("--params", Params), ("--tokens", Tokens), ("--seq-len", SeqLen),
                                          ("--layers", Layers), ("--d-emb", DEmb), ("--a", A) })
            if (!(v > 0) || !double.IsFinite(v)) throw new UserError($"bound: {name} must be a positive number (got {v})");
        if (Tokens < SeqLen) throw new UserError($"bound: --tokens ({Tokens}) is less than one sequence of --seq-len {SeqLen}");
        return this;
    }
}

/// <summary>The calculator's answer (natural logs; losses in nats per token).</summary>
public sealed record LossBoundResult(
    LossBoundInputs Inputs,
    double PatternCount, double Radius, double LogVolume,
    double LogZPaperLower, double LogZPaperUpper, double LogZExact, double LogZCorrectLower,
    double LossPaperUpper, double LossPaperLower, double LossExact, double LossFloor,
    double ConsistentLossUpper, double ConsistentLossExact,
    double EqTwoConstant, double DimFromParams, double OptimalDimForData, double OptimalParamsForData,
    double OptimalTokensForParams, double ParamsPerTokenSquared, double ImpliedRatio, double DimForUnitZExact);

/// <summary>
/// Niu et al. v2 Sec. 5 (Proposition 4, Eqs. 12–15, Proposition 5): the cross-entropy lower bound and the
/// N = O(D²) trade-off, as a calculator.
/// <list type="bullet">
/// <item>d = D/T_max patterns, r = √(n/(2πe)); Z_t from Eq. (14): d·Vₙ(r)·e^{−r} ≤ Z_t ≤ d·Vₙ(r) as printed; the
/// correct lower bound is d·e^{−r²}Vₙ(r) and the exact value d·mₙ(r) ([DERIVED], see <see cref="BallMass"/>).</item>
/// <item>Paper's loss: L ≈ f(Z_t) = log Z_t + 1/Z_t ≥ 1 (Prop. 4). Read consistently (E_t = g_t) the same proof
/// gives L ≈ log Z_t with no floor ([DERIVED] caveat); both are reported, labelled.</item>
/// <item>Trade-off ([DERIVED] reconstruction of the step the paper leaves out): N ≈ k·n with k = A·l·d_emb/T_max
/// (Eq. 2); Z_t = 1 at the upper end of (14) needs n = d²/π, so N* = k·(D/T_max)²/π ∝ D² and D* = T_max·√(πN/k).
/// Only the exponent is a prediction; the paper's measured N/D*² ≈ 8.6e−10 is set-up dependent.</item>
/// </list>
/// </summary>
public static class LossBound
{
    /// <summary>Evaluates the bound and the trade-off for <paramref name="inp"/>.</summary>
    public static LossBoundResult Compute(LossBoundInputs inp)
    {
        inp.Validate();
        double n = inp.Dim, d = inp.Tokens / inp.SeqLen;
        double r = BallMass.PredictedRadius(n);
        double logV = BallMass.LogVolume(n, r);
        double logD = Math.Log(d);
        double upper = logD + logV, paperLower = upper - r, correctLower = upper - r * r;
        double exact = logD + BallMass.LogGaussianBallMass(n, r);
        double k = inp.A * inp.Layers * inp.DEmb / inp.SeqLen;
        double nStar = d * d / Math.PI;
        return new LossBoundResult(
            inp, d, r, logV,
            paperLower, upper, exact, correctLower,
            BallMass.LossFloorFromLogZ(upper), BallMass.LossFloorFromLogZ(paperLower), BallMass.LossFloorFromLogZ(exact), 1.0,
            upper, exact,
            k, inp.Params / k, nStar, k * nStar, inp.SeqLen * Math.Sqrt(Math.PI * inp.Params / k),
            inp.Params / (inp.Tokens * inp.Tokens), k / (Math.PI * inp.SeqLen * inp.SeqLen), DimForUnitZ(d));
    }

    /// <summary>
    /// The n at which the exact d·mₙ(√(n/2πe)) reaches 1 ([DERIVED] caveat: log d ≈ 0.0585·n, so n grows like
    /// log D, not D²), by bisection on log(d·mₙ) = 0 (decreasing in n). NaN when d ≤ 1.
    /// </summary>
    public static double DimForUnitZ(double d)
    {
        if (!(d > 1)) return double.NaN;
        double F(double n) => Math.Log(d) + BallMass.LogGaussianBallMass(n, BallMass.PredictedRadius(n));
        double lo = 1, hi = 2;
        if (F(lo) < 0) return double.NaN;
        while (F(hi) > 0) { lo = hi; hi *= 2; if (hi > 1e12) return double.NaN; }
        for (int i = 0; i < 200 && hi - lo > 1e-9 * hi; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (F(mid) > 0) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }
}
