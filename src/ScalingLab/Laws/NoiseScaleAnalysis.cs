using System.Globalization;
using System.Text.Json.Serialization;
using ScalingLab.Common;
using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Laws;

/// <summary>
/// One run's training record for the gradient noise scale: its metrics.jsonl rows and the two batch sizes the trainer
/// measured the gradient at (the first micro-batch, and the whole accumulated batch), in tokens.
/// </summary>
public sealed record NoiseScaleRun(string Name, double N, double SmallBatchTokens, double BigBatchTokens, long WarmupSteps,
                                   [property: JsonIgnore] IReadOnlyList<MetricsRow> Metrics)
{
    /// <summary>
    /// The run as trained with <paramref name="train"/> (resolved or not: warmup −1 means 5% of <paramref name="steps"/>).
    /// Without gradient accumulation there is one batch size and no noise scale: null.
    /// </summary>
    public static NoiseScaleRun? From(string name, double n, TrainConfig train, long steps, IReadOnlyList<MetricsRow> metrics)
    {
        if (train.Accum < 2) return null;
        double micro = (double)train.Batch * train.Seq;
        return new NoiseScaleRun(name, n, micro, micro * train.Accum, train.WarmupSteps(steps), metrics);
    }

    /// <summary>True when metrics.jsonl holds at least one grad_norm_micro measurement.</summary>
    [JsonIgnore] public bool Logged => Metrics.Any(r => r.GradNormMicro is not null);
}

/// <summary>
/// B_simple over one stretch of training: the unbiased |G|² and tr(Σ) estimates averaged over its steps, divided
/// (<see cref="GradientNoiseScale"/>), at the stretch's mean training loss. NaN when the mean |G|² estimate is not
/// positive (the gradient is below the noise there).
/// </summary>
public sealed record CriticalBatchPoint(string Run, double N, long FirstStep, long LastStep, int Steps, double Loss,
                                        double GradSquared, double TraceSigma, double BSimpleTokens);

/// <summary>A check of the B_crit(L) fit's identification rule, with its measured figure.</summary>
public sealed record NoiseScaleCheck(string Rule, string Measured, bool Passed);

/// <summary>
/// Kaplan's B_crit(L) = B_* / L^(1/α_B) (eq. 1.4) fitted across runs: a straight line ln B = ln B_* − (1/α_B) ln L by
/// least squares over every bin of every run, intervals from resampling whole runs. <see cref="Identified"/> only when
/// every <see cref="Checks"/> entry passed; otherwise the numbers are a description of these points, not a law.
/// </summary>
public sealed record CriticalBatchFit
{
    /// <summary>B_* (tokens at L = 1 nat/token).</summary>
    public required double BStar { get; init; }
    /// <summary>α_B = −1/slope.</summary>
    public required double AlphaB { get; init; }
    /// <summary>The slope d ln B_crit / d ln L (= −1/α_B).</summary>
    public required double Slope { get; init; }
    /// <summary>95% interval of the slope over run resamples (null with fewer than 3 runs).</summary>
    public IntervalRange? SlopeInterval { get; init; }
    /// <summary>95% interval of α_B (null unless the slope's interval lies below 0).</summary>
    public IntervalRange? AlphaBInterval { get; init; }
    /// <summary>95% interval of B_*.</summary>
    public IntervalRange? BStarInterval { get; init; }
    /// <summary>R² of ln B_crit.</summary>
    public required double R2 { get; init; }
    /// <summary>Bins fitted.</summary>
    public required int Points { get; init; }
    /// <summary>Runs that gave them.</summary>
    public required int Runs { get; init; }
    /// <summary>Decades spanned by the measured B_crit.</summary>
    public required double Decades { get; init; }
    /// <summary>The identification rule, check by check.</summary>
    public required IReadOnlyList<NoiseScaleCheck> Checks { get; init; }
    /// <summary>All checks passed.</summary>
    public bool Identified => Checks.All(c => c.Passed);
    /// <summary>The run resamples behind the intervals.</summary>
    public required int Resamples { get; init; }
}

/// <summary>One run's noise scale: its bins over training, and the B_simple of the whole run after warmup.</summary>
public sealed record NoiseScaleRunResult(string Run, double N, double SmallBatchTokens, double BigBatchTokens, int Steps,
                                         double BSimpleTokens, IReadOnlyList<CriticalBatchPoint> Bins);

/// <summary>What to measure: the runs, how many stretches per run, and the identification rule of the B_crit(L) fit.</summary>
public sealed record NoiseScaleOptions
{
    /// <summary>The runs (those without grad_norm_micro contribute nothing).</summary>
    public required IReadOnlyList<NoiseScaleRun> Runs { get; init; }
    /// <summary>Stretches per run: log-spaced in steps from the end of warmup (loss falls fastest early).</summary>
    public int Bins { get; init; } = 6;
    /// <summary>Fewest steps in a stretch (shorter ones are merged into the next): each step's estimate is very noisy.</summary>
    public int MinStepsPerBin { get; init; } = 16;
    /// <summary>The fit needs the measured B_crit to span at least this many decades.</summary>
    public double MinDecades { get; init; } = 2;
    /// <summary>Run resamples for the intervals.</summary>
    public int Resamples { get; init; } = 1000;
    /// <summary>Resampling seed.</summary>
    public ulong Seed { get; init; }
}

/// <summary>Everything the noise-scale analysis found, with Kaplan's published values beside it.</summary>
public sealed record NoiseScaleResult
{
    /// <summary>Per run (those that logged grad_norm_micro).</summary>
    public required IReadOnlyList<NoiseScaleRunResult> Runs { get; init; }
    /// <summary>Runs given that logged no grad_norm_micro (trained without gradient accumulation).</summary>
    public required IReadOnlyList<string> NotLogged { get; init; }
    /// <summary>The fit of B_crit(L) across runs; null with fewer than 3 valid bins.</summary>
    public CriticalBatchFit? Fit { get; init; }
    /// <summary>Kaplan et al. 2020 Table 3: B_* = 2e8 tokens.</summary>
    public double PublishedBStar => Published.BStar;
    /// <summary>Kaplan et al. 2020 Table 3: α_B = 0.21.</summary>
    public double PublishedAlphaB => Published.AlphaB;
    /// <summary>What the published law and ours are, and how they differ in scale.</summary>
    public string PaperNote => "Kaplan et al. 2020 (eq. 1.4, Table 3) measured B_crit from the steps/tokens trade-off of " +
        "Transformers of 1e6-1e9 non-embedding parameters on WebText2 (BPE, losses in nats/token of that text): B_* = 2e8 tokens, " +
        "alpha_B = 0.21. Ours is McCandlish et al.'s B_simple (an estimate of B_crit; it differs from their B_noise when the " +
        "Hessian is far from a multiple of the identity) for models of 1e3-1e6 parameters on the sweep's own data; losses on " +
        "different data and tokenizers are not on one scale, so B_* is comparable only as an order of magnitude and alpha_B as a slope.";
    /// <summary>The published law (for evaluation beside ours).</summary>
    [JsonIgnore] public static KaplanNS Published { get; } = new();

    /// <summary>The bins of <paramref name="run"/> with a finite B_simple (empty when the run logged nothing).</summary>
    public IReadOnlyList<CriticalBatchPoint> BinsOf(string run) =>
        Runs.FirstOrDefault(r => r.Run == run)?.Bins.Where(b => double.IsFinite(b.BSimpleTokens)).ToList() ?? [];
}

/// <summary>
/// The gradient noise scale measured during training (McCandlish et al. 2018, App. A.1) and Kaplan's B_crit(L) law
/// (Kaplan et al. 2020, eq. 1.4) across runs. The trainer logs, with gradient accumulation, the first micro-batch's
/// gradient norm (grad_norm_micro, B_small = batch × seq tokens) beside the accumulated one (grad_norm, B_big = B_small
/// × accum). Each run's steps after warmup are cut into stretches log-spaced in steps; per stretch, B_simple = mean
/// tr(Σ) estimate / mean |G|² estimate (<see cref="GradientNoiseScale.Estimate"/>) at the stretch's mean training
/// loss: a point of B_crit(L). Entry point: <see cref="Run"/>.
/// </summary>
public static class NoiseScaleAnalysis
{
    /// <summary>Measures every run and fits B_crit(L) across them.</summary>
    public static NoiseScaleResult Run(NoiseScaleOptions o)
    {
        if (o.Bins < 1) throw new UserError($"noise scale: bins must be ≥ 1 (got {o.Bins})");
        if (o.MinStepsPerBin < 1) throw new UserError($"noise scale: the minimum steps per bin must be ≥ 1 (got {o.MinStepsPerBin})");
        var runs = new List<NoiseScaleRunResult>();
        var notLogged = new List<string>();
        foreach (var r in o.Runs)
        {
            if (!r.Logged) { notLogged.Add(r.Name); continue; }
            runs.Add(Measure(r, o.Bins, o.MinStepsPerBin));
        }
        return new NoiseScaleResult { Runs = runs, NotLogged = notLogged, Fit = FitLaw(runs, o) };
    }

    /// <summary>One run: the pairs after warmup, cut into stretches.</summary>
    public static NoiseScaleRunResult Measure(NoiseScaleRun r, int bins, int minSteps)
    {
        var steps = r.Metrics
            .Where(m => m.Step > r.WarmupSteps && m.GradNormMicro is double s && double.IsFinite(s) && m.GradNorm is double b &&
                        double.IsFinite(b) && m.TrainLoss is double l && double.IsFinite(l))
            .OrderBy(m => m.Step).ToList();
        double Estimate(IEnumerable<MetricsRow> ms) => GradientNoiseScale.Estimate(
            ms.Select(m => (m.GradNormMicro!.Value * m.GradNormMicro.Value, m.GradNorm!.Value * m.GradNorm.Value)), r.SmallBatchTokens, r.BigBatchTokens);
        var result = new List<CriticalBatchPoint>();
        if (steps.Count > 0)
        {
            double s0 = steps[0].Step, s1 = steps[^1].Step + 1;
            // Stretch k holds steps in [s0 (s1/s0)^(k/K), s0 (s1/s0)^((k+1)/K)); short stretches are merged forward.
            var groups = steps.GroupBy(m => Math.Min(bins - 1, (int)Math.Floor(bins * Math.Log(m.Step / s0) / Math.Log(s1 / s0))))
                              .OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
            var merged = new List<List<MetricsRow>>();
            var pending = new List<MetricsRow>();
            foreach (var g in groups)
            {
                pending.AddRange(g);
                if (pending.Count >= minSteps) { merged.Add(pending); pending = []; }
            }
            if (pending.Count > 0)
            {
                if (merged.Count > 0) merged[^1].AddRange(pending);
                else if (pending.Count >= 2) merged.Add(pending); // a short run: one stretch of what there is
            }
            foreach (var g in merged)
            {
                var pairs = g.Select(m => (m.GradNormMicro!.Value * m.GradNormMicro.Value, m.GradNorm!.Value * m.GradNorm.Value)).ToList();
                double g2 = pairs.Average(p => GradientNoiseScale.GradSquared(p.Item1, r.SmallBatchTokens, p.Item2, r.BigBatchTokens));
                double tr = pairs.Average(p => GradientNoiseScale.TraceSigma(p.Item1, r.SmallBatchTokens, p.Item2, r.BigBatchTokens));
                result.Add(new CriticalBatchPoint(r.Name, r.N, g[0].Step, g[^1].Step, g.Count, g.Average(m => m.TrainLoss!.Value), g2, tr,
                                                  Estimate(g)));
            }
        }
        return new NoiseScaleRunResult(r.Name, r.N, r.SmallBatchTokens, r.BigBatchTokens, steps.Count,
                                       steps.Count == 0 ? double.NaN : Estimate(steps), result);
    }

    /// <summary>
    /// B_crit at <paramref name="loss"/> from a run's measured bins: linear in (ln L, ln B) between the bins, the end
    /// bins' values beyond them; NaN without a finite bin.
    /// </summary>
    public static double CriticalBatchAt(IReadOnlyList<CriticalBatchPoint> bins, double loss)
    {
        var b = bins.Where(x => double.IsFinite(x.BSimpleTokens) && x.BSimpleTokens > 0 && x.Loss > 0).OrderBy(x => x.Loss).ToList();
        if (b.Count == 0) return double.NaN;
        if (loss <= b[0].Loss) return b[0].BSimpleTokens;
        if (loss >= b[^1].Loss) return b[^1].BSimpleTokens;
        int i = b.FindIndex(x => x.Loss >= loss);
        var (lo, hi) = (b[i - 1], b[i]);
        if (hi.Loss == lo.Loss) return hi.BSimpleTokens;
        double t = Math.Log(loss / lo.Loss) / Math.Log(hi.Loss / lo.Loss);
        return Math.Exp(Math.Log(lo.BSimpleTokens) + t * Math.Log(hi.BSimpleTokens / lo.BSimpleTokens));
    }

    private static CriticalBatchFit? FitLaw(IReadOnlyList<NoiseScaleRunResult> runs, NoiseScaleOptions o)
    {
        var byRun = runs.Select(r => r.Bins.Where(b => double.IsFinite(b.BSimpleTokens) && b.BSimpleTokens > 0).ToList())
                        .Where(b => b.Count > 0).ToList();
        var all = byRun.SelectMany(b => b).ToList();
        if (all.Count < 3) return null;
        var (intercept, slope, r2) = Line(all);
        var slopes = new List<double>();
        var intercepts = new List<double>();
        if (byRun.Count >= 3)
        {
            for (int k = 0; k < o.Resamples; k++)
            {
                var rng = new Rng(o.Seed).Fork((ulong)k);
                var sample = Enumerable.Range(0, byRun.Count).SelectMany(_ => byRun[rng.NextInt(byRun.Count)]).ToList();
                if (sample.Select(p => p.Loss).Distinct().Count() < 2) continue;
                var (a, s, _) = Line(sample);
                slopes.Add(s);
                intercepts.Add(a);
            }
        }
        IntervalRange? Iv(List<double> v)
        {
            if (v.Count == 0) return null;
            var sorted = v.Order().ToArray();
            return new IntervalRange(Percentiles.AtFraction(sorted, 0.025), Percentiles.AtFraction(sorted, 0.975));
        }
        var slopeIv = Iv(slopes);
        var bStarIv = Iv(intercepts) is { } ia ? new IntervalRange(Math.Exp(ia.Lo), Math.Exp(ia.Hi)) : null;
        var alphaIv = slopeIv is { Hi: < 0 } si ? new IntervalRange(-1 / si.Lo, -1 / si.Hi) : null;
        double decades = Math.Log10(all.Max(p => p.BSimpleTokens) / all.Min(p => p.BSimpleTokens));
        string F(double x) => x.ToString("0.00", CultureInfo.InvariantCulture);
        var checks = new List<NoiseScaleCheck>
        {
            new("at least 3 runs with a measured B_crit (intervals resample whole runs)", $"{byRun.Count} runs", byRun.Count >= 3),
            new($"the measured B_crit spans at least {o.MinDecades:0.#} decades", $"{F(decades)} decades", decades >= o.MinDecades),
            new("the slope's 95% interval lies below 0 (B_crit grows as the loss falls)",
                slopeIv is null ? "no interval" : $"[{F(slopeIv.Lo)}, {F(slopeIv.Hi)}]", slopeIv is { Hi: < 0 }),
        };
        return new CriticalBatchFit
        {
            BStar = Math.Exp(intercept), Slope = slope, AlphaB = -1 / slope, SlopeInterval = slopeIv, AlphaBInterval = alphaIv,
            BStarInterval = bStarIv, R2 = r2, Points = all.Count, Runs = byRun.Count, Decades = decades, Checks = checks,
            Resamples = slopes.Count,
        };
    }

    /// <summary>Least squares ln B = a + s ln L: (a, s, R²).</summary>
    private static (double A, double S, double R2) Line(IReadOnlyList<CriticalBatchPoint> pts)
    {
        var x = pts.Select(p => Math.Log(p.Loss)).ToArray();
        var y = pts.Select(p => Math.Log(p.BSimpleTokens)).ToArray();
        double mx = x.Average(), my = y.Average();
        double sxx = x.Sum(v => (v - mx) * (v - mx)), sxy = x.Zip(y).Sum(p => (p.First - mx) * (p.Second - my));
        double syy = y.Sum(v => (v - my) * (v - my));
        double s = sxx > 0 ? sxy / sxx : double.NaN, a = my - s * mx;
        double ssr = x.Zip(y).Sum(p => Math.Pow(p.Second - a - s * p.First, 2));
        return (a, s, syy > 0 ? 1 - ssr / syy : double.NaN);
    }
}
