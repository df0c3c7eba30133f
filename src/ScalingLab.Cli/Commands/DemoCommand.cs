namespace ScalingLab.Cli.Commands;

/// <summary>
/// `scalinglab demo`: the end-to-end job on built-in data only. A known-entropy Zipf-facts corpus (so the fitted
/// irreducible loss E can be checked against the truth) trained on a grid of model sizes × data sizes, plus the
/// 6- and 10-layer Question-Formation models of Niu et al. §6.3 at reduced width; then the report with the law fit,
/// the memory analysis and the dynamics analysis.
/// </summary>
public static class DemoCommand
{
    /// <summary>The demo's sweep spec: about 4 model sizes × 3 data sizes plus the two QF models.</summary>
    internal const string FullSpec = """
        # The `scalinglab demo` sweep: a known-entropy corpus for the scaling grid, Question-Formation for the plateau.
        name: demo
        data: { generator: zipf, options: { keys: 4096, exponent: 1.3, symbols: 64, key_length: 2, value_length: 1, tokens: 1200k, val_tokens: 100k, seed: 7 } }
        model: { flavour: gpt2, head_size: 16 }
        train: { batch: 4, accum: 2, seq: 64, lr: 3e-3, eval_windows: 128, ckpt_log_until: 64 }
        axes:
          models: [2x32, 2x64, 2x128, 2x192]
          data_sizes: [100k, 300k, 1M]
          seeds: [1]
        threads_per_run: 1
        grids:
          - name: qf
            data: { generator: qf, options: { train: 20000, dev: 500, test: 500, gen: 500, seed: 3 } }
            model: { head_size: 16 }
            train: { batch: 16, accum: 1, seq: 32, lr: 1e-3 }
            axes: { models: [6x64, 10x64], data_sizes: [300k], seeds: [1] }
        """;

    /// <summary>The --quick sweep: the same shape, small enough for CI (under two minutes on two cores).</summary>
    internal const string QuickSpec = """
        # `scalinglab demo --quick`: the demo's shape at CI size.
        name: demo-quick
        data: { generator: zipf, options: { keys: 512, exponent: 1.3, symbols: 32, key_length: 2, value_length: 1, tokens: 200k, val_tokens: 20k, seed: 7 } }
        model: { flavour: gpt2, head_size: 8 }
        train: { batch: 4, accum: 2, seq: 32, lr: 3e-3, eval_windows: 8, ckpt_log_until: 16 }
        axes:
          models: [1x16, 2x16, 2x32]
          data_sizes: [8k, 24k]
          seeds: [1]
        threads_per_run: 1
        grids:
          - name: qf
            data: { generator: qf, options: { train: 2000, dev: 100, test: 100, gen: 100, seed: 3 } }
            train: { batch: 8, accum: 1, seq: 32, lr: 1e-3 }
            axes: { models: [6x16, 10x16], data_sizes: [16k], seeds: [1] }
        """;

    /// <summary>The `demo` verb.</summary>
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "A CI-sized demo (under 2 minutes on 2 cores)" };
        var output = SharedOptions.Out("Output folder", "scalinglab-demo");
        var workers = SharedOptions.Workers("Worker processes (default: the number of cores)");
        var noCheck = new Option<bool>("--no-render-check") { Description = "Skip rendering report.html with headless Chromium" };
        return Verb.Create("demo",
            Verb.Help("The end-to-end job on built-in data: generate a known-entropy Zipf-facts corpus and Question-Formation data, train a\n" +
            "grid of GPT-2-style models (4 sizes × 3 data sizes, plus the 6- and 10-layer QF models of Niu et al. at reduced\n" +
            "width), fit the scaling law, analyse memory and training dynamics, and write the report. Resumable: run it again\n" +
            "after an interruption. About 15 minutes on 2 cores; --quick takes under 2.",
            "scalinglab demo",
            "scalinglab demo --quick --out /tmp/demo"),
            [quick, output, workers, noCheck], (pr, cancel) =>
        {
            var stdout = pr.InvocationConfiguration.Output;
            var stderr = pr.InvocationConfiguration.Error;
            var clock = Stopwatch.StartNew();
            string root = Path.GetFullPath(pr.GetValue(output)!);
            Directory.CreateDirectory(root);
            bool isQuick = pr.GetValue(quick);
            string specPath = Path.Combine(root, isQuick ? "demo-quick.yaml" : "demo.yaml");
            AtomicFile.WriteAllText(specPath, isQuick ? QuickSpec : FullSpec);
            string sweepDir = Path.Combine(root, isQuick ? "sweep-quick" : "sweep");
            var (folder, added, total) = SweepCommand.SubmitSpec(specPath, sweepDir, null, stderr);
            SweepReport.RecordCommand(folder, ["demo", .. (isQuick ? new[] { "--quick" } : []), "--out", root]);
            stderr.WriteLine($"demo: {total} runs ({added} new) in {folder.Dir}");
            int n = SharedOptions.WorkerCount(pr, workers, "demo");
            bool ok = SweepLocalRun.Run(folder, n, stdout, stderr, cancel);
            var trained = clock.Elapsed;
            if (cancel.IsCancellationRequested) throw new OperationCanceledException();
            if (!ok) throw new UserError($"demo: some runs failed; see 'scalinglab sweep status {folder.Dir}' and {Path.Combine(folder.Dir, "logs")}");
            var report = SweepReportBuilder.Build(folder, new ReportOptions { OutDir = root, Bootstrap = isQuick ? 50 : 200 }, stderr);
            string html = report.HtmlPath;
            stdout.WriteLine($"demo: trained {total} runs in {trained.TotalMinutes.ToString("0.0", CultureInfo.InvariantCulture)} min " +
                             $"(data, sweep and workers); analyses and report took {(clock.Elapsed - trained).TotalMinutes.ToString("0.0", CultureInfo.InvariantCulture)} min");
            foreach (var line in report.Findings) stdout.WriteLine("demo: " + line);
            if (!pr.GetValue(noCheck) && RenderCheck.Chromium() is not null)
            {
                var titles = SweepReportBuilder.SectionTitles;
                var check = RenderCheck.Run(html, Path.Combine(root, "report.png"), titles);
                stdout.WriteLine($"demo: render check: {check}");
                if (!check.Ok) throw new UserError($"demo: report.html did not render as expected ({check})");
            }
            stdout.WriteLine($"demo: report: {html}");
            stdout.WriteLine($"demo: report: {Path.Combine(root, "report.md")}");
            stdout.WriteLine($"demo: done in {clock.Elapsed.TotalMinutes.ToString("0.0", CultureInfo.InvariantCulture)} min");
            return 0;
        });
    }
}
