namespace ScalingLab.Dynamics;

/// <summary>Thresholds of the three per-layer indicators (training-dynamics.md §5; defaults as the paper).</summary>
/// <param name="Cka">CKA with the final checkpoint that counts as converged (0.45).</param>
/// <param name="EarlyFraction">"Early" means by this fraction of training (0.10).</param>
/// <param name="ParamPer">Parameter PER at the end that counts as large (0.95).</param>
/// <param name="GradPerRelative">Gradient PER at the end that counts as large, relative to the largest of the model's layers (0.90).</param>
public sealed record IndicatorThresholds(double Cka = 0.45, double EarlyFraction = 0.10, double ParamPer = 0.95, double GradPerRelative = 0.90);

/// <summary>
/// The binary indicators of Diehl Martinez et al. (2024, §5 "Linking convergence to rank"), per layer:
/// early convergence (CKA with the final checkpoint ≥ 0.45 at some checkpoint within the first 10% of
/// training), large parameter PER (≥ 0.95 at the end), and large gradient PER (≥ 90% of the largest
/// gradient PER of the model's layers at the end). The MCC between the first and each of the others
/// is the paper's table.
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

    /// <summary>Large parameter PER: PER ≥ threshold, per layer.</summary>
    public static bool[] LargeParamPer(ReadOnlySpan<double> perAtEnd, IndicatorThresholds t)
    {
        var result = new bool[perAtEnd.Length];
        for (int i = 0; i < result.Length; i++) result[i] = perAtEnd[i] >= t.ParamPer;
        return result;
    }

    /// <summary>Large gradient PER: PER ≥ GradPerRelative × the largest PER among <paramref name="gradPerAtEnd"/>.</summary>
    public static bool[] LargeGradPer(ReadOnlySpan<double> gradPerAtEnd, IndicatorThresholds t)
    {
        double max = double.NegativeInfinity;
        foreach (double v in gradPerAtEnd) if (v > max) max = v;
        var result = new bool[gradPerAtEnd.Length];
        for (int i = 0; i < result.Length; i++) result[i] = gradPerAtEnd[i] >= t.GradPerRelative * max;
        return result;
    }
}
