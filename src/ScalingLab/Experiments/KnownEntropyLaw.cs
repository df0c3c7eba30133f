using System.Globalization;
using ScalingLab.Data;
using ScalingLab.Laws;
using ScalingLab.Reports;

namespace ScalingLab.Experiments;

/// <summary>
/// `known-entropy-law`: a Chinchilla fit (Hoffmann et al. 2022, Approach 3, eq. 2: L = E + A/N^α + B/D^β) on a grid of
/// model × data sizes trained on the Zipf-facts source (<see cref="ZipfFacts"/>), whose entropy rate H is known exactly,
/// so the fitted irreducible loss E can be judged against the truth.
/// </summary>
public sealed class KnownEntropyLaw : IExperiment
{
    /// <summary>The rule's thresholds, fixed before any run.</summary>
    public const double MinR2 = 0.98, MaxRelativeEError = 0.02, MaxHeldOutError = 0.01;

    /// <inheritdoc/>
    public string Name => "known-entropy-law";
    /// <inheritdoc/>
    public string Title => "Scaling law on a source of known entropy";
    /// <inheritdoc/>
    public string Claim =>
        "Hoffmann et al. (2022) read the fitted E of L(N, D) = E + A/N^α + B/D^β as the irreducible loss, the entropy of " +
        "natural text, which nobody knows. Here the text is sampled from a source whose entropy rate H is exact (Zipf-" +
        "distributed facts, Michaud et al. 2023), so the fit can be checked: does E land on H, and does the law predict " +
        "the largest run from the others? Scale: 2.5·10^4–1.6·10^6 non-embedding parameters and 10^5–3·10^6 tokens, against " +
        "Chinchilla's 7·10^7–1.6·10^10 parameters and 5·10^9–5·10^11 tokens.";
    /// <inheritdoc/>
    public string Rule => Verdict.RuleText(
        reproducedWhen: $"R² of log loss ≥ {MinR2}, H lies inside E's 95% bootstrap interval, |E − H|/H ≤ {MaxRelativeEError:P0}, " +
                        $"and the largest-compute run, held out of the fit, is predicted within {MaxHeldOutError:P0}",
        contradictedWhen: $"the fit describes the runs (R² ≥ {MinR2}) but E's 95% interval excludes H and |E − H|/H > {MaxRelativeEError:P0}");
    /// <inheritdoc/>
    public IReadOnlyList<PaperValue> Reference { get; } =
    [
        new("E (irreducible loss, nats/token, MassiveText)", "1.69", "Hoffmann et al. 2022, eq. 10 (Approach 3)"),
        new("α, β", "0.34, 0.28", "Hoffmann et al. 2022, eq. 10"),
        new("E, α, β (refit on points read from Chinchilla's figure)", "1.82, 0.348, 0.366", "Besiroglu et al. 2024, eq. 3"),
        new("quantisation model: loss exponent = a − 1 for Zipf(a) features (α_N of the capacity limit)", "a − 1", "Michaud et al. 2023, §3"),
    ];

    /// <summary>The source of the full experiment: 4096 keys of Zipf(1.3), 2-symbol codes over 64 symbols, 1-symbol values.</summary>
    internal static string Source(int keys, long tokens) => ExperimentData.Zipf(keys, tokens, valTokens: 200_000, seed: 11);

    /// <inheritdoc/>
    public ExperimentSweep Sweep(bool quick) => ExperimentSweep.Of(Name, quick,
    [
        new ExperimentGrid
        {
            Name = "zipf",
            Data = k => Source(quick ? 1024 : 4096, ExperimentSweep.ScaleTokens(quick ? 400_000 : 3_200_000, k)),
            HeadSize = 16,
            Train = quick ? "batch: 4, seq: 64, lr: 3e-3, eval_windows: 64, ckpt_every: 0, ckpt_log_until: 0"
                          : "batch: 8, seq: 64, lr: 3e-3, eval_windows: 256, ckpt_every: 0, ckpt_log_until: 0",
            Models = quick ? [new(2, 16), new(2, 32), new(2, 64), new(2, 96)] : [new(2, 32), new(2, 64), new(2, 128), new(2, 192), new(2, 256)],
            DataSizes = quick ? [30_000, 100_000, 300_000] : [100_000, 300_000, 1_000_000, 3_000_000],
        },
    ]);

    /// <summary>What the rule is applied to: the fit's R², E with its 95% interval (or not identified), H, the held-out error.</summary>
    public sealed record Measurement(double R2LogLoss, double E, double ELo, double EHi, double H, double HeldOutRelativeError,
                                     bool EIdentified = true);

    /// <summary>The verdict rule (fixed before the run).</summary>
    public static Verdict Judge(Measurement m)
    {
        double rel = Math.Abs(m.E - m.H) / m.H;
        bool inside = m.EIdentified && m.ELo <= m.H && m.H <= m.EHi;
        var checks = new List<VerdictCheck>
        {
            new("R² of log loss", m.R2LogLoss, $"≥ {MinR2}", m.R2LogLoss >= MinR2),
            new("known H inside E's 95% interval", inside ? 1 : 0,
                m.EIdentified ? $"H = {m.H:0.0000} in [{m.ELo:0.0000}, {m.EHi:0.0000}]" : $"E identified (it is not: its profile is flat) and H = {m.H:0.0000} in its interval",
                inside),
            new("|E − H| / H", rel, $"≤ {MaxRelativeEError}", rel <= MaxRelativeEError),
            new("held-out largest run |error|", Math.Abs(m.HeldOutRelativeError), $"≤ {MaxHeldOutError}", Math.Abs(m.HeldOutRelativeError) <= MaxHeldOutError),
        };
        bool contradicted = m.EIdentified && m.R2LogLoss >= MinR2 && !inside && rel > MaxRelativeEError;
        return Verdict.AllOf(new KnownEntropyLaw().Rule, checks, contradicted);
    }

    /// <inheritdoc/>
    public ExperimentFindings Analyze(ExperimentContext ctx)
    {
        var runs = ctx.Runs;
        var manifest = DataManifest.Read(runs[0].Config.DataDir);
        double h = manifest.EntropyRateNats ?? throw new Common.UserError($"{runs[0].Config.DataDir}: the manifest has no entropy rate");
        var points = runs.Select(r => new FitPoint(r.N, r.Config.DataTokens, r.FinalValLoss, Name: r.Config.Name))
                         .Where(p => double.IsFinite(p.Loss)).ToList();
        ctx.Log.WriteLine($"reproduce {Name}: fitting {points.Count} runs (Approach 3, full grid), profiles and bootstrap");
        var fit = LawFitAnalysis.Run(new LawFitOptions { Points = points, Bootstrap = ctx.Quick ? 50 : 200, Seed = 20_240_519UL });
        var law = (ChinchillaLaw)fit.Law;
        QuantityEstimate P(string name) => fit.Parameters.First(q => q.Name == name);
        var e = P("E");
        double heldOut = fit.HeldOut?.RelativeError ?? double.NaN;
        var verdict = Judge(new Measurement(fit.R2LogLoss, law.E, e.Interval?.Lo ?? double.NaN, e.Interval?.Hi ?? double.NaN, h, heldOut, e.Identified));

        string F4(double x) => x.ToString("0.0000", CultureInfo.InvariantCulture);
        string I(QuantityEstimate q) => $"{F4(q.Estimate)} {q.IntervalText(F4)}";
        string Exp(string approach) => fit.Approaches.FirstOrDefault(a => a.Approach == approach) is { } a
            ? a.NExponent.ToString("0.00", CultureInfo.InvariantCulture) : "n/a (the grid has no data for it)";
        var summary = new List<string>
        {
            $"E = {I(e)} nats/token vs the source's exact entropy rate H = {F4(h)} (|E − H|/H = {Math.Abs(law.E - h) / h:P2}); " +
            $"R² of log loss {fit.R2LogLoss:0.0000}; held-out largest run ({fit.HeldOut?.Run ?? "none"}) predicted with error {heldOut:P2}.",
            $"α = {I(P("alpha"))}, β = {I(P("beta"))} (Chinchilla: 0.34, 0.28); bootstrap refits converged: " +
            $"{fit.Bootstrap?.Converged ?? 0}/{fit.Bootstrap?.Resamples ?? 0}" +
            (fit.OutsideGrid.Count > 0 ? $"; at the edge of the start grid: {string.Join(", ", fit.OutsideGrid)}" : "") +
            (fit.Converged ? "" : "; THE FIT DID NOT CONVERGE") + ".",
            $"Compute-optimal exponent a of N_opt ∝ C^a: Approach 1 {Exp("approach-1")}, Approach 2 {Exp("approach-2")}, " +
            $"Approach 3 β/(α+β) = {law.Beta / (law.Alpha + law.Beta):0.00} (Chinchilla: 0.50, 0.49, 0.46).",
        };
        var diag = new { Predicted = fit.Points.Select(p => p.Predicted).ToArray() };
        var rows = points.Select((p, i) => new[]
        {
            p.Name ?? "", SweepReport.F(p.N), SweepReport.F(p.D), F4(p.Loss), F4(diag.Predicted[i]), F4(p.Loss - h),
        }).ToList();

        var figures = new List<FigureRef>();
        var chart = new Chart("Loss against data, per model size (points) and the fitted law (lines)", "training tokens D",
                              "validation loss (nats/token)", AxisScale.Log, AxisScale.Linear);
        var byN = points.GroupBy(p => p.N).OrderBy(g => g.Key).ToList();
        double dMin = points.Min(p => p.D), dMax = points.Max(p => p.D);
        var ds = Enumerable.Range(0, 40).Select(i => dMin * Math.Pow(dMax / dMin, i / 39.0)).ToArray();
        for (int gi = 0; gi < byN.Count; gi++)
        {
            var g = byN[gi];
            string color = Palette.Category(gi);
            chart.Scatter($"N = {SweepReport.F(g.Key)}", g.Select(p => p.D).ToArray(), g.Select(p => p.Loss).ToArray(), color);
            chart.Series.Add(new Series($"fit N = {SweepReport.F(g.Key)}", ds, ds.Select(d => law.Loss(g.Key, d)).ToArray())
                             { Color = color, Dashed = true, InLegend = false });
        }
        chart.RefLines.Add(new RefLine(h, false, $"exact entropy rate H = {F4(h)}"));
        chart.RefLines.Add(new RefLine(law.E, false, $"fitted E = {F4(law.E)}") { Color = "#c0392b" });
        chart.Save(Path.Combine(ctx.OutDir, "loss-vs-data.svg"));
        figures.Add(new FigureRef("loss-vs-data.svg", "Final validation loss against training tokens per model size, the fitted Chinchilla law, the fitted E and the exact H"));

        var chartN = new Chart("Loss above the entropy rate against model size", "non-embedding parameters N",
                               "loss − H (nats/token)", AxisScale.Log, AxisScale.Log);
        var byD = points.GroupBy(p => p.D).OrderBy(g => g.Key).ToList();
        for (int gi = 0; gi < byD.Count; gi++)
        {
            var g = byD[gi].OrderBy(p => p.N).ToList();
            chartN.Line($"D = {SweepReport.F(g[0].D)}", g.Select(p => p.N).ToArray(), g.Select(p => Math.Max(1e-4, p.Loss - h)).ToArray(), Palette.Category(gi));
        }
        chartN.Save(Path.Combine(ctx.OutDir, "excess-vs-n.svg"));
        figures.Add(new FigureRef("excess-vs-n.svg", "Loss above the exact entropy rate against N, one line per data size (log–log: a power law is a straight line)"));

        return new ExperimentFindings
        {
            Verdict = verdict,
            Summary = summary,
            TableHead = ["run", "N", "D", "val loss", "fitted", "loss − H"],
            TableRows = rows,
            Figures = figures,
        };
    }
}
