using ScalingLab.Common;

namespace ScalingLab.Laws;

/// <summary>A compute-optimal frontier N_opt = k_N C^a, D_opt = k_D C^b estimated by one of Hoffmann's approaches.</summary>
public sealed record AllocationEstimate(string Approach, double A, double LogKN, double B, double LogKD, int Points)
{
    /// <summary>N_opt at compute C (FLOPs).</summary>
    public double OptimalN(double flops) => Math.Exp(LogKN + A * Math.Log(flops));
    /// <summary>D_opt at compute C (FLOPs).</summary>
    public double OptimalD(double flops) => Math.Exp(LogKD + B * Math.Log(flops));
}

/// <summary>One compute budget's IsoFLOP parabola (Approach 2): loss = c0 + c1 ln N + c2 (ln N)², minimum at N_opt.</summary>
public sealed record IsoFlopProfile(double Compute, double C0, double C1, double C2, double OptimalN, int Points,
                                    double MinN, double MaxN);

/// <summary>
/// Hoffmann et al. 2022's Approaches 1 and 2 from final-loss points (Section 3.1, 3.2):
/// Approach 1 takes the lower envelope of loss over compute (a run is on it when no run with less or equal compute
/// has a lower loss) and regresses ln N and ln D of those runs on ln C. Approach 2 groups runs into compute budgets
/// (IsoFLOP slices), fits a parabola of loss in ln N per budget, takes its minimum, and regresses those minima on ln C.
/// </summary>
public static class ComputeOptimal
{
    /// <summary>Approach 1; null when fewer than 3 runs lie on the envelope.</summary>
    public static AllocationEstimate? LowerEnvelope(IReadOnlyList<FitPoint> points)
    {
        var frontier = Envelope(points);
        if (frontier.Count < 3) return null;
        var lc = frontier.Select(p => Math.Log(p.Compute)).ToArray();
        var (a, ka) = Regress(lc, frontier.Select(p => Math.Log(p.N)).ToArray());
        var (b, kb) = Regress(lc, frontier.Select(p => Math.Log(p.D)).ToArray());
        return new AllocationEstimate("approach-1", a, ka, b, kb, frontier.Count);
    }

    /// <summary>The runs on the lower envelope of loss over compute, by increasing compute.</summary>
    public static List<FitPoint> Envelope(IReadOnlyList<FitPoint> points)
    {
        var frontier = new List<FitPoint>();
        double best = double.PositiveInfinity;
        foreach (var p in points.OrderBy(p => p.Compute).ThenBy(p => p.Loss))
        {
            if (p.Loss < best) { frontier.Add(p); best = p.Loss; }
        }
        return frontier;
    }

    /// <summary>
    /// Groups runs into compute budgets: sorted by compute, a new budget starts where consecutive runs are more than
    /// <paramref name="gapDex"/> decades apart or the budget would span more than <paramref name="spanDex"/> decades.
    /// </summary>
    public static List<List<FitPoint>> Budgets(IReadOnlyList<FitPoint> points, double gapDex = 0.05, double spanDex = 0.3)
    {
        var groups = new List<List<FitPoint>>();
        List<FitPoint>? cur = null;
        double first = 0, last = 0;
        foreach (var p in points.OrderBy(p => p.Compute))
        {
            double lc = Math.Log10(p.Compute);
            if (cur is null || lc - last > gapDex || lc - first > spanDex)
            {
                cur = []; groups.Add(cur); first = lc;
            }
            cur.Add(p); last = lc;
        }
        return groups;
    }

    /// <summary>Approach 2's per-budget parabolas: budgets with ≥ 3 distinct sizes and a convex fit whose minimum lies inside their N range.</summary>
    public static List<IsoFlopProfile> IsoFlopProfiles(IReadOnlyList<FitPoint> points, double gapDex = 0.05, double spanDex = 0.3)
    {
        var profiles = new List<IsoFlopProfile>();
        foreach (var g in Budgets(points, gapDex, spanDex))
        {
            if (g.Select(p => p.N).Distinct().Count() < 3) continue;
            var x = g.Select(p => Math.Log(p.N)).ToArray();
            var y = g.Select(p => p.Loss).ToArray();
            var (c0, c1, c2) = Parabola(x, y);
            if (!(c2 > 0)) continue;
            double xStar = -c1 / (2 * c2);
            if (xStar < x.Min() || xStar > x.Max()) continue; // the minimum is an extrapolation: not trustworthy
            double c = Math.Exp(g.Average(p => Math.Log(p.Compute)));
            profiles.Add(new IsoFlopProfile(c, c0, c1, c2, Math.Exp(xStar), g.Count, g.Min(p => p.N), g.Max(p => p.N)));
        }
        return profiles;
    }

    /// <summary>Approach 2; null when fewer than 2 budgets give a usable parabola.</summary>
    public static AllocationEstimate? IsoFlop(IReadOnlyList<FitPoint> points, double gapDex = 0.05, double spanDex = 0.3)
    {
        var prof = IsoFlopProfiles(points, gapDex, spanDex);
        if (prof.Count < 2) return null;
        var lc = prof.Select(p => Math.Log(p.Compute)).ToArray();
        var (a, ka) = Regress(lc, prof.Select(p => Math.Log(p.OptimalN)).ToArray());
        // D_opt = C / (6 N_opt) at each budget.
        var (b, kb) = Regress(lc, prof.Select(p => Math.Log(p.Compute / (6 * p.OptimalN))).ToArray());
        return new AllocationEstimate("approach-2", a, ka, b, kb, prof.Count);
    }

    /// <summary>Approach 3's frontier from a fitted Chinchilla law: a = β/(α+β), b = α/(α+β) (Hoffmann eq. 4).</summary>
    public static AllocationEstimate FromChinchilla(ChinchillaLaw law)
    {
        double s = law.Alpha + law.Beta;
        // N_opt = G (C/6)^(β/s) → ln k_N = ln G − (β/s) ln 6.
        return new AllocationEstimate("approach-3", law.Beta / s, Math.Log(law.G) - law.Beta / s * Math.Log(6),
                                      law.Alpha / s, -Math.Log(law.G) - law.Alpha / s * Math.Log(6), 0);
    }

    /// <summary>Ordinary least squares y = slope·x + intercept.</summary>
    public static (double Slope, double Intercept) Regress(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0;
        for (int i = 0; i < x.Length; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); }
        if (sxx == 0) throw new UserError("compute-optimal regression: all budgets have the same compute");
        double slope = sxy / sxx;
        return (slope, my - slope * mx);
    }

    /// <summary>Least-squares parabola y = c0 + c1 x + c2 x², solved on centred x for conditioning.</summary>
    public static (double C0, double C1, double C2) Parabola(double[] x, double[] y)
    {
        double m = x.Average();
        // Normal equations in t = x − m: [Σ1 Σt Σt²; Σt Σt² Σt³; Σt² Σt³ Σt⁴] [k0 k1 k2]ᵀ = [Σy Σty Σt²y]ᵀ.
        double s0 = x.Length, s1 = 0, s2 = 0, s3 = 0, s4 = 0, r0 = 0, r1 = 0, r2 = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double t = x[i] - m, t2 = t * t;
            s1 += t; s2 += t2; s3 += t2 * t; s4 += t2 * t2; r0 += y[i]; r1 += t * y[i]; r2 += t2 * y[i];
        }
        var a = new double[,] { { s0, s1, s2 }, { s1, s2, s3 }, { s2, s3, s4 } };
        var k = Solve3(a, [r0, r1, r2]);
        // Back to x: k0 + k1 (x − m) + k2 (x − m)².
        return (k[0] - k[1] * m + k[2] * m * m, k[1] - 2 * k[2] * m, k[2]);
    }

    private static double[] Solve3(double[,] a, double[] b)
    {
        // Gaussian elimination with partial pivoting.
        int n = 3;
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[p, c])) p = r;
            if (p != c)
            {
                for (int k = 0; k < n; k++) (a[c, k], a[p, k]) = (a[p, k], a[c, k]);
                (b[c], b[p]) = (b[p], b[c]);
            }
            if (a[c, c] == 0) return [double.NaN, double.NaN, double.NaN];
            for (int r = c + 1; r < n; r++)
            {
                double f = a[r, c] / a[c, c];
                for (int k = c; k < n; k++) a[r, k] -= f * a[c, k];
                b[r] -= f * b[c];
            }
        }
        var xs = new double[n];
        for (int r = n - 1; r >= 0; r--)
        {
            double s = b[r];
            for (int k = r + 1; k < n; k++) s -= a[r, k] * xs[k];
            xs[r] = s / a[r, r];
        }
        return xs;
    }
}
