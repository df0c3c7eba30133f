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
        var threads = SharedOptions.Threads("worker threads; results do not depend on it");
        var budgets = new Option<string>("--budgets") { Description = "compute budgets (FLOPs) for N_opt, D_opt, comma-separated", DefaultValueFactory = _ => "1e21,1e23,1e25" };
        var delta = new Option<double>("--delta") { Description = "Huber δ on log-loss residuals", DefaultValueFactory = _ => 1e-3 };
        var maxIter = new Option<int>("--max-iterations") { Description = "L-BFGS iteration limit per start", DefaultValueFactory = _ => 1000 };
        var allow = new Option<bool>("--allow-unconverged") { Description = "exit 0 even when the best fit did not converge" };
        var plot = new Option<string?>("--plot") { Description = "write an SVG of runs vs the fitted law (loss vs N, loss vs D, IsoFLOP)" };
        return Verb.Printing("fit",
            Verb.Help("Fit a scaling law to runs (N, D, loss): Huber loss (δ = 1e-3) on log residuals through log-sum-exp,\n" +
            "L-BFGS from every point of an initial grid, best kept (Hoffmann et al. 2022, Approach 3). Prints the\n" +
            "parameters with bootstrap 95% intervals, N_opt/D_opt at compute budgets, Approaches 1 and 2 when the runs\n" +
            "allow, R² and the held-out-largest-run error. Forms: " + string.Join(", ", LawCatalog.Forms.Select(f => f.Name)) + ".",
            "scalinglab fit --csv runs.csv --n-column N --d-column D --loss-column loss",
            "scalinglab fit --csv ../shared/data/chinchilla/svg_extracted_data.csv --n-column \"Model Size\" \\\n      --c-column \"Training FLOP\" --loss-column loss --drop-highest 5 --form chinchilla --bootstrap 200",
            "scalinglab fit --csv runs.csv --form kaplan-nd --bootstrap 0 --json --plot fit.svg"),
            [csv, nCol, dCol, cCol, lossCol, nameCol, drop, form, boot, seed, threads, budgets, delta, maxIter, allow, plot], parse =>
        {
            var err = parse.InvocationConfiguration.Error;
            var output = parse.InvocationConfiguration.Output;
            double d = parse.GetValue(delta);
            if (!(d > 0)) throw new UserError($"--delta must be > 0 (got {d})");
            int iters = parse.GetValue(maxIter);
            if (iters < 1) throw new UserError($"--max-iterations must be ≥ 1 (got {iters})");
            int resamples = parse.GetValue(boot);
            if (resamples < 0) throw new UserError($"--bootstrap must be ≥ 0 (got {resamples})");
            string? cName = parse.GetValue(cCol);
            string? dName = parse.GetValue(dCol) ?? (cName is null ? "D" : null);
            var cols = new CsvColumns(parse.GetValue(nCol)!, dName, cName, parse.GetValue(lossCol)!, parse.GetValue(nameCol));
            var points = PointsCsv.DropHighest(PointsCsv.Read(parse.GetValue(csv)!, cols), parse.GetValue(drop));
            var fitForm = FitForm.ByName(parse.GetValue(form)!);
            HuberFit.CheckCount(fitForm, points.Count);
            int last = 0;
            var options = new LawFitOptions
            {
                Points = points, Form = fitForm.Name, Bootstrap = resamples, Seed = parse.GetValue(seed),
                Budgets = ParseBudgets(parse.GetValue(budgets)!),
                Fit = new FitOptions { Delta = d, Threads = parse.GetValue(threads), MaxIterations = iters },
                Progress = done =>
                {
                    int tenth = done * 10 / resamples;
                    if (tenth > Volatile.Read(ref last)) { Volatile.Write(ref last, tenth); lock (err) err.WriteLine($"bootstrap: {done}/{resamples}"); }
                },
            };
            int starts = fitForm.DefaultGrid.Aggregate(1, (n, g) => n * g.Length);
            err.WriteLine($"fit: {fitForm.Name} on {points.Count} runs from {starts} starts ...");
            var result = LawFitAnalysis.Run(options);
            if (Verb.WantsJson(parse)) output.WriteLine(result.ToJson());
            else WriteTable(output, result);
            if (parse.GetValue(plot) is { } svg)
            {
                FitPlot.Save(svg, points, result.Law, fitForm.Name);
                err.WriteLine($"fit: wrote {svg}");
            }
            if (!result.Converged && !parse.GetValue(allow))
                throw new UserError($"the best fit did not converge (L-BFGS stopped: {result.Stop}); rerun with --allow-unconverged to accept it", 3);
            return 0;
        }, json: "parameters with identifiability and intervals, profiles, allocation, approaches, points");
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

    private static string F(double v) => Ticks.Short(v);

    /// <summary>The table: a parameter the profile shows flat gets "not identified" and its range, never an interval.</summary>
    private static void WriteTable(TextWriter o, LawFitResult r)
    {
        o.WriteLine($"form {r.Form}: {r.Runs} runs, objective {r.Objective:0.########} (sum of Huber, δ on ln L)");
        o.WriteLine($"  best of {r.Starts} starts ({r.StartsConverged} converged), {(r.Converged ? "converged" : "NOT converged")} ({r.Stop}), {r.FitSeconds:F2} s");
        if (r.OutsideGrid.Count > 0)
            o.WriteLine($"  warning: {string.Join(", ", r.OutsideGrid)} ended outside the initial grid: widen the grid or distrust the fit");
        string head = r.Bootstrap is null ? "" : $"   95% interval ({r.Bootstrap.Converged} of {r.Bootstrap.Resamples} bootstrap refits converged)";
        o.WriteLine();
        o.WriteLine($"  {"parameter",-24}{"estimate",14}{head}");
        foreach (var q in r.Parameters.Concat(r.Derived))
            o.WriteLine($"  {q.Name,-24}{F(q.Estimate),14}   {q.IntervalText(F)}");
        o.WriteLine();
        o.WriteLine($"  identifiability: objective profiles, each parameter fixed across a wide range and the others refitted; flat = " +
                    $"rises by less than {r.ProfileTolerance:0.#%} of the minimum objective, 1.92/(runs − parameters) ({(r.AllIdentified ? "every parameter identified" : "see \"not identified\" above")})");
        o.WriteLine($"  R² (ln L) {r.R2LogLoss:0.0000}, rms log residual {r.RmsLogResidual:0.0000}");
        if (r.HeldOut is not null)
            o.WriteLine($"  held-out largest-compute run ({r.HeldOut.Run}): predicted loss off by {r.HeldOut.RelativeError * 100:+0.00;-0.00}%");
        foreach (var a in r.Approaches)
            o.WriteLine($"  {a.Approach}: N_opt ∝ C^{a.NExponent:0.000}, D_opt ∝ C^{a.DExponent:0.000}" + (a.Points > 0 ? $" ({a.Points} {(a.Approach == "approach-2" ? "IsoFLOP budgets" : "envelope runs")})" : ""));
        o.WriteLine($"  Kaplan overfitting check: {r.KaplanOverfitRuns} of {r.Runs} runs have D < 5e3·N^0.74 (δL ≳ 2% expected)");
        if (r.Bootstrap is { Unconverged: > 0 } b) o.WriteLine($"  bootstrap: {b.Unconverged} refits did not converge and are left out of the intervals");
    }
}
