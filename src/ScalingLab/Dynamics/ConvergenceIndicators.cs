using System.Globalization;
using ScalingLab.Common;

namespace ScalingLab.Dynamics;

/// <summary>How "large PER" is decided per layer (training-dynamics.md §5; the rule is printed with every MCC table).</summary>
public enum PerRule
{
    /// <summary>
    /// Relative to the model: a layer's PER at the end is large when it is at or above the model's
    /// <see cref="IndicatorThresholds.Quantile"/> quantile across its layers (parameters and gradients separately).
    /// Small models never reach Pythia's absolute 0.95 (a square Gaussian W_O starts near 0.80), so this is the default.
    /// </summary>
    Quantile,
    /// <summary>Relative to initialisation: PER at the end ≥ <see cref="IndicatorThresholds.InitRatio"/> × PER at the first checkpoint (step 0).</summary>
    Init,
    /// <summary>The paper's (Pythia) thresholds: parameter PER ≥ <see cref="IndicatorThresholds.ParamPer"/>; gradient PER ≥ <see cref="IndicatorThresholds.GradPerRelative"/> × the model's largest.</summary>
    Absolute,
}

/// <summary>How "early convergence" is decided per layer; both use the CKA threshold (0.45, the paper's).</summary>
public enum EarlyRule
{
    /// <summary>The paper's: the layer reaches the CKA threshold by <see cref="IndicatorThresholds.EarlyFraction"/> of training.</summary>
    Fraction,
    /// <summary>
    /// Relative to the model, in the paper's window: at the last checkpoint within the first
    /// <see cref="IndicatorThresholds.EarlyFraction"/> of training, the layer's CKA with the final checkpoint is at or above the
    /// model's <see cref="IndicatorThresholds.Quantile"/> quantile across its layers (0.5: the more converged half). Small
    /// models either reach 0.45 in no layer by then or in every layer (often already at step 0), which leaves the paper's
    /// indicator constant; CKA values themselves rarely tie.
    /// </summary>
    Quantile,
}

/// <summary>Thresholds of the three per-layer indicators (training-dynamics.md §5).</summary>
/// <param name="Cka">CKA with the final checkpoint that counts as converged (0.45, the paper's).</param>
/// <param name="EarlyFraction">"Early" means by this fraction of training (0.10).</param>
/// <param name="ParamPer">With <see cref="PerRule.Absolute"/>: parameter PER at the end that counts as large (0.95).</param>
/// <param name="GradPerRelative">With <see cref="PerRule.Absolute"/>: gradient PER that counts as large, relative to the largest of the model's layers (0.90).</param>
/// <param name="Rule">How large PER is decided (default <see cref="PerRule.Quantile"/>).</param>
/// <param name="Quantile">With <see cref="PerRule.Quantile"/>: the quantile across the model's layers at or above which PER is large (0.5 = the median).</param>
/// <param name="InitRatio">With <see cref="PerRule.Init"/>: the fraction of its initial PER a layer must keep to count as large (1.0).</param>
/// <param name="Early">How early convergence is decided (default <see cref="EarlyRule.Quantile"/>).</param>
public sealed record IndicatorThresholds(double Cka = 0.45, double EarlyFraction = 0.10, double ParamPer = 0.95, double GradPerRelative = 0.90,
                                         PerRule Rule = PerRule.Quantile, double Quantile = 0.5, double InitRatio = 1.0,
                                         EarlyRule Early = EarlyRule.Quantile)
{
    /// <summary>The early-convergence rule in words, as printed beside the MCC table.</summary>
    public string DescribeEarly() => Early == EarlyRule.Fraction
        ? Inv($"early convergence = CKA with the final checkpoint ≥ {Cka:0.##} by {EarlyFraction:0.##} of training (the paper's; rule 'fraction')")
        : Inv($"early convergence = CKA with the final checkpoint, at the last checkpoint within the first {EarlyFraction:0.##} of training, at or above the model's {100 * Quantile:0.#}th percentile across its layers (rule 'quantile'; the paper's rule 'fraction' asks for CKA ≥ {Cka:0.##} there)");

    /// <summary>The PER rule in words, as printed beside the MCC table.</summary>
    public string DescribePer() => Rule switch
    {
        PerRule.Quantile => Inv($"large PER = at or above the model's {100 * Quantile:0.#}th percentile across its layers at the end of training (parameters and gradients separately; rule 'quantile')"),
        PerRule.Init => Inv($"large PER = PER at the end ≥ {InitRatio:0.###} × its value at the first checkpoint (initialisation), parameters and gradients separately (rule 'init')"),
        _ => Inv($"large PER: parameters ≥ {ParamPer:0.##} at the end; gradients ≥ {GradPerRelative:0.##} × the model's largest (the paper's Pythia thresholds; rule 'absolute')"),
    };

    /// <summary>Throws <see cref="UserError"/> when a threshold lies outside its range.</summary>
    public IndicatorThresholds Validate()
    {
        if (Cka is < 0 or > 1 || EarlyFraction is <= 0 or > 1 || ParamPer is < 0 or > 1 || GradPerRelative is < 0 or > 1 || Quantile is < 0 or > 1)
            throw new UserError("dynamics: thresholds must lie in [0, 1] (--early-fraction in (0, 1])");
        if (!(InitRatio > 0)) throw new UserError($"dynamics: --init-ratio must be > 0 (got {InitRatio})");
        return this;
    }

    private static string Inv(FormattableString f) => f.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The binary indicators of Diehl Martinez et al. (2024, §5 "Linking convergence to rank"), per layer:
/// early convergence (CKA with the final checkpoint ≥ 0.45 at some checkpoint within the first 10% of
/// training), large parameter PER and large gradient PER (by the <see cref="PerRule"/> of the thresholds; the
/// paper's absolute rule is ≥ 0.95, and ≥ 90% of the model's largest gradient PER). The MCC between the first
/// and each of the others is the paper's table.
/// </summary>
public static class ConvergenceIndicators
{
    /// <summary>
    /// True when the layer's CKA reaches <see cref="IndicatorThresholds.Cka"/> at a checkpoint whose step is
    /// at most <see cref="IndicatorThresholds.EarlyFraction"/> of <paramref name="finalStep"/>.
    /// </summary>
    public static bool EarlyConvergence(ReadOnlySpan<long> steps, ReadOnlySpan<double> cka, long finalStep, IndicatorThresholds t)
    {
        double? f = FirstFractionReaching(steps, cka, finalStep, t.Cka);
        return f is { } v && v <= t.EarlyFraction;
    }

    /// <summary>
    /// The fraction of training (step / final step) at the first checkpoint whose value is ≥ <paramref name="threshold"/>;
    /// null when none reaches it. Steps must ascend.
    /// </summary>
    public static double? FirstFractionReaching(ReadOnlySpan<long> steps, ReadOnlySpan<double> values, long finalStep, double threshold)
    {
        if (steps.Length != values.Length) throw new ArgumentException("steps and values differ in length");
        if (finalStep <= 0) throw new ArgumentOutOfRangeException(nameof(finalStep), "final step must be > 0");
        for (int i = 0; i < steps.Length; i++)
        {
            if (i > 0 && steps[i] <= steps[i - 1]) throw new ArgumentException("steps must ascend");
            if (values[i] >= threshold) return steps[i] / (double)finalStep;
        }
        return null;
    }

    /// <summary>Index of the last checkpoint whose step is at most <paramref name="fraction"/> of <paramref name="finalStep"/> (0 when none but the first).</summary>
    public static int EarlyCheckpoint(ReadOnlySpan<long> steps, long finalStep, double fraction)
    {
        int c = 0;
        for (int i = 0; i < steps.Length; i++)
            if (steps[i] <= fraction * finalStep) c = i;
        return c;
    }

    /// <summary>Per value: at or above the <paramref name="quantile"/> quantile (type 7) of the finite values; NaN is never.</summary>
    public static bool[] AtOrAboveQuantile(ReadOnlySpan<double> values, double quantile)
    {
        double cut = Percentiles.Of(values, 100 * quantile);
        return double.IsNaN(cut) ? new bool[values.Length] : AtLeast(values, cut);
    }

    /// <summary>Large parameter PER per layer by <see cref="IndicatorThresholds.Rule"/>; <paramref name="perAtStart"/> (first checkpoint) is needed by <see cref="PerRule.Init"/> only.</summary>
    public static bool[] LargeParamPer(ReadOnlySpan<double> perAtEnd, IndicatorThresholds t, ReadOnlySpan<double> perAtStart = default) =>
        t.Rule == PerRule.Absolute ? AtLeast(perAtEnd, t.ParamPer) : Relative(perAtEnd, perAtStart, t);

    /// <summary>Large gradient PER per layer by <see cref="IndicatorThresholds.Rule"/> (absolute: ≥ GradPerRelative × the largest).</summary>
    public static bool[] LargeGradPer(ReadOnlySpan<double> gradPerAtEnd, IndicatorThresholds t, ReadOnlySpan<double> gradPerAtStart = default)
    {
        if (t.Rule != PerRule.Absolute) return Relative(gradPerAtEnd, gradPerAtStart, t);
        double max = double.NegativeInfinity;
        foreach (double v in gradPerAtEnd) if (v > max) max = v;
        return AtLeast(gradPerAtEnd, t.GradPerRelative * max);
    }

    private static bool[] Relative(ReadOnlySpan<double> end, ReadOnlySpan<double> start, IndicatorThresholds t)
    {
        if (t.Rule == PerRule.Quantile) return AtOrAboveQuantile(end, t.Quantile);
        if (start.Length != end.Length) throw new ArgumentException("the init rule needs the PER at the first checkpoint of every layer");
        var result = new bool[end.Length];
        for (int i = 0; i < result.Length; i++) result[i] = end[i] >= t.InitRatio * start[i];
        return result;
    }

    private static bool[] AtLeast(ReadOnlySpan<double> values, double cut)
    {
        var result = new bool[values.Length];
        for (int i = 0; i < result.Length; i++) result[i] = values[i] >= cut;
        return result;
    }
}
