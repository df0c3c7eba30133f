using Spectre.Console;

namespace ScalingLab.Cli.Commands;

/// <summary>Runs a sweep's pending runs with local worker processes and shows the progress (`sweep run`, `demo`, `reproduce`).</summary>
internal static class SweepLocalRun
{
    /// <summary>How a worker process is started: this same program with `sweep work`.</summary>
    internal static Func<string, string, ProcessStartInfo> WorkerCommand { get; set; } = (registry, sweep) =>
    {
        string cli = typeof(CliApp).Assembly.Location;
        string? host = Environment.ProcessPath;
        var psi = host is not null && Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? new ProcessStartInfo(host) : new ProcessStartInfo("dotnet");
        psi.ArgumentList.Add(cli);
        foreach (var a in new[] { "sweep", "work", "--registry", registry, "--sweep", sweep }) psi.ArgumentList.Add(a);
        return psi;
    };

    /// <summary>Trains every pending run of <paramref name="folder"/> with <paramref name="workers"/> local processes; false when a run failed.</summary>
    internal static bool Run(SweepFolder folder, int workers, TextWriter output, TextWriter error, CancellationToken cancel)
    {
        var runner = new LocalRunner(folder, workers, () => WorkerCommand(folder.Registry, folder.Name));
        var clock = Stopwatch.StartNew();
        bool live = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        error.WriteLine($"sweep {folder.Name}: {workers} local workers; logs in {Path.Combine(folder.Dir, "logs")}");
        if (!live)
        {
            string last = "";
            var lastPrint = Stopwatch.StartNew();
            return runner.Run(runs =>
            {
                string line = ProgressLine(runs, clock.Elapsed);
                string key = string.Join(',', runs.Select(r => r.State));
                if (key != last || lastPrint.Elapsed > TimeSpan.FromSeconds(10))
                {
                    error.WriteLine(line);
                    last = key;
                    lastPrint.Restart();
                }
            }, cancel);
        }
        bool ok = false;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var overall = ctx.AddTask($"[bold]{Markup.Escape(folder.Name)}[/]");
                var bars = new Dictionary<long, ProgressTask>();
                ok = runner.Run(runs =>
                {
                    double work = runs.Sum(r => (double)r.Config.DataTokens);
                    double doneWork = runs.Sum(r => r.State == RunState.Done ? r.Config.DataTokens
                        : r.State == RunState.Running && Progress(r) is { } p ? r.Config.DataTokens * (double)p.Step / Math.Max(1, p.Steps) : 0);
                    overall.MaxValue = Math.Max(1, work);
                    overall.Value = doneWork;
                    overall.Description = $"[bold]{Markup.Escape(folder.Name)}[/] {runs.Count(r => r.State == RunState.Done)}/{runs.Count} done";
                    foreach (var r in runs.Where(r => r.State == RunState.Running))
                    {
                        if (!bars.TryGetValue(r.Id, out var bar)) bars[r.Id] = bar = ctx.AddTask(Markup.Escape(r.Name));
                        if (Progress(r) is { } p)
                        {
                            bar.MaxValue = Math.Max(1, p.Steps);
                            bar.Value = p.Step;
                            bar.Description = $"{Markup.Escape(r.Name)} loss {p.TrainLoss:0.000}";
                        }
                    }
                    foreach (var (id, bar) in bars)
                        if (runs.FirstOrDefault(r => r.Id == id) is { State: not RunState.Running } r2)
                        {
                            if (r2.State == RunState.Done) bar.Value = bar.MaxValue;
                            bar.StopTask();
                        }
                }, cancel);
            });
        return ok;
    }

    private static RunProgress? Progress(RunRecord r)
    {
        if (r.ProgressJson is null) return null;
        try { return JsonSerializer.Deserialize<RunProgress>(r.ProgressJson); }
        catch (JsonException) { return null; }
    }

    /// <summary>One plain line of progress for logs and non-terminals.</summary>
    internal static string ProgressLine(IReadOnlyList<RunRecord> runs, TimeSpan elapsed)
    {
        int done = runs.Count(r => r.State == RunState.Done), failed = runs.Count(r => r.State == RunState.Failed);
        var running = runs.Where(r => r.State == RunState.Running).Select(r =>
            Progress(r) is { } p ? $"{r.Name} {p.Step}/{p.Steps} loss {p.TrainLoss:0.000}" : $"{r.Name} starting");
        double total = runs.Sum(r => (double)r.Config.DataTokens);
        double doneTokens = runs.Where(r => r.State == RunState.Done).Sum(r => (double)r.Config.DataTokens);
        string eta = doneTokens > 0 && total > doneTokens
            ? $", ETA {TimeSpan.FromSeconds(elapsed.TotalSeconds * (total - doneTokens) / doneTokens):hh\\:mm\\:ss}" : "";
        return $"[{elapsed:hh\\:mm\\:ss}] {done}/{runs.Count} done{(failed > 0 ? $", {failed} failed" : "")}{eta}" +
               (running.Any() ? "; running: " + string.Join("; ", running) : "");
    }
}
