using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ScalingLab.Common;
using ScalingLab.Laws;
using ScalingLab.Reports;

namespace ScalingLab.Cli.Commands;

/// <summary>
/// `scalinglab fit`: fit a scaling law to runs from a CSV (Huber in log space, L-BFGS from a grid, Hoffmann et al.'s
/// Approach 3), with bootstrap intervals, compute-optimal allocation, Approaches 1 and 2, diagnostics and a plot.
/// </summary>
public static class FitCommand
{
    /// <summary>The `fit` verb.</summary>
    public static Command Create()
    {
        var csv = new Option<string>("--csv") { Description = "CSV of runs with a header row", Required = true };
        var nCol = new Option<string>("--n-column") { Description = "column of N (parameters)", DefaultValueFactory = _ => "N" };
        var dCol = new Option<string?>("--d-column") { Description = "column of D (training tokens); default \"D\", or D = C/(6N) when only --c-column is given" };
        var cCol = new Option<string?>("--c-column") { Description = "column of C (training FLOPs)" };
        var lossCol = new Option<string>("--loss-column") { Description = "column of the final loss (nats/token)", DefaultValueFactory = _ => "loss" };
        var nameCol = new Option<string?>("--name-column") { Description = "column naming each run (optional)" };
        var drop = new Option<int>("--drop-highest") { Description = "drop the K highest-loss runs first (outliers)", DefaultValueFactory = _ => 0 };
        var form = new Option<string>("--form")
        {
            Description = "law to fit: " + string.Join(", ", LawCatalog.Forms.Where(f => f.Name is not ("kaplan-ns" or "data-constrained")).Select(f => f.Name)),
            DefaultValueFactory = _ => "chinchilla",
        };
        var boot = new Option<int>("--bootstrap") { Description = "bootstrap resamples over runs (0 = none)", DefaultValueFactory = _ => 1000 };
        var seed = new Option<ulong>("--seed") { Description = "bootstrap seed", DefaultValueFactory = _ => 0UL };
        var threads = new Option<int>("--threads") { Description = "worker threads (0 = all cores); results do not depend on it", DefaultValueFactory = _ => 0 };
        var budgets = new Option<string>("--budgets") { Description = "compute budgets (FLOPs) for N_opt, D_opt, comma-separated", DefaultValueFactory = _ => "1e21,1e23,1e25" };
        var delta = new Option<double>("--delta") { Description = "Huber δ on log-loss residuals", DefaultValueFactory = _ => 1e-3 };
        var maxIter = new Option<int>("--max-iterations") { Description = "L-BFGS iteration limit per start", DefaultValueFactory = _ => 1000 };
        var allow = new Option<bool>("--allow-unconverged") { Description = "exit 0 even when the best fit did not converge" };
        var json = new Option<bool>("--json") { Description = "print one JSON object (top-level E, A, B, alpha, beta, objective, ...)" };
        var plot = new Option<string?>("--plot") { Description = "write an SVG of runs vs the fitted law (loss vs N, loss vs D, IsoFLOP)" };
        var cmd = new Command("fit",
            "Fit a scaling law to runs (N, D, loss): Huber loss (δ = 1e-3) on log residuals through log-sum-exp,\n" +
            "L-BFGS from every point of an initial grid, best kept (Hoffmann et al. 2022, Approach 3). Prints the\n" +
            "parameters with bootstrap 95% intervals, N_opt/D_opt at compute budgets, Approaches 1 and 2 when the runs\n" +
            "allow, R² and the held-out-largest-run error. Forms: " + string.Join(", ", LawCatalog.Forms.Select(f => f.Name)) + ".\n\n" +
            "Examples:\n" +
            "  scalinglab fit --csv runs.csv --n-column N --d-column D --loss-column loss\n" +
            "  scalinglab fit --csv ../shared/data/chinchilla/svg_extracted_data.csv --n-column \"Model Size\" \\\n" +
            "      --c-column \"Training FLOP\" --loss-column loss --drop-highest 5 --form chinchilla --bootstrap 200\n" +
            "  scalinglab fit --csv runs.csv --form kaplan-nd --bootstrap 0 --json --plot fit.svg");
        foreach (var o in new Option[] { csv, nCol, dCol, cCol, lossCol, nameCol, drop, form, boot, seed, threads, budgets, delta, maxIter, allow, json, plot })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var err = parse.InvocationConfiguration.Error;
            var output = parse.InvocationConfiguration.Output;
            var fitForm = FitForm.ByName(parse.GetValue(form)!);
            int resamples = parse.GetValue(boot);
            if (resamples < 0) throw new UserError($"--bootstrap must be ≥ 0 (got {resamples})");
            double d = parse.GetValue(delta);
            if (!(d > 0)) throw new UserError($"--delta must be > 0 (got {d})");
            var budgetList = ParseBudgets(parse.GetValue(budgets)!);
            string? cName = parse.GetValue(cCol);
            string? dName = parse.GetValue(dCol) ?? (cName is null ? "D" : null);
            var cols = new CsvColumns(parse.GetValue(nCol)!, dName, cName, parse.GetValue(lossCol)!, parse.GetValue(nameCol));
            var points = PointsCsv.DropHighest(PointsCsv.Read(parse.GetValue(csv)!, cols), parse.GetValue(drop));
            HuberFit.CheckCount(fitForm, points.Count);
            int iters = parse.GetValue(maxIter);
            if (iters < 1) throw new UserError($"--max-iterations must be ≥ 1 (got {iters})");
            var options = new FitOptions { Delta = d, Threads = parse.GetValue(threads), MaxIterations = iters };

            var grid = options.Grid ?? fitForm.DefaultGrid;
            int starts = grid.Aggregate(1, (n, g) => n * g.Length);
            err.WriteLine($"fit: {fitForm.Name} on {points.Count} runs from {starts} starts ...");
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var fit = HuberFit.Fit(fitForm, points, options);
            double fitSeconds = sw.Elapsed.TotalSeconds;
            var diag = FitDiagnostics.Compute(fitForm, points, fit, options);

            Bootstrap.Derive? derive = fit.Law is ChinchillaLaw ? law => Derived((ChinchillaLaw)law, budgetList) : null;
            BootstrapResult? bs = null;
            if (resamples > 0)
            {
                int last = 0;
                bs = Bootstrap.Run(fitForm, points, fit, resamples, parse.GetValue(seed), options, derive,
                    progress: done =>
                    {
                        int tenth = done * 10 / resamples;
                        if (tenth > Volatile.Read(ref last)) { Volatile.Write(ref last, tenth); lock (err) err.WriteLine($"bootstrap: {done}/{resamples}"); }
                    });
            }
            var a1 = ComputeOptimal.LowerEnvelope(points);
            var a2 = ComputeOptimal.IsoFlop(points);
            var a3 = fit.Law is ChinchillaLaw cl ? ComputeOptimal.FromChinchilla(cl) : null;

            if (parse.GetValue(json))
                output.WriteLine(ToJson(fit, diag, bs, derive, budgetList, points, a1, a2, a3, fitSeconds, parse.GetValue(seed)));
            else
                WriteTable(output, fit, diag, bs, derive, budgetList, points, a1, a2, a3, fitSeconds);

            if (parse.GetValue(plot) is { } svg)
            {
                FitPlot.Save(svg, points, fit.Law, fitForm.Name);
                err.WriteLine($"fit: wrote {svg}");
            }
            if (!fit.Converged && !parse.GetValue(allow))
                throw new UserError($"the best fit did not converge (L-BFGS stopped: {fit.Stop}); rerun with --allow-unconverged to accept it", 3);
            return 0;
        });
        return cmd;
    }

    private static double[] ParseBudgets(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var list = new List<double>();
        foreach (var p in parts)
        {
            if (!double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out double c) || !(c > 0) || !double.IsFinite(c))
                throw new UserError($"--budgets: '{p}' is not a positive number of FLOPs (e.g. 1e23)");
            list.Add(c);
        }
        return list.ToArray();
    }

    /// <summary>N_opt, D_opt and tokens per parameter at each budget (bootstrapped alongside the parameters).</summary>
    private static IEnumerable<(string, double)> Derived(ChinchillaLaw law, double[] budgets)
    {
        foreach (double c in budgets)
        {
            string k = c.ToString("0.##e0", CultureInfo.InvariantCulture);
            yield return ($"N_opt@{k}", law.OptimalN(c));
            yield return ($"D_opt@{k}", law.OptimalD(c));
            yield return ($"tokens_per_param@{k}", law.TokensPerParameter(c));
        }
    }

    private static string F(double v) => Ticks.Short(v);

    private static void WriteTable(TextWriter o, FitResult fit, FitDiagnostics diag, BootstrapResult? bs, Bootstrap.Derive? derive,
                                   double[] budgets, List<FitPoint> points, AllocationEstimate? a1, AllocationEstimate? a2,
                                   AllocationEstimate? a3, double seconds)
    {
        o.WriteLine($"form {fit.Form}: {points.Count} runs, objective {fit.Objective:0.########} (sum of Huber, δ on ln L)");
        o.WriteLine($"  best of {fit.Starts} starts ({fit.StartsConverged} converged), {(fit.Converged ? "converged" : "NOT converged")} ({fit.Stop}), {seconds:F2} s");
        if (fit.OutsideGrid.Length > 0)
            o.WriteLine($"  warning: {string.Join(", ", fit.OutsideGrid)} ended outside the initial grid: widen the grid or distrust the fit");
        string head = bs is null ? "" : $"   95% interval ({bs.Resamples} bootstrap resamples)";
        o.WriteLine();
        o.WriteLine($"  {"parameter",-24}{"estimate",14}{head}");
        var rows = fit.Law.Parameters.Select(kv => (kv.Key, kv.Value)).ToList();
        if (derive is not null) rows.AddRange(derive(fit.Law));
        foreach (var (name, value) in rows)
        {
            string ci = "";
            if (bs is not null && bs.Samples.ContainsKey(name))
            {
                var iv = bs.IntervalOf(name, value);
                ci = $"   [{F(iv.Lo)}, {F(iv.Hi)}]";
            }
            o.WriteLine($"  {name,-24}{F(value),14}{ci}");
        }
        o.WriteLine();
        o.WriteLine($"  R² (ln L) {diag.R2LogLoss:0.0000}, rms log residual {diag.RmsLogResidual:0.0000}");
        if (diag.HeldOutRun is not null)
            o.WriteLine($"  held-out largest-compute run ({diag.HeldOutRun}): predicted loss off by {diag.HeldOutRelativeError * 100:+0.00;-0.00}%");
        foreach (var a in new[] { a3, a2, a1 })
            if (a is not null)
                o.WriteLine($"  {a.Approach}: N_opt ∝ C^{a.A:0.000}, D_opt ∝ C^{a.B:0.000}" + (a.Points > 0 ? $" ({a.Points} {(a.Approach == "approach-2" ? "IsoFLOP budgets" : "envelope runs")})" : ""));
        int below = points.Count(p => p.D < KaplanND.OverfitTokenThreshold(p.N));
        o.WriteLine($"  Kaplan overfitting check: {below} of {points.Count} runs have D < 5e3·N^0.74 (δL ≳ 2% expected)");
        if (bs is not null && bs.Unconverged > 0) o.WriteLine($"  bootstrap: {bs.Unconverged} refits did not converge");
    }

    private static string ToJson(FitResult fit, FitDiagnostics diag, BootstrapResult? bs, Bootstrap.Derive? derive, double[] budgets,
                                 List<FitPoint> points, AllocationEstimate? a1, AllocationEstimate? a2, AllocationEstimate? a3,
                                 double seconds, ulong seed)
    {
        var root = new Dictionary<string, object?>();
        root["form"] = fit.Form;
        foreach (var (k, v) in fit.Law.Parameters) root[k] = v;
        root["objective"] = fit.Objective;
        root["objective_normalisation"] = "sum over runs of Huber_delta(ln L_hat - ln L)";
        root["converged"] = fit.Converged;
        root["stop"] = fit.Stop.ToString();
        root["starts"] = fit.Starts;
        root["starts_converged"] = fit.StartsConverged;
        root["outside_grid"] = fit.OutsideGrid;
        root["theta"] = fit.Theta;
        root["fit_seconds"] = seconds;
        root["runs"] = points.Count;
        root["r2_log_loss"] = diag.R2LogLoss;
        root["rms_log_residual"] = diag.RmsLogResidual;
        root["held_out"] = diag.HeldOutRun is null ? null : new Dictionary<string, object?> { ["run"] = diag.HeldOutRun, ["relative_error"] = diag.HeldOutRelativeError };
        var rows = fit.Law.Parameters.Select(kv => (kv.Key, kv.Value)).ToList();
        if (derive is not null) rows.AddRange(derive(fit.Law));
        root["intervals"] = bs is null ? null : rows.Where(r => bs.Samples.ContainsKey(r.Key)).ToDictionary(r => r.Key, r =>
        {
            var iv = bs.IntervalOf(r.Key, r.Value);
            return new Dictionary<string, double> { ["estimate"] = iv.Estimate, ["lo"] = iv.Lo, ["hi"] = iv.Hi };
        });
        root["bootstrap"] = bs is null ? null : new Dictionary<string, object?>
        {
            ["resamples"] = bs.Resamples, ["seed"] = seed, ["level"] = 0.95, ["unconverged"] = bs.Unconverged, ["seconds"] = bs.Seconds,
            ["method"] = "resample runs with replacement; refit from the full-data optimum and the 7 best full-grid starts",
        };
        if (fit.Law is ChinchillaLaw law)
            root["allocation"] = budgets.Select(c => new Dictionary<string, double>
            {
                ["compute"] = c, ["n_opt"] = law.OptimalN(c), ["d_opt"] = law.OptimalD(c), ["tokens_per_param"] = law.TokensPerParameter(c),
            }).ToList();
        Dictionary<string, double>? A(AllocationEstimate? a) => a is null ? null : new() { ["n_exponent"] = a.A, ["d_exponent"] = a.B, ["points"] = a.Points };
        root["approach1"] = A(a1);
        root["approach2"] = A(a2);
        root["approach3"] = A(a3);
        root["points"] = points.Select((p, i) => new Dictionary<string, object?>
        {
            ["name"] = p.Name, ["N"] = p.N, ["D"] = p.D, ["C"] = p.Compute, ["loss"] = p.Loss, ["predicted"] = diag.Predicted[i],
            ["log_residual"] = diag.LogResiduals[i], ["kaplan_token_threshold"] = KaplanND.OverfitTokenThreshold(p.N),
            ["kaplan_delta_l"] = new KaplanND().OverfitPenalty(p.N, p.D), // eq. 4.3 with Kaplan's published constants
        }).ToList();
        return JsonSerializer.Serialize(root, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
    }
}
