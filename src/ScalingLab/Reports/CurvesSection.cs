using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ScalingLab.Common;
using ScalingLab.Laws;

namespace ScalingLab.Reports;

/// <summary>What the learning-curve section found: the noise scale per run and the L(N, S_min) fit (null when not fitted).</summary>
public sealed record CurvesFindings(string Grid, NoiseScaleResult NoiseScale, LearningCurveResult? LearningCurves);

/// <summary>
/// The report's "Learning curves and critical batch" section, over the runs of the law grid (<see cref="ReportContext.LawGrid"/>):
/// the gradient noise scale B_simple measured during training, B_crit(L) per run (table and figure) and Kaplan's
/// B_crit(L) = B_*/L^(1/α_B) across runs (<see cref="NoiseScaleAnalysis"/>); then Kaplan's L(N, S_min) fitted to the
/// training-loss curves with S_min from the measured B_crit (<see cref="LearningCurveAnalysis"/>). Kaplan's published
/// values beside ours, with what Kaplan measured. Runs trained without gradient accumulation logged no grad_norm_micro:
/// the section says so and how to enable it.
/// </summary>
public static class CurvesSection
{
    /// <summary>The section's heading.</summary>
    public const string Title = "Learning curves and critical batch";

    /// <summary>Builds the section; <paramref name="findings"/> is the typed result (null when the grid had no runs).</summary>
    public static ReportSection Build(ReportContext ctx, out CurvesFindings? findings)
    {
        findings = null;
        var s = new ReportSection("curves", Title);
        var grid = ctx.LawGrid();
        if (grid is null) return s.Text("No run has finished yet.");
        var runs = grid.OrderBy(r => r.N).ThenBy(r => r.Config.DataTokens).ToList();
        var noiseRuns = runs.Select(r => NoiseScaleRun.From(r.Config.Name, r.N, r.Config.Train, r.Config.Steps, r.Curve)
                                         ?? new NoiseScaleRun(r.Config.Name, r.N, double.NaN, double.NaN, 0, [])).ToList();
        var noise = NoiseScaleAnalysis.Run(new NoiseScaleOptions { Runs = noiseRuns, Seed = 1 });
        string dir = Path.Combine(ctx.AnalysisDir, "curves");
        Directory.CreateDirectory(dir);
        var written = new List<string>();
        void Write(string name, string json)
        {
            AtomicFile.WriteAllText(Path.Combine(dir, name), json);
            written.Add(Path.Combine(dir, name));
        }
        Write("noise-scale.json", JsonSerializer.Serialize(noise, Json));

        s.Text("Gradient noise scale (McCandlish et al. 2018): with gradient accumulation the trainer logs the gradient norm of the " +
               "first micro-batch (grad_norm_micro, B_small = batch × seq tokens) beside the whole batch's (grad_norm, B_big = B_small × accum). " +
               "E|G_B|² = |G|² + tr(Σ)/B gives unbiased estimates of |G|² and tr(Σ) from each step; averaged over a stretch of training they give " +
               "B_simple = tr(Σ)/|G|², in tokens, McCandlish's estimate of the critical batch B_crit. Each run's steps after warmup are cut into up to " +
               "6 stretches log-spaced in steps (at least 16 steps each); a stretch gives one point (mean training loss, B_simple) of B_crit(L).");
        if (noise.Runs.Count == 0)
        {
            s.Text($"The runs of grid '{grid.Key}' did not log grad_norm_micro: they were trained without gradient accumulation, so there is one " +
                   "batch size per step and no noise scale. To measure it, train with train.accum: 2 in the sweep spec (--accum 2 on " +
                   "`scalinglab train`), halving train.batch to keep the tokens per step.");
        }
        else
        {
            if (noise.NotLogged.Count > 0)
                s.Text($"Runs without grad_norm_micro (no gradient accumulation; train.accum: 2 enables it): {string.Join(", ", noise.NotLogged)}.");
            s.Table(["run", "N", "B_small / B_big (tokens)", "steps used", "B_simple over the run (tokens)", "B_crit(L) per stretch: loss → tokens"],
                    noise.Runs.Select(r => new[]
                    {
                        r.Run, SweepReport.F(r.N), FormattableString.Invariant($"{r.SmallBatchTokens:0} / {r.BigBatchTokens:0}"), r.Steps.ToString(CultureInfo.InvariantCulture),
                        Tokens(r.BSimpleTokens),
                        string.Join("; ", r.Bins.Select(b => FormattableString.Invariant($"{b.Loss:0.000} → {Tokens(b.BSimpleTokens)}"))),
                    }).ToList());
            s.Text("A stretch whose mean |G|² estimate is not positive (the gradient below the noise) has no B_simple (shown as -).");
            DescribeLaw(s, noise);
            var chart = CriticalBatchChart(noise);
            if (chart.Series.Count > 0)
                s.Figure("curves-bcrit.svg", chart.ToSvg(),
                         "B_crit(L) per run: B_simple per stretch of training against its mean training loss; the fitted B_*/L^(1/α_B) " +
                         "and Kaplan's published law over the same losses.");
        }

        var curveRuns = runs.Select(r => new LearningCurveRun(r.Config.Name, r.N, r.Config.Train.TokensPerStep, r.Config.Train.WarmupSteps(r.Config.Steps),
                r.Curve.Where(m => m.TrainEvalLoss is double l && double.IsFinite(l) && m.Step > 0).Select(m => (m.Step, m.TrainEvalLoss!.Value)).ToList(),
                noise.BinsOf(r.Config.Name)))
            .Where(r => r.Curve.Count > 0).ToList();
        LearningCurveResult? lc = null;
        if (curveRuns.Select(r => r.N).Distinct().Count() < 2)
            s.Text($"L(N, S_min) is not fitted: it needs learning curves of at least 2 model sizes; grid '{grid.Key}' has {curveRuns.Select(r => r.N).Distinct().Count()}.");
        else
        {
            try
            {
                lc = LearningCurveAnalysis.Run(new LearningCurveOptions
                {
                    Runs = curveRuns, Bootstrap = ctx.Options.Bootstrap, Seed = 1, Fit = new FitOptions { Threads = ctx.Threads },
                });
            }
            catch (UserError e)
            {
                // Too few points, say: the noise-scale part above stands on its own.
                s.Text($"L(N, S_min) is not fitted: {e.Message}.");
            }
        }
        if (lc is not null)
        {
            Write("learning-curves.json", lc.ToJson());
            DescribeLearningCurves(s, lc);
            if (lc.NonMonotoneRuns.Count > 0)
            {
                // Where eq. 5.4 makes S_min fall, the same curves with McCandlish's relation summed step by step, beside it.
                var integrated = LearningCurveAnalysis.Run(new LearningCurveOptions
                {
                    Runs = curveRuns, Bootstrap = 0, Rule = MinStepsRule.Integrated, Fit = new FitOptions { Threads = ctx.Threads },
                });
                Write("learning-curves-integrated.json", integrated.ToJson());
                s.Text("The same curves with S_min = the sum over steps of 1/(1 + B_crit(L)/B) (McCandlish et al.'s relation applied step by step; " +
                       "equal to eq. 5.4 when B_crit is constant, and never falling as S grows), fitted the same way (no bootstrap):");
                s.Table(["S_min rule", .. lc.Parameters.Select(p => p.Name), "R² of log loss"],
                        new[] { lc, integrated }.Select(r => (string[])[
                            r.Rule == MinStepsRule.Kaplan ? "Kaplan eq. 5.4" : "summed step by step",
                            .. r.Parameters.Select(p => G(p.Estimate) + (p.Identified ? "" : " (not identified)")),
                            r.R2LogLoss.ToString("0.000", CultureInfo.InvariantCulture)]).ToList());
            }
            s.Figure("curves-lns.svg", LearningCurveChart(lc).ToSvg(),
                     "Training loss against S_min per run (points) and the fitted L(N, S_min) at each run's N (lines).");
        }
        findings = new CurvesFindings(grid.Key, noise, lc);
        s.Text($"The typed results (Laws.NoiseScaleAnalysis, Laws.LearningCurveAnalysis): {string.Join(", ", written.Select(f => Path.GetRelativePath(ctx.Folder.Dir, f)))}.");
        if (noise.Fit is { } f)
            ctx.Findings.Add($"B_crit(L) over {f.Runs} runs: {f.Points} stretches, B_simple from {Tokens(noise.Runs.SelectMany(r => r.Bins).Where(b => double.IsFinite(b.BSimpleTokens)).Min(b => b.BSimpleTokens))} " +
                             $"to {Tokens(noise.Runs.SelectMany(r => r.Bins).Where(b => double.IsFinite(b.BSimpleTokens)).Max(b => b.BSimpleTokens))} tokens; " +
                             (f.Identified ? $"alpha_B = {G(f.AlphaB)}, B_* = {G(f.BStar)} tokens" : "Kaplan's B_crit(L) law is not identified") + " (Kaplan: 0.21, 2e8)");
        if (lc is not null)
            ctx.Findings.Add($"L(N, S_min) over {lc.Runs} runs: " + string.Join(", ", lc.Parameters.Select(p => $"{p.Name} = {G(p.Estimate)}{(p.Identified ? "" : " (not identified)")}")) +
                             $"; R² of log loss {lc.R2LogLoss:0.000} (Kaplan: alpha_S 0.76, S_c 2.1e3)");
        return s;
    }

    private static void DescribeLaw(ReportSection s, NoiseScaleResult noise)
    {
        if (noise.Fit is not { } f)
        {
            s.Text("Kaplan's B_crit(L) = B_*/L^(1/α_B) is not fitted: fewer than 3 stretches with a B_simple.");
            return;
        }
        s.Text($"Kaplan's B_crit(L) = B_*/L^(1/α_B) (eq. 1.4), fitted across runs as a straight line in log-log over {f.Points} stretches of " +
               $"{f.Runs} runs (R² of ln B_crit {f.R2:0.000}); intervals from {f.Resamples} resamples of whole runs. The rule, fixed before the fit:");
        s.Table(["check", "measured", "passed"], f.Checks.Select(c => new[] { c.Rule, c.Measured, c.Passed ? "yes" : "NO" }).ToList());
        string Iv(IntervalRange? iv) => iv is null ? "-" : $"[{G(iv.Lo)}, {G(iv.Hi)}]";
        s.Table(["quantity", "ours", "95% interval", "Kaplan et al. 2020"],
        [
            ["alpha_B", G(f.AlphaB), f.Identified ? Iv(f.AlphaBInterval) : "not identified", G(noise.PublishedAlphaB)],
            ["B_* (tokens)", G(f.BStar), f.Identified ? Iv(f.BStarInterval) : "not identified", G(noise.PublishedBStar)],
        ]);
        if (!f.Identified)
            s.Text($"Not identified: {string.Join("; ", f.Checks.Where(c => !c.Passed).Select(c => $"{c.Rule} (measured: {c.Measured})"))}. " +
                   "The numbers above describe these points; they are not a measurement of the law.");
        var losses = noise.Runs.SelectMany(r => r.Bins).Select(b => b.Loss).ToList();
        s.Text($"{noise.PaperNote} Evaluated at our losses ({G(losses.Min())}-{G(losses.Max())} nats/token), Kaplan's published law gives " +
               $"{Tokens(NoiseScaleResult.Published.CriticalBatch(losses.Max()))}-{Tokens(NoiseScaleResult.Published.CriticalBatch(losses.Min()))} tokens.");
    }

    private static void DescribeLearningCurves(ReportSection s, LearningCurveResult lc)
    {
        var ratio = lc.Points.Select(p => p.SMin / p.Step).ToList();
        s.Text($"Kaplan's learning-curve law L(N, S_min) = (N_c/N)^α_N + (S_c/S_min)^α_S (eq. 1.6 / 5.6), fitted to {lc.Points.Count} points of " +
               $"{lc.Runs} runs (the training loss on fixed training windows at each evaluation after warmup) by Huber loss on log residuals " +
               $"with L-BFGS from a grid of starts. {lc.Correction}; S_min/S ranges over {ratio.Min():0.###}-{ratio.Max():0.###} (1 = no correction; " +
               "far below 1 where the batch is far below B_crit)." +
               (lc.NonMonotoneRuns.Count == 0 ? "" :
                   $" In {lc.NonMonotoneRuns.Count} of {lc.Runs} runs S_min falls somewhere as S grows ({string.Join(", ", lc.NonMonotoneRuns)}): " +
                   "B_crit(L) grows faster than S there (B well below B_crit), a regime eq. 5.4, derived for a slowly changing B_crit, does not cover."));
        string boot = lc.Bootstrap is { } b
            ? $"95% interval ({b.Converged} of {b.Resamples} run resamples converged)"
            : "interval (no bootstrap: fewer than 3 runs)";
        var pub = lc.Published.ToDictionary(p => p.Name);
        s.Table(["parameter", "ours", boot, "Kaplan et al. 2020"],
                lc.Parameters.Select(p => new[] { p.Name, G(p.Estimate), p.IntervalText(G), G(pub[p.Name].Published) }).ToList());
        LawsSection.ProfileTable(s, lc.Profiles, lc.Objective);
        s.Text($"Identifiability: each parameter's objective profiled; flat (rise below {lc.ProfileTolerance:0.#%} of the minimum, 1.92/(runs − 4): " +
               "the 95% likelihood-ratio threshold counting each run once, as the points of one curve are not independent) up to an end of its range " +
               $"= not identified, and no interval. Converged: {(lc.Converged ? "yes" : "no")} ({lc.Stop}); R² of log loss {lc.R2LogLoss:0.0000}; " +
               $"RMS log residual {lc.RmsLogResidual:0.0000}.");
        s.Text(lc.PaperNote);
    }

    private static Chart CriticalBatchChart(NoiseScaleResult noise)
    {
        var chart = new Chart("Critical batch B_crit(L) measured during training", "training loss (nats/token)", "B_simple (tokens)",
                              AxisScale.Log, AxisScale.Log);
        for (int i = 0; i < noise.Runs.Count; i++)
        {
            var bins = noise.Runs[i].Bins.Where(b => double.IsFinite(b.BSimpleTokens) && b.BSimpleTokens > 0).OrderBy(b => b.Loss).ToList();
            if (bins.Count == 0) continue;
            chart.Scatter(noise.Runs[i].Run, bins.Select(b => b.Loss).ToArray(), bins.Select(b => b.BSimpleTokens).ToArray(), Palette.Category(i));
        }
        var all = noise.Runs.SelectMany(r => r.Bins).Where(b => double.IsFinite(b.BSimpleTokens) && b.BSimpleTokens > 0).ToList();
        if (all.Count == 0) return chart;
        double lo = all.Min(b => b.Loss), hi = all.Max(b => b.Loss);
        var x = Enumerable.Range(0, 21).Select(k => lo * Math.Pow(hi / lo, k / 20.0)).ToArray();
        if (noise.Fit is { } f && double.IsFinite(f.Slope))
            chart.Line(f.Identified ? "fit B_*/L^(1/α_B)" : "fit B_*/L^(1/α_B) (not identified)",
                       x, x.Select(l => f.BStar * Math.Pow(l, f.Slope)).ToArray(), "#000000", dashed: !f.Identified);
        chart.Line("Kaplan 2020 (WebText2, 1e6-1e9 params)", x, x.Select(l => NoiseScaleResult.Published.CriticalBatch(l)).ToArray(), "#888888", dashed: true);
        return chart;
    }

    private static Chart LearningCurveChart(LearningCurveResult lc)
    {
        var chart = new Chart("Learning curves against S_min, with the fitted L(N, S_min)", "S_min (steps)", "training loss (nats/token)",
                              AxisScale.Log, AxisScale.Log);
        var sizes = lc.Points.Select(p => p.N).Distinct().Order().ToList();
        foreach (var run in lc.Points.GroupBy(p => p.Run))
        {
            var pts = run.OrderBy(p => p.SMin).ToList();
            string color = Palette.Sequential(sizes.Count == 1 ? 0.8 : 0.1 + 0.8 * sizes.IndexOf(pts[0].N) / (sizes.Count - 1));
            chart.Scatter(run.Key, pts.Select(p => p.SMin).ToArray(), pts.Select(p => p.Loss).ToArray(), color);
        }
        double sLo = lc.Points.Min(p => p.SMin), sHi = lc.Points.Max(p => p.SMin);
        var x = Enumerable.Range(0, 31).Select(k => sLo * Math.Pow(sHi / sLo, k / 30.0)).ToArray();
        foreach (double n in sizes)
        {
            string color = Palette.Sequential(sizes.Count == 1 ? 0.8 : 0.1 + 0.8 * sizes.IndexOf(n) / (sizes.Count - 1));
            chart.Line($"fit, N = {SweepReport.F(n)}", x, x.Select(sm => lc.Law.Loss(new LawInput(N: n, S: sm))).ToArray(), color);
            chart.Series[^1] = chart.Series[^1] with { InLegend = false };
        }
        return chart;
    }

    private static string Tokens(double x) => double.IsFinite(x) ? SweepReport.F(x) : "-";

    private static string G(double x) => LawsFindings.G(x);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, WriteIndented = true,
    };
}
