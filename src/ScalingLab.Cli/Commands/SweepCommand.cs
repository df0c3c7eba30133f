using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScalingLab.Common;
using ScalingLab.Reports;
using ScalingLab.Sweeps;
using Spectre.Console;

namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab sweep`: submit a grid of runs to a registry, run it with local workers or Slurm, watch it.</summary>
public static class SweepCommand
{
    /// <summary>The training routine workers use; tests swap in a stand-in to exercise the machinery quickly.</summary>
    internal static TrainRun Trainer { get; set; } = SweepTraining.Train;

    /// <summary>The `sweep` verb and its sub-verbs.</summary>
    public static Command Create()
    {
        var sweep = new Command("sweep",
            "Train a grid of models (shapes × data sizes × seeds) from a spec, resumably, on local workers or a cluster.\n\n" +
            "A spec (YAML or JSON):\n" +
            "  name: tiny\n" +
            "  data: { generator: markov, options: { order: 2, vocab: 64, tokens: 2M } }   # or data: { dir: DATA_DIR }\n" +
            "  model: { flavour: gpt2, head_size: 32 }\n" +
            "  train: { batch: 8, seq: 64, lr: 1e-3, eval_windows: 16 }\n" +
            "  axes: { models: [2x64, 4x128], data_sizes: [200k, 0.5], seeds: [1] }\n" +
            "  threads_per_run: 1\n\n" +
            "Examples:\n" +
            "  scalinglab sweep run tiny.yaml --dir runs/tiny         # submit and train with local workers\n" +
            "  scalinglab sweep status runs/tiny                      # the table of runs\n" +
            "  scalinglab sweep run runs/tiny                         # after a crash or Ctrl-C: finishes the rest\n" +
            "  scalinglab sweep export runs/tiny --slurm --registry postgresql://host/db   # a Slurm job array");
        sweep.Subcommands.Add(Submit());
        sweep.Subcommands.Add(RunVerb());
        sweep.Subcommands.Add(Work());
        sweep.Subcommands.Add(Status());
        sweep.Subcommands.Add(Export());
        return sweep;
    }

    private static readonly Option<string?> DirOption = new("--dir") { Description = "Sweep folder (default: ./sweeps/NAME)" };
    private static readonly Option<string?> RegistryOption = new("--registry")
    { Description = "Registry: a SQLite file (default SWEEP/registry.db) or a PostgreSQL connection string (Host=...;Database=... or postgresql://...)" };
    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print one JSON object instead of the table" };

    private static Command Submit()
    {
        var spec = new Argument<string>("SPEC") { Description = "Sweep spec (YAML or JSON)" };
        var dir = Clone(DirOption);
        var registry = Clone(RegistryOption);
        var json = Clone(JsonOption);
        var cmd = new Command("submit",
            "Create the sweep folder, generate its data, and register its runs (again: only new configs are added).\n\n" +
            "Example:\n  scalinglab sweep submit tiny.yaml --dir runs/tiny");
        cmd.Arguments.Add(spec);
        cmd.Options.Add(dir);
        cmd.Options.Add(registry);
        cmd.Options.Add(json);
        cmd.SetAction(pr =>
        {
            var output = pr.InvocationConfiguration.Output;
            var (folder, added, total) = SubmitSpec(pr.GetValue(spec)!, pr.GetValue(dir), pr.GetValue(registry), pr.InvocationConfiguration.Error);
            SweepReport.RecordCommand(folder, pr.Tokens.Select(t => t.Value));
            if (pr.GetValue(json))
                output.WriteLine(new JsonObject { ["sweep"] = folder.Name, ["dir"] = folder.Dir, ["runs"] = total, ["added"] = added }.ToJsonString());
            else
                output.WriteLine($"sweep {folder.Name}: {total} runs ({added} new) in {folder.Dir}; registry {SweepFolder.Show(folder.Registry)}");
            return 0;
        });
        return cmd;
    }

    private static Command RunVerb()
    {
        var target = new Argument<string>("SPEC_OR_DIR") { Description = "A sweep spec to submit and run, or an existing sweep folder to finish" };
        var dir = Clone(DirOption);
        var registry = Clone(RegistryOption);
        var json = Clone(JsonOption);
        var workers = new Option<int>("--workers") { Description = "Worker processes (default: cores / threads per run)" };
        var retry = new Option<bool>("--retry-failed") { Description = "Put failed runs back in the queue first" };
        var cmd = new Command("run",
            "Submit (when given a spec) and train every pending run with local worker processes, showing live progress.\n" +
            "Interrupted (Ctrl-C, kill -9, a crash)? Run it again: finished runs stay done, the others resume from their\n" +
            "newest checkpoint.\n\n" +
            "Examples:\n  scalinglab sweep run tiny.yaml --dir runs/tiny --workers 2\n  scalinglab sweep run runs/tiny");
        cmd.Arguments.Add(target);
        cmd.Options.Add(dir);
        cmd.Options.Add(registry);
        cmd.Options.Add(workers);
        cmd.Options.Add(retry);
        cmd.Options.Add(json);
        cmd.SetAction((pr, cancel) =>
        {
            var output = pr.InvocationConfiguration.Output;
            var error = pr.InvocationConfiguration.Error;
            string t = pr.GetValue(target)!;
            SweepFolder folder = Directory.Exists(t) && File.Exists(Path.Combine(t, SweepFolder.FileName))
                ? SweepFolder.Open(t)
                : SubmitSpec(t, pr.GetValue(dir), pr.GetValue(registry), error).Folder;
            if (Directory.Exists(t)) SubmitFolder(folder, error); // the spec may have grown since
            SweepReport.RecordCommand(folder, pr.Tokens.Select(tok => tok.Value));
            if (pr.GetValue(retry))
            {
                using var reg = folder.OpenRegistry();
                reg.RetryFailed(folder.Name);
            }
            int threads = folder.LoadSpec().Grids.Max(g => g.ThreadsPerRun);
            int n = pr.GetValue(workers);
            if (n < 0) throw new UserError($"sweep run: --workers must be ≥ 1 (got {n})");
            if (n == 0) n = Math.Max(1, Environment.ProcessorCount / threads);
            bool ok = RunLocal(folder, n, output, error, cancel);
            PrintStatus(folder, output, pr.GetValue(json));
            return Task.FromResult(ok ? 0 : 1);
        });
        return cmd;
    }

    private static Command Work()
    {
        var registry = new Option<string>("--registry") { Description = "The registry to claim runs from (SQLite file or PostgreSQL connection string)", Required = true };
        var sweepName = new Option<string?>("--sweep") { Description = "Only runs of this sweep (default: any)" };
        var maxRuns = new Option<int>("--max-runs") { Description = "Stop after this many runs (default: until none is pending)", DefaultValueFactory = _ => int.MaxValue };
        var stale = new Option<double>("--stale") { Description = "Seconds without a heartbeat after which a running run is re-queued", DefaultValueFactory = _ => 60 };
        var heartbeat = new Option<double>("--heartbeat") { Description = "Seconds between heartbeats", DefaultValueFactory = _ => 2 };
        var tag = new Option<string?>("--worker-tag") { Description = "A label added to this worker's id (e.g. the Slurm task)" };
        var cmd = new Command("work",
            "One worker: claim a pending run, train it (resuming from its newest checkpoint), heartbeat, record the result;\n" +
            "repeat until no run is pending. Start as many as you like, on as many machines as share the registry.\n\n" +
            "Examples:\n  scalinglab sweep work --registry runs/tiny/registry.db\n" +
            "  scalinglab sweep work --registry 'Host=db;Database=sweeps;Username=me' --sweep tiny");
        cmd.Options.Add(registry);
        cmd.Options.Add(sweepName);
        cmd.Options.Add(maxRuns);
        cmd.Options.Add(stale);
        cmd.Options.Add(heartbeat);
        cmd.Options.Add(tag);
        cmd.SetAction((pr, cancel) =>
        {
            double st = pr.GetValue(stale), hb = pr.GetValue(heartbeat);
            if (!(hb > 0) || !(st > hb)) throw new UserError($"sweep work: need 0 < --heartbeat ({hb}) < --stale ({st})");
            string reg = pr.GetValue(registry)!;
            if (!RunRegistry.IsPostgres(reg) && !File.Exists(reg))
                throw new UserError($"sweep work: registry '{reg}' does not exist; submit the sweep first (scalinglab sweep submit)");
            var worker = new SweepWorker(reg, pr.GetValue(sweepName), WorkerId.ForThisProcess(pr.GetValue(tag)), Trainer)
            {
                Stale = TimeSpan.FromSeconds(st),
                HeartbeatEvery = TimeSpan.FromSeconds(hb),
            };
            int done = worker.Run(pr.InvocationConfiguration.Output, pr.GetValue(maxRuns), cancel);
            pr.InvocationConfiguration.Output.WriteLine($"worker {worker.Id}: {done} runs finished");
            return Task.FromResult(0);
        });
        return cmd;
    }

    private static Command Status()
    {
        var dir = new Argument<string>("SWEEP_DIR") { Description = "The sweep folder" };
        var json = Clone(JsonOption);
        var cmd = new Command("status", "The runs of a sweep: state, attempts, worker, losses.\n\nExample:\n  scalinglab sweep status runs/tiny --json");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(json);
        cmd.SetAction(pr =>
        {
            PrintStatus(SweepFolder.Open(pr.GetValue(dir)!), pr.InvocationConfiguration.Output, pr.GetValue(json));
            return 0;
        });
        return cmd;
    }

    private static Command Export()
    {
        var dir = new Argument<string>("SWEEP_DIR") { Description = "The sweep folder (on a file system every node sees)" };
        var slurm = new Option<bool>("--slurm") { Description = "Write a Slurm job-array script", Required = true };
        var registry = Clone(RegistryOption);
        var output = new Option<string?>("--out") { Description = "Script path (default SWEEP/slurm.sh)" };
        var tasks = new Option<int>("--tasks") { Description = "Array size = concurrent workers (default: the number of runs)" };
        var cpus = new Option<int>("--cpus-per-task") { Description = "CPUs per task (default: the spec's threads_per_run)" };
        var time = new Option<string>("--time") { Description = "Time limit per task", DefaultValueFactory = _ => "24:00:00" };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition" };
        var exe = new Option<string>("--scalinglab") { Description = "How the nodes run ScalingLab", DefaultValueFactory = _ => "scalinglab" };
        var cmd = new Command("export",
            "Write a Slurm job-array script whose tasks each run `scalinglab sweep work` against the shared registry.\n" +
            "Across machines use PostgreSQL: submit with --registry postgresql://..., then export.\n\n" +
            "Example:\n  scalinglab sweep export runs/tiny --slurm --tasks 8 --time 02:00:00");
        cmd.Arguments.Add(dir);
        foreach (var o in new Option[] { slurm, registry, output, tasks, cpus, time, partition, exe }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var folder = SweepFolder.Open(pr.GetValue(dir)!);
            string reg = pr.GetValue(registry) ?? folder.Registry;
            int runs;
            using (var r = folder.OpenRegistry()) runs = r.List(folder.Name).Count;
            if (runs == 0) throw new UserError($"sweep export: the sweep has no runs yet; submit first (scalinglab sweep submit SPEC --dir {folder.Dir})");
            if (reg != folder.Registry)
                pr.InvocationConfiguration.Error.WriteLine(
                    $"note: the tasks use {SweepFolder.Show(reg)}, not the sweep's registry; submit there first: " +
                    $"scalinglab sweep submit {folder.SpecPath} --dir {folder.Dir} --registry ...");
            int n = pr.GetValue(tasks);
            if (n < 0) throw new UserError($"sweep export: --tasks must be ≥ 1 (got {n})");
            int c = pr.GetValue(cpus);
            if (c < 0) throw new UserError($"sweep export: --cpus-per-task must be ≥ 1 (got {c})");
            if (c == 0) c = folder.LoadSpec().Grids.Max(g => g.ThreadsPerRun);
            string t = pr.GetValue(time)!;
            if (!System.Text.RegularExpressions.Regex.IsMatch(t, @"^(\d+-)?\d{1,3}(:\d{2}){0,2}$"))
                throw new UserError($"sweep export: --time '{t}' is not a Slurm time (e.g. 02:00:00 or 1-00:00:00)");
            string script = SlurmScript.Build(folder, reg, n == 0 ? runs : n, c, t, pr.GetValue(exe)!, pr.GetValue(partition));
            string path = Path.GetFullPath(pr.GetValue(output) ?? Path.Combine(folder.Dir, "slurm.sh"));
            AtomicFile.WriteAllText(path, script);
            // Slurm opens the tasks' --output files before the script runs: their folder must exist (else the tasks fail at once).
            Directory.CreateDirectory(Path.Combine(folder.Dir, "logs"));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
            pr.InvocationConfiguration.Output.WriteLine($"wrote {path}: {(n == 0 ? runs : n)} tasks; submit with: sbatch {path}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Creates the folder, writes generated data, registers the runs.</summary>
    internal static (SweepFolder Folder, int Added, int Total) SubmitSpec(string specPath, string? dir, string? registry, TextWriter error)
    {
        var spec = SweepSpec.Load(specPath);
        var folder = SweepFolder.Create(specPath, dir ?? Path.Combine("sweeps", spec.Name), registry);
        var (added, total) = SubmitFolder(folder, error);
        return (folder, added, total);
    }

    private static (int Added, int Total) SubmitFolder(SweepFolder folder, TextWriter error)
    {
        var runs = folder.Expand(error);
        using var reg = folder.OpenRegistry();
        int added = reg.Submit(folder.Dir, runs);
        return (added, runs.Count);
    }

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

    internal static bool RunLocal(SweepFolder folder, int workers, TextWriter output, TextWriter error, CancellationToken cancel)
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

    /// <summary>The table of runs (or one JSON object with a row per run).</summary>
    internal static void PrintStatus(SweepFolder folder, TextWriter output, bool json)
    {
        using var reg = folder.OpenRegistry();
        var runs = reg.List(folder.Name);
        if (json)
        {
            var arr = new JsonArray();
            foreach (var r in runs)
            {
                arr.Add(new JsonObject
                {
                    ["id"] = r.Id, ["name"] = r.Name, ["hash"] = r.Hash, ["state"] = RunStateText(r.State), ["attempts"] = r.Attempts,
                    ["worker"] = r.Worker, ["run_dir"] = r.RunDir, ["error"] = r.Error,
                    ["metrics"] = r.MetricsJson is null ? null : JsonNode.Parse(r.MetricsJson),
                });
            }
            output.WriteLine(new JsonObject
            {
                ["sweep"] = folder.Name, ["dir"] = folder.Dir, ["registry"] = SweepFolder.Show(folder.Registry),
                ["total"] = runs.Count, ["done"] = runs.Count(r => r.State == RunState.Done),
                ["failed"] = runs.Count(r => r.State == RunState.Failed), ["runs"] = arr,
            }.ToJsonString());
            return;
        }
        output.WriteLine($"sweep {folder.Name} ({folder.Dir}), registry {SweepFolder.Show(folder.Registry)}");
        output.WriteLine($"{"run",-28} {"state",-8} {"tries",5} {"N",10} {"D",9} {"val loss",9} {"min val",9}");
        foreach (var r in runs)
        {
            var m = r.Summary;
            static string F(double? d) => d is double x && double.IsFinite(x) ? x.ToString("0.0000", CultureInfo.InvariantCulture) : "-";
            var c = r.Config;
            output.WriteLine($"{r.Name,-28} {RunStateText(r.State),-8} {r.Attempts,5} " +
                             $"{Model.ModelAccounting.NonEmbeddingParams(c.Model),10} {Canonical.Count(c.DataTokens),9} {F(m?.FinalValLoss),9} {F(m?.MinValLoss),9}" +
                             (r.Error is not null && r.State == RunState.Failed ? $"  {r.Error}" : ""));
        }
        output.WriteLine($"{runs.Count(r => r.State == RunState.Done)}/{runs.Count} done, " +
                         $"{runs.Count(r => r.State == RunState.Failed)} failed, {runs.Count(r => r.State == RunState.Pending)} pending, " +
                         $"{runs.Count(r => r.State == RunState.Running)} running");
    }

    private static string RunStateText(RunState s) => s.ToString().ToLowerInvariant();

    private static Option<T> Clone<T>(Option<T> o) => new(o.Name) { Description = o.Description };
}
