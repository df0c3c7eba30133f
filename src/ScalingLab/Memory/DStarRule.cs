namespace ScalingLab.Memory;

/// <summary>One data size of a model's ladder, as the D* rule sees it.</summary>
/// <param name="D">Training tokens.</param>
/// <param name="MinValLoss">L_min: the minimum validation loss over training.</param>
/// <param name="MinValStep">The step at which it was reached.</param>
/// <param name="Mse">Mean squared deviation of the training loss from L_min over the iterations after that step
/// (NaN when there are none: the validation loss was still falling at the end).</param>
/// <param name="Iterations">How many iterations the MSE averages (at most the window).</param>
/// <param name="Before">True when no iteration followed the minimum (it came at the end of training) and the MSE was
/// taken over the window before it instead (<see cref="DStarRule.Measure"/> with fallback).</param>
public sealed record DStarRow(double D, double MinValLoss, long MinValStep, double Mse, int Iterations, bool Before = false);

/// <summary>The D* of one model: the selected data size (null when none qualified), the rule used, and every row.</summary>
public sealed record DStarResult(double? DStar, string Rule, IReadOnlyList<DStarRow> Rows);

/// <summary>
/// Niu et al., "Beyond Scaling Laws", App. F.3 (Table 3): the optimal data size of a model,
///     D* = min{ D : MSE(L_train(N, D), L_min(N, D)) &lt; σ² },   σ² = 0.04,
/// with L_min the minimum validation loss over training and the MSE taken over the (up to) 1000 iterations that
/// follow the step where the validation loss is minimal. The paper's rounded MSEs cannot tell "&lt;" from "≤"
/// (Table 3: with "&lt;" its first model has no D*, with "≤" its second picks another D), so the inequality is a
/// parameter, the unrounded MSEs are kept, and the result says which rule chose. Prop. 5 (N = O(D²)) then predicts a
/// slope of 1/2 for log D* on log N.
/// </summary>
public static class DStarRule
{
    /// <summary>The paper's threshold σ² = 0.04.</summary>
    public const double Sigma2 = 0.04;
    /// <summary>The paper's window: 1000 iterations after the validation minimum.</summary>
    public const int Window = 1000;

    /// <summary>
    /// The MSE of one run: mean over training-loss rows with step in (s*, s* + window] of (L_train − L_min)², where s* is
    /// the step of the minimum validation loss (the first one on ties). Returns the row (Mse NaN when no step follows).
    /// </summary>
    /// <remarks>
    /// With <paramref name="fallbackBefore"/>, a minimum at the end of training (nothing follows it: the model was still
    /// improving, not over-fitting) is measured over the <paramref name="window"/> iterations up to and including it
    /// instead, and the row says so. The paper's runs all passed their minimum (about step 6000), so it never needed this.
    /// </remarks>
    public static DStarRow Measure(double d, IReadOnlyList<(long Step, double Loss)> train, IReadOnlyList<(long Step, double Loss)> val,
                                   int window = Window, bool fallbackBefore = false)
    {
        if (val.Count == 0) throw new ArgumentException("no validation losses");
        var best = val[0];
        foreach (var v in val) if (v.Loss < best.Loss) best = v;
        var (mse, n) = Mse(train, best.Loss, best.Step + 1, best.Step + window);
        if (n > 0 || !fallbackBefore) return new DStarRow(d, best.Loss, best.Step, mse, n);
        (mse, n) = Mse(train, best.Loss, best.Step - window + 1, best.Step);
        return new DStarRow(d, best.Loss, best.Step, mse, n, Before: true);
    }

    private static (double Mse, int Count) Mse(IReadOnlyList<(long Step, double Loss)> train, double target, long from, long to)
    {
        double sum = 0;
        int n = 0;
        foreach (var (step, loss) in train)
        {
            if (step < from || step > to) continue;
            double dev = loss - target;
            sum += dev * dev;
            n++;
        }
        return (n > 0 ? sum / n : double.NaN, n);
    }

    /// <summary>
    /// D* over a ladder of data sizes: the smallest D whose MSE is below σ² (<paramref name="strict"/>: "&lt;", the
    /// paper's printed rule; otherwise "≤").
    /// </summary>
    public static DStarResult Select(IEnumerable<DStarRow> rows, double sigma2 = Sigma2, bool strict = true)
    {
        var sorted = rows.OrderBy(r => r.D).ToList();
        string rule = $"D* = min D with MSE {(strict ? "<" : "≤")} {sigma2} over the {Window} iterations after the validation minimum";
        foreach (var r in sorted)
            if (double.IsFinite(r.Mse) && (strict ? r.Mse < sigma2 : r.Mse <= sigma2))
                return new DStarResult(r.D, rule, sorted);
        return new DStarResult(null, rule, sorted);
    }

    /// <summary>N / D*²: the ratio Prop. 5 says is roughly constant (Table 3: 8.71, 8.79, 8.38 ×10⁻¹⁰).</summary>
    public static double Ratio(double n, double dStar) => n / (dStar * dStar);
}
