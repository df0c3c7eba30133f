using ScalingLab.Experiments;

namespace ScalingLab.Cli.Commands;

/// <summary>
/// `scalinglab reproduce LIST|NAME|all`: runs experiments of the registry (Experiments/ExperimentRegistry), each a
/// built-in sweep with a pre-registered verdict, and writes results.md.
/// </summary>
public static class ReproduceCommand
{
    /// <summary>The `reproduce` verb.</summary>
    public static Command Create()
    {
        var names = new Argument<string>("EXPERIMENTS") { Description = "An experiment name, a comma-separated list, or all" };
        var quick = new Option<bool>("--quick") { Description = "CI size (each under 2 minutes on 2 cores)" };
        var output = SharedOptions.Out("Output folder (sweeps, figures, results)", "reproduce");
        var scale = new Option<double>("--scale") { Description = "Multiply model sizes (parameters) and data sizes by K", DefaultValueFactory = _ => 1.0 };
        var workers = SharedOptions.Workers("Local worker processes (default: the number of cores)");
        var results = new Option<string?>("--results") { Description = "Where to write the results document (default: OUT/results.md)" };
        return Verb.Create("reproduce",
            "Run papers' headline experiments at CPU scale: each trains a built-in sweep (resumable; finished runs are\n" +
            "reused), analyses it, and applies a verdict rule fixed in code before the run (reproduced / not reproduced at\n" +
            "this scale / contradicted), printed with the measured figures beside the paper's. Experiments: " +
            string.Join(", ", ExperimentRegistry.All.Select(e => e.Name)) + Verb.Help(".",
            "scalinglab reproduce all --quick",
            "scalinglab reproduce known-entropy-law --out runs/reproduce",
            "scalinglab reproduce all --out runs/reproduce --results docs/results.md",
            "scalinglab reproduce known-entropy-law --scale 4     # 4× the parameters and tokens"),
            [names, quick, output, scale, workers, results], (pr, cancel) =>
        {
            var stdout = pr.InvocationConfiguration.Output;
            var stderr = pr.InvocationConfiguration.Error;
            var list = ExperimentRegistry.Resolve(pr.GetValue(names)!);
            double k = pr.GetValue(scale);
            if (!(k > 0) || double.IsInfinity(k)) throw new UserError($"reproduce: --scale must be a positive number (got {k})");
            int n = SharedOptions.WorkerCount(pr, workers, "reproduce");
            string outDir = Path.GetFullPath(pr.GetValue(output)!);
            var opts = new ReproduceOptions(outDir, pr.GetValue(quick), k, "scalinglab " + string.Join(' ', pr.Tokens.Select(t => t.Value)));
            var host = new SweepHost((d, dir) => SweepData.Generate(d, dir, line => stderr.WriteLine($"data: {line}")),
                                     (folder, c) => SweepLocalRun.Run(folder, n, stdout, stderr, c));
            var failed = new List<string>();
            foreach (var e in list)
            {
                ExperimentResult r;
                try
                {
                    r = ExperimentRunner.Run(e, opts, host, stderr, cancel);
                }
                catch (UserError err) when (list.Count > 1)
                {
                    // One experiment's problem (missing data, a failed run) does not stop the others.
                    stderr.WriteLine($"scalinglab: {err.Message}");
                    failed.Add(e.Name);
                    continue;
                }
                stdout.WriteLine($"{e.Name}: {r.Verdict.Line}");
                foreach (string line in r.Summary) stdout.WriteLine($"{e.Name}: {line}");
                stdout.WriteLine($"{e.Name}: {r.Runs} runs, {(r.WallSeconds / 60).ToString("0.0", CultureInfo.InvariantCulture)} min " +
                                 $"(training {(r.TrainSeconds / 60).ToString("0.0", CultureInfo.InvariantCulture)} min); {r.Dir}");
            }
            string doc = ResultsDocument.Write(pr.GetValue(results) ?? Path.Combine(outDir, "results.md"), ResultsDocument.Collect(outDir));
            stdout.WriteLine($"reproduce: results: {doc}");
            if (failed.Count > 0) throw new UserError($"reproduce: {string.Join(", ", failed)} did not finish (see the errors above); run the same command again to resume");
            return 0;
        });
    }
}
