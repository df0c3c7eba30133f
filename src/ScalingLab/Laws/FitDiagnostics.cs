namespace ScalingLab.Laws;

/// <summary>How well a fit describes its runs, and how well it extrapolates to the largest one.</summary>
public sealed record FitDiagnostics
{
    /// <summary>Predicted loss per run, in input order.</summary>
    public required double[] Predicted { get; init; }
    /// <summary>ln L̂ − ln L per run.</summary>
    public required double[] LogResiduals { get; init; }
    /// <summary>R² of ln L: 1 − Σ r² / Σ (ln L − mean)².</summary>
    public required double R2LogLoss { get; init; }
    /// <summary>Root-mean-square log residual.</summary>
    public required double RmsLogResidual { get; init; }
    /// <summary>Name of the held-out largest-compute run (null when there are too few runs to hold one out).</summary>
    public string? HeldOutRun { get; init; }
    /// <summary>(predicted − actual)/actual loss of that run under a refit without it.</summary>
    public double HeldOutRelativeError { get; init; } = double.NaN;

    /// <summary>Log residuals ln L̂ − ln L, R² of ln L (1 − Σ r² / Σ (ln L − mean)²) and the RMS log residual.</summary>
    public static (double[] LogResiduals, double R2, double Rms) LogFit(IReadOnlyList<double> predicted, IReadOnlyList<double> observed)
    {
        var r = observed.Select((l, i) => Math.Log(predicted[i]) - Math.Log(l)).ToArray();
        double mean = observed.Average(Math.Log);
        double ssr = r.Sum(x => x * x), sst = observed.Sum(l => Math.Pow(Math.Log(l) - mean, 2));
        return (r, sst > 0 ? 1 - ssr / sst : double.NaN, Math.Sqrt(ssr / observed.Count));
    }

    /// <summary>Residuals and R² of <paramref name="fit"/>, and the held-out-largest-run extrapolation error.</summary>
    public static FitDiagnostics Compute(FitForm form, IReadOnlyList<FitPoint> points, FitResult fit, FitOptions options)
    {
        var predicted = points.Select(p => fit.Law.Loss(new LawInput(N: p.N, D: p.D, C: p.Compute))).ToArray();
        var (r, r2, rms) = LogFit(predicted, points.Select(p => p.Loss).ToArray());
        var diag = new FitDiagnostics { Predicted = predicted, LogResiduals = r, R2LogLoss = r2, RmsLogResidual = rms };
        // Held out: the run with the most compute, refitted from the full fit's best starts (as a bootstrap refit).
        if (points.Count - 1 <= form.Dim) return diag;
        int largest = Enumerable.Range(0, points.Count).MaxBy(i => points[i].Compute);
        var rest = points.Where((_, i) => i != largest).ToList();
        var refit = HuberFit.FitFrom(form, new FitData(rest), Bootstrap.BootstrapStarts(fit, 7),
                                     options.Grid ?? form.DefaultGrid, options, weights: null);
        var p = points[largest];
        double pred = refit.Law.Loss(new LawInput(N: p.N, D: p.D, C: p.Compute));
        return diag with { HeldOutRun = p.Name ?? $"point {largest + 1}", HeldOutRelativeError = (pred - p.Loss) / p.Loss };
    }
}
