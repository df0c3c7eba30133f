namespace ScalingLab.Laws;

/// <summary>One point of a profile: the parameter fixed at <see cref="Value"/>, the others re-minimised.</summary>
public sealed record ProfilePoint(double Value, double Objective, double Rise);

/// <summary>
/// The profile of the fit objective for one parameter (profile likelihood, e.g. Venzon &amp; Moolgavkar 1988, with the
/// Huber objective in place of the log-likelihood): the parameter is fixed at each point of a wide range and the
/// others are re-minimised. <see cref="Identified"/> is false when the objective stays within the tolerance of its
/// minimum all the way to an end of the range: the data then cannot tell values in <see cref="FlatLo"/>..<see cref="FlatHi"/>
/// apart, and no interval for it means anything.
/// </summary>
public sealed record ParameterProfile
{
    /// <summary>The law parameter (E, A, alpha, ...).</summary>
    public required string Parameter { get; init; }
    /// <summary>Its fitted value.</summary>
    public required double Estimate { get; init; }
    /// <summary>The range scanned (natural units).</summary>
    public required double RangeLo { get; init; }
    /// <summary>Upper end of the range scanned.</summary>
    public required double RangeHi { get; init; }
    /// <summary>The tolerance: a rise of the objective at most this is "flat" (absolute, = relative tolerance × minimum).</summary>
    public required double Tolerance { get; init; }
    /// <summary>False when the flat region around the estimate reaches an end of the scanned range.</summary>
    public required bool Identified { get; init; }
    /// <summary>The contiguous region around the estimate where the objective rises by at most the tolerance.</summary>
    public required double FlatLo { get; init; }
    /// <summary>Upper end of the flat region.</summary>
    public required double FlatHi { get; init; }
    /// <summary>The largest rise of the objective over the scanned range.</summary>
    public required double MaxRise { get; init; }
    /// <summary>The profile, by increasing value.</summary>
    public required IReadOnlyList<ProfilePoint> Points { get; init; }
}

/// <summary>
/// Profiles of a fitted law's objective, one per fitted parameter. Ranges (stated in the output): a scale constant
/// (A, B, N_c, ...) three decades either side of its estimate; E from a thousandth of the lowest measured loss up to
/// that loss (every term of the law is positive, so E lies below every loss); an exponent from 0.02 (or half its
/// estimate) to 2 (or twice its estimate); each range stretched to include the estimate. Each side is walked outward
/// from the estimate (<see cref="Steps"/> steps in all, uniform in θ: the log of a scale constant), each re-minimisation (L-BFGS over the other parameters) starting from the previous point's solution and
/// from the full fit's best starts, the lowest kept. A rise of at most <c>relativeTolerance</c> × the minimum
/// objective counts as flat (default <see cref="DefaultTolerance"/>: what a 95% likelihood-ratio test calls noise). Deterministic: the parameters run in parallel, each walk in a fixed order.
/// </summary>
public static class ParameterProfiles
{
    /// <summary>Points of a profile besides the estimate, shared between its sides in proportion to their length (at least 4 a side).</summary>
    public const int Steps = 24;

    /// <summary>Half the 95% quantile of χ²₁: the deviance rise a 95% likelihood-ratio test attributes to noise, halved (see <see cref="DefaultTolerance"/>).</summary>
    public const double HalfChiSquare95 = 1.920729410347062;

    /// <summary>
    /// The default relative tolerance for <paramref name="points"/> runs and <paramref name="parameters"/> parameters:
    /// 1.92/(n − p). With δ = 1e-3 nearly every log residual lies on Huber's linear branch, so the objective is δ·Σ|r|,
    /// the negative log-likelihood of Laplace errors up to their scale b̂ = Σ|r|/(n − p); a 95% likelihood-ratio test
    /// (deviance rise 2·ΔΣ|r|/b̂ &gt; 3.84) then calls a rise of the objective significant when it exceeds 1.92/(n − p) of
    /// the minimum. A smaller rise is what noise alone can produce: the data do not tell those values apart.
    /// </summary>
    public static double DefaultTolerance(int points, int parameters) => HalfChiSquare95 / Math.Max(1, points - parameters);

    /// <summary>A profile of every parameter of <paramref name="fit"/> (a fit of <paramref name="points"/>).</summary>
    public static IReadOnlyList<ParameterProfile> Compute(FitForm form, IReadOnlyList<FitPoint> points, FitResult fit,
                                                          FitOptions options, double? relativeTolerance = null)
    {
        double tol = relativeTolerance ?? DefaultTolerance(points.Count, form.Dim);
        var data = new FitData(points);
        double minLoss = points.Min(p => p.Loss);
        var starts = Bootstrap.BootstrapStarts(fit, 7);
        var result = new ParameterProfile[form.Dim];
        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        Parallel.For(0, form.Dim, new ParallelOptions { MaxDegreeOfParallelism = threads },
            k => result[k] = One(form, data, fit, options, starts, k, minLoss, tol));
        return result;
    }

    private static (double Lo, double Hi) Range(FitForm form, int k, double est, double minLoss)
    {
        if (form.IsLogScale(k))
        {
            double span = Math.Log(1000);
            if (form.ParameterName(k) == "E")
                return (Math.Min(est, Math.Log(minLoss) - span), Math.Max(est, Math.Log(minLoss)));
            return (est - span, est + span);
        }
        return (Math.Min(0.02, est / 2), Math.Max(2.0, 2 * est));
    }

    private static ParameterProfile One(FitForm form, FitData data, FitResult fit, FitOptions options, double[][] starts,
                                        int k, double minLoss, double relTol)
    {
        int dim = form.Dim;
        double est = fit.Theta[k];
        var (lo, hi) = Range(form, k, est, minLoss);
        var full = form.CreateObjective(data, null, options.Delta);
        var minimizer = new Lbfgs(dim - 1) { MaxIterations = options.MaxIterations };
        double fixedValue = 0;
        var gradFull = new double[dim];
        var xFull = new double[dim];
        ObjectiveFunction reduced = (y, g) =>
        {
            Expand(y, k, fixedValue, xFull);
            double f = full(xFull, gradFull);
            for (int i = 0, j = 0; i < dim; i++) if (i != k) g[j++] = gradFull[i];
            return f;
        };
        var otherStarts = starts.Select(s => Reduce(s, k)).ToArray();

        (double F, double[] Y) Minimise(double value, double[] warm)
        {
            fixedValue = value;
            double best = double.PositiveInfinity;
            double[] bestY = warm;
            foreach (var s in otherStarts.Prepend(warm))
            {
                var r = minimizer.Minimize(reduced, s);
                if (double.IsFinite(r.Value) && r.Value < best) { best = r.Value; bestY = minimizer.X.ToArray(); }
            }
            return (best, bestY);
        }

        var walked = new List<(double V, double F)> { (est, fit.Objective) };
        foreach (double end in new[] { lo, hi })
        {
            var y = Reduce(fit.Theta, k);
            int steps = Math.Max(4, (int)Math.Round(Steps * Math.Abs(end - est) / Math.Max(hi - lo, 1e-300)));
            for (int s = 1; s <= steps; s++)
            {
                if (end == est) break;
                double v = est + (end - est) * s / steps;
                var (f, yNew) = Minimise(v, y);
                walked.Add((v, f));
                y = yNew;
            }
        }
        walked.Sort((a, b) => a.V.CompareTo(b.V));
        double floor = Math.Min(fit.Objective, walked.Min(w => w.F));
        double tol = relTol * Math.Max(floor, 1e-300);
        var pts = walked.Select(w => new ProfilePoint(form.Natural(k, w.V), w.F, w.F - floor)).ToList();
        int at = walked.FindIndex(w => w.V == est);
        int l = at, h = at;
        while (l > 0 && pts[l - 1].Rise <= tol) l--;
        while (h < pts.Count - 1 && pts[h + 1].Rise <= tol) h++;
        bool identified = l > 0 && h < pts.Count - 1;
        return new ParameterProfile
        {
            Parameter = form.ParameterName(k), Estimate = form.Natural(k, est),
            RangeLo = pts[0].Value, RangeHi = pts[^1].Value, Tolerance = tol, Identified = identified,
            FlatLo = pts[l].Value, FlatHi = pts[h].Value, MaxRise = pts.Max(p => p.Rise), Points = pts,
        };
    }

    private static double[] Reduce(double[] x, int k) => x.Where((_, i) => i != k).ToArray();

    private static void Expand(ReadOnlySpan<double> y, int k, double value, double[] x)
    {
        for (int i = 0, j = 0; i < x.Length; i++) x[i] = i == k ? value : y[j++];
    }
}
