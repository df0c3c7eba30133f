using System.Text.Json;
using System.Text.Json.Serialization;
using ScalingLab.Common;

namespace ScalingLab.Laws;

/// <summary>
/// One run's learning curve: N (non-embedding parameters), B (tokens per step), the steps before which the curve is
/// not used (warmup), the (step, loss) points, and the run's measured B_crit(L) bins (empty: S_min = S, uncorrected).
/// </summary>
public sealed record LearningCurveRun(string Name, double N, double BatchTokens, long WarmupSteps,
                                      IReadOnlyList<(long Step, double Loss)> Curve, IReadOnlyList<CriticalBatchPoint> CriticalBatch);

/// <summary>How S_min is computed from S and the measured B_crit(L).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MinStepsRule>))]
public enum MinStepsRule
{
    /// <summary>Kaplan eq. 5.4: S_min = S / (1 + B_crit(L)/B) with B_crit at the current loss.</summary>
    Kaplan,
    /// <summary>
    /// McCandlish et al.'s relation step by step, summed: S_min(S) = ∫₀^S dS' / (1 + B_crit(L(S'))/B) (trapezoids between
    /// the curve's points, the first point's factor from step 0). Equal to eq. 5.4 when B_crit is constant; never falls as S grows.
    /// </summary>
    Integrated,
}

/// <summary>What to fit: the runs, the bootstrap over runs, the fit settings and the profile tolerance.</summary>
public sealed record LearningCurveOptions
{
    /// <summary>The runs (at least 2 model sizes).</summary>
    public required IReadOnlyList<LearningCurveRun> Runs { get; init; }
    /// <summary>Bootstrap resamples of whole runs (0 = none).</summary>
    public int Bootstrap { get; init; } = 200;
    /// <summary>Bootstrap seed.</summary>
    public ulong Seed { get; init; }
    /// <summary>Huber δ, threads, iterations, grid (default: <see cref="KaplanNSFit"/>'s).</summary>
    public FitOptions Fit { get; init; } = new();
    /// <summary>How S_min is computed (Kaplan's eq. 5.4 by default).</summary>
    public MinStepsRule Rule { get; init; } = MinStepsRule.Kaplan;
        /// <summary>Relative profile tolerance; null = 1.92/(runs − 4) (see <see cref="LearningCurveResult.ProfileRule"/>).</summary>
    public double? ProfileTolerance { get; init; }
}

/// <summary>One learning-curve point as fitted.</summary>
public sealed record LearningCurvePoint(string Run, double N, long Step, double CriticalBatch, double SMin, double Loss, double Predicted);

/// <summary>A fitted value beside the paper's.</summary>
public sealed record PublishedComparison(string Name, double Ours, bool Identified, double Published);

/// <summary>The L(N, S_min) fit: parameters with identifiability and intervals, diagnostics, and every point.</summary>
public sealed record LearningCurveResult
{
    /// <summary>Always "kaplan-ns".</summary>
    public string Form => "kaplan-ns";
    /// <summary>How S_min was computed.</summary>
    public required MinStepsRule Rule { get; init; }
    /// <summary>Runs fitted.</summary>
    public required int Runs { get; init; }
    /// <summary>Runs whose S was corrected to S_min with their measured B_crit(L).</summary>
    public required int RunsCorrected { get; init; }
    /// <summary>How S_min was computed.</summary>
    public required string Correction { get; init; }
    /// <summary>
    /// Runs whose S_min falls somewhere as S grows: where B_crit(L) grows faster than S (B ≪ B_crit), eq. 5.4, derived for
    /// a B_crit that changes slowly, gives a non-monotone S_min.
    /// </summary>
    public required IReadOnlyList<string> NonMonotoneRuns { get; init; }
    /// <summary>Σ Huber_δ(ln L̂ − ln L) at the optimum.</summary>
    public required double Objective { get; init; }
    /// <summary>The best start stopped on a tolerance.</summary>
    public required bool Converged { get; init; }
    /// <summary>Why the best start stopped.</summary>
    public required string Stop { get; init; }
    /// <summary>N_c, alpha_N, S_c, alpha_S with identifiability and intervals.</summary>
    public required IReadOnlyList<QuantityEstimate> Parameters { get; init; }
    /// <summary>The objective profile of every parameter.</summary>
    public required IReadOnlyList<ParameterProfile> Profiles { get; init; }
    /// <summary>The relative profile tolerance used.</summary>
    public required double ProfileTolerance { get; init; }
    /// <summary>How the tolerance was chosen.</summary>
    public string ProfileRule => "flat = the objective rises by at most profile_tolerance x its minimum up to an end of the scanned range; " +
        "default 1.92/(runs - 4): the 95% likelihood-ratio threshold with each run counted once, since the points of one learning curve are not independent";
    /// <summary>Bootstrap settings and counts (null when not bootstrapped).</summary>
    public BootstrapSummary? Bootstrap { get; init; }
    /// <summary>R² of ln L over every point.</summary>
    public required double R2LogLoss { get; init; }
    /// <summary>Root-mean-square log residual.</summary>
    public required double RmsLogResidual { get; init; }
    /// <summary>Our values beside Kaplan et al. 2020 Table 3 (α_N, N_c, α_S, S_c).</summary>
    public required IReadOnlyList<PublishedComparison> Published { get; init; }
    /// <summary>What Kaplan measured, and the scale difference.</summary>
    public string PaperNote => "Kaplan et al. 2020 (eq. 1.6 / 5.6, Table 3) fitted L(N, S_min) to the test-loss learning curves of " +
        "Transformers of 1e6-1e9 non-embedding parameters on WebText2 (batch 2^19 tokens, after warmup; alpha_N = 0.077, N_c = 6.5e13, " +
        "alpha_S = 0.76, S_c = 2.1e3). Ours: the training loss on fixed training windows at each evaluation after warmup, models of " +
        "1e3-1e6 parameters on the sweep's own data and tokenizer, so N_c and S_c are comparable only as orders of magnitude.";
    /// <summary>Every point fitted.</summary>
    public required IReadOnlyList<LearningCurvePoint> Points { get; init; }
    /// <summary>The fitted law (for plots).</summary>
    [JsonIgnore] public KaplanNS Law { get; init; } = null!;

    /// <summary>The parameter called <paramref name="name"/>.</summary>
    public QuantityEstimate Quantity(string name) => Parameters.FirstOrDefault(q => q.Name == name) ?? throw new KeyNotFoundException(name);

    /// <summary>The record as JSON (snake_case; NaN as a string).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, WriteIndented = true,
    });
}

/// <summary>
/// Kaplan et al. 2020's learning-curve law L(N, S_min) = (N_c/N)^α_N + (S_c/S_min)^α_S (eq. 1.6 / 5.6) fitted over every
/// point of every run's curve, with S_min = S / (1 + B_crit(L)/B) (eq. 5.4; <see cref="KaplanNS.MinStepsAt"/>) from the
/// run's own measured B_crit(L) (<see cref="NoiseScaleAnalysis.CriticalBatchAt"/>), or S itself when the run measured
/// none (stated in <see cref="LearningCurveResult.Correction"/>). The fit is the project's: Huber on log residuals,
/// L-BFGS from a grid (<see cref="HuberFit"/>), each parameter's objective profiled (<see cref="ParameterProfiles"/>),
/// intervals from a bootstrap that resamples whole runs. Entry point: <see cref="Run"/>.
/// </summary>
public static class LearningCurveAnalysis
{
    /// <summary>The published constants (Kaplan Table 3).</summary>
    public static KaplanNS PublishedLaw { get; } = new();

    /// <summary>S_min of every point of <paramref name="run"/> after its warmup, with the B_crit used (NaN: uncorrected, S_min = S).</summary>
    public static IEnumerable<(long Step, double Loss, double CriticalBatch, double SMin)> MinSteps(LearningCurveRun run,
                                                                                                  MinStepsRule rule = MinStepsRule.Kaplan)
    {
        double integral = 0, prevStep = 0, prevFactor = double.NaN;
        foreach (var (step, loss) in run.Curve.Where(p => p.Loss > 0 && double.IsFinite(p.Loss)).OrderBy(p => p.Step))
        {
            double b = NoiseScaleAnalysis.CriticalBatchAt(run.CriticalBatch, loss);
            double factor = double.IsFinite(b) ? KaplanNS.MinStepsAt(1, run.BatchTokens, b) : 1; // dS_min/dS at this loss
            integral += (step - prevStep) * (double.IsNaN(prevFactor) ? factor : 0.5 * (prevFactor + factor));
            (prevStep, prevFactor) = (step, factor);
            if (step <= run.WarmupSteps) continue;
            yield return (step, loss, b, rule == MinStepsRule.Integrated ? integral : KaplanNS.MinStepsAt(step, run.BatchTokens, double.IsFinite(b) ? b : 0));
        }
    }

    /// <summary>Fits L(N, S_min). Too few runs or points, or one model size, is a <see cref="UserError"/>.</summary>
    public static LearningCurveResult Run(LearningCurveOptions o)
    {
        var form = new KaplanNSFit();
        var runs = o.Runs.Where(r => r.Curve.Count > 0).ToList();
        if (runs.Select(r => r.N).Distinct().Count() < 2)
            throw new UserError($"learning curves: L(N, S) needs runs of at least 2 model sizes (got {runs.Select(r => r.N).Distinct().Count()})");
        if (o.Bootstrap < 0) throw new UserError($"learning curves: bootstrap must be ≥ 0 resamples (got {o.Bootstrap})");
        var points = new List<FitPoint>();
        var groups = new List<int>();
        var raw = new List<(string Run, double N, long Step, double B, double SMin, double Loss)>();
        for (int g = 0; g < runs.Count; g++)
            foreach (var (step, loss, b, sMin) in MinSteps(runs[g], o.Rule))
            {
                points.Add(new FitPoint(runs[g].N, sMin, loss, Name: runs[g].Name));
                groups.Add(g);
                raw.Add((runs[g].Name, runs[g].N, step, b, sMin, loss));
            }
        HuberFit.CheckCount(form, points.Count);
        double tolerance = o.ProfileTolerance ?? ParameterProfiles.HalfChiSquare95 / Math.Max(1, runs.Count - form.Dim);
        if (!(tolerance > 0)) throw new UserError($"learning curves: the profile tolerance must be > 0 (got {tolerance})");
        var fit = HuberFit.Fit(form, points, o.Fit);
        var profiles = ParameterProfiles.Compute(form, points, fit, o.Fit, tolerance);
        var bs = o.Bootstrap > 0 && runs.Count >= 3
            ? Laws.Bootstrap.Run(form, points, fit, o.Bootstrap, o.Seed, o.Fit, groups: groups.ToArray())
            : null;
        var law = (KaplanNS)fit.Law;
        var predicted = raw.Select(p => law.Loss(new LawInput(N: p.N, S: p.SMin))).ToArray();
        var (_, r2, rms) = FitDiagnostics.LogFit(predicted, raw.Select(p => p.Loss).ToArray());
        var parameters = LawFitAnalysis.Estimates(profiles, bs);
        int corrected = runs.Count(r => r.CriticalBatch.Any(b => double.IsFinite(b.BSimpleTokens) && b.BSimpleTokens > 0));
        string how = o.Rule == MinStepsRule.Kaplan
            ? "S_min = S / (1 + B_crit(L)/B) (Kaplan eq. 5.4)"
            : "S_min = the sum over steps of 1 / (1 + B_crit(L)/B) (McCandlish et al.'s relation step by step)";
        string correction = corrected == runs.Count
            ? $"{how} with each run's measured B_crit(L), interpolated in log-log between its bins"
            : corrected == 0
                ? "S_min = S: no run measured B_crit (no grad_norm_micro), so the steps are not corrected to S_min"
                : $"{how} for the {corrected} runs that measured B_crit; S uncorrected for the other {runs.Count - corrected}";
        var pub = PublishedLaw.Parameters;
        return new LearningCurveResult
        {
            Rule = o.Rule, Runs = runs.Count, RunsCorrected = corrected, Correction = correction,
            NonMonotoneRuns = raw.GroupBy(p => p.Run).Where(g => g.OrderBy(p => p.Step).Zip(g.OrderBy(p => p.Step).Skip(1)).Any(q => q.Second.SMin < q.First.SMin))
                                 .Select(g => g.Key).ToList(), Objective = fit.Objective, Converged = fit.Converged,
            Stop = fit.Stop.ToString(), Parameters = parameters, Profiles = profiles, ProfileTolerance = tolerance,
            Bootstrap = bs is null ? null : new BootstrapSummary(bs.Resamples, bs.Converged, bs.Unconverged, o.Seed, 0.95, bs.Seconds,
                "resample whole runs with replacement; refit from the full-data optimum and the 7 best full-grid starts; intervals over converged refits only"),
            R2LogLoss = r2, RmsLogResidual = rms,
            Published = parameters.Select(p => new PublishedComparison(p.Name, p.Estimate, p.Identified, pub[p.Name])).ToList(),
            Points = raw.Select((p, i) => new LearningCurvePoint(p.Run, p.N, p.Step, p.B, p.SMin, p.Loss, predicted[i])).ToList(),
            Law = law,
        };
    }
}
