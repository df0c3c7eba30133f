using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ScalingLab.Sweeps;
using ScalingLab.Tests.Cli;
using ScalingLab.Training;

namespace ScalingLab.Tests.Sweeps;

/// <summary>
/// A sweep on a real cluster's faults, against a real PostgreSQL registry: the server restarted mid-sweep, and the
/// exported job array run by a real one-node Slurm (scripts/slurm-cluster.sh) with one task cancelled mid-run. Final
/// losses are compared bit for bit with the same runs trained without interruption.
/// </summary>
public sealed class ClusterTests : IClassFixture<PostgresServer>, IDisposable
{
    private const string Train = "batch: 4, seq: 16, lr: 3e-3, eval_windows: 2, eval_every: 50, ckpt_log_until: 16, ckpt_every: 100, gemm: managed";
    private const string Axes = "models: [1x16], data_sizes: [24000], seeds: [1, 2, 3]";
    // The Slurm test cancels a task mid-run: its runs must last long enough (218 steps of a 4x128 model, a few seconds)
    // for the signal to land inside one, after the step-16 checkpoint (375 steps of the 1x16 model take a fraction of a
    // second; at 94 steps of 4x128 the run sometimes finished first once the CLI stopped starting in tier-0 JIT code).
    private const string SlurmTrain = "batch: 4, seq: 64, lr: 3e-3, eval_windows: 2, eval_every: 50, ckpt_log_until: 16, ckpt_every: 1000, gemm: managed";
    private const string SlurmAxes = "models: [4x128], data_sizes: [56000], seeds: [1, 2, 3]";

    private readonly PostgresServer _server;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalinglab-cluster-");

    public ClusterTests(PostgresServer server) => _server = server;

    public void Dispose()
    {
        try { _dir.Delete(recursive: true); } catch (IOException) { }
    }

    private string Spec(string name, string train = Train, string axes = Axes)
    {
        string data = Path.Combine(_dir.FullName, "data");
        if (!Directory.Exists(data)) SweepCliTests.MakeData(data, trainTokens: 60_000);
        string path = Path.Combine(_dir.FullName, name + ".yaml");
        File.WriteAllText(path, $"name: {name}\ndata: {{ dir: data }}\nmodel: {{ head_size: 8 }}\ntrain: {{ {train} }}\naxes: {{ {axes} }}\n");
        return path;
    }

    /// <summary>The runs of sweep <paramref name="name"/> (spec file <paramref name="spec"/>) trained in-process without
    /// interruption: final metrics by config hash.</summary>
    private Dictionary<string, JsonNode> Reference(string name, string spec)
    {
        string dir = Path.Combine(_dir.FullName, "ref-" + name);
        var (code, _, err) = CliRunner.Run("sweep", "submit", spec, "--dir", dir);
        Assert.True(code == 0, err);
        new SweepWorker(SweepFolder.Open(dir).Registry, name, WorkerId.ForThisProcess("ref"), SweepTraining.Train).Run(TextWriter.Null);
        using var reg = SweepFolder.Open(dir).OpenRegistry();
        return reg.List(name).ToDictionary(r => r.Hash, r => JsonNode.Parse(r.MetricsJson!)!);
    }

    private static void AssertSameAsReference(IReadOnlyList<RunRecord> runs, Dictionary<string, JsonNode> reference)
    {
        Assert.Equal(reference.Count, runs.Count);
        foreach (var r in runs)
        {
            Assert.Equal(RunState.Done, r.State);
            var m = JsonNode.Parse(r.MetricsJson!)!;
            foreach (string key in new[] { "final_train_loss", "final_val_loss", "min_val_loss", "step" })
                Assert.Equal((double)reference[r.Hash][key]!, (double)m[key]!);
            // Trained once: no step logged twice, the last one the schedule's end.
            var steps = MetricsLog.Read(Path.Combine(r.RunDir, "metrics.jsonl")).Select(x => x.Step).ToList();
            Assert.Equal(steps.Distinct().Count(), steps.Count);
            Assert.Equal(r.Config.Steps, steps[^1]);
        }
    }

    private static Process StartCli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ScalingLab.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    private static T WaitFor<T>(Func<T?> probe, int seconds = 120) where T : class
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (probe() is { } v) return v;
            Thread.Sleep(25);
        }
        throw new TimeoutException("gave up waiting");
    }

    [PostgresFact]
    public void RegistryRestartMidSweepLosesNothingAndTrainsNothingTwice()
    {
        string spec = Spec("pgr");
        var reference = Reference("pgr", spec);
        string cs = _server.NewDatabase(), dir = Path.Combine(_dir.FullName, "pgr");
        var (code, _, err) = CliRunner.Run("sweep", "submit", spec, "--dir", dir, "--registry", cs);
        Assert.True(code == 0, err);
        var workers = Enumerable.Range(0, 2).Select(_ => StartCli("sweep", "work", "--registry", cs, "--sweep", "pgr", "--heartbeat", "0.3")).ToList();
        var logs = workers.Select(w => (Out: w.StandardOutput.ReadToEndAsync(), Err: w.StandardError.ReadToEndAsync())).ToList();
        using (var reg = RunRegistry.Open(cs))
            WaitFor(() => reg.List("pgr").FirstOrDefault(r => r.State == RunState.Running && Checkpoints.List(r.RunDir).Any(c => c.Step > 16)));
        // The database goes away for two seconds with runs in flight, then comes back on the same port.
        _server.Stop();
        Thread.Sleep(2000);
        _server.Start();
        foreach (var w in workers) Assert.True(w.WaitForExit(180_000), "a worker did not finish");
        string all = string.Join("\n", logs.Select(l => l.Out.Result + l.Err.Result));
        Assert.All(workers, w => Assert.True(w.ExitCode == 0, all));
        Assert.Contains("registry unreachable", all);
        using var after = RunRegistry.Open(cs);
        var runs = after.List("pgr");
        Assert.All(runs, r => Assert.Equal(1, r.Attempts)); // never claimed twice
        var claimed = all.Split('\n').Where(x => x.Contains("(attempt ")).Select(x => x.Split(' ')[2]).ToList();
        Assert.Equal(runs.Count, claimed.Count);
        Assert.Equal(runs.Count, claimed.Distinct().Count());
        AssertSameAsReference(runs, reference);
    }

    [SlurmFact]
    public void SlurmJobArrayFinishesTheSweepAndACancelledTaskResumesBitIdentically()
    {
        string spec = Spec("slurm", SlurmTrain, SlurmAxes);
        var reference = Reference("slurm", spec);
        string cs = _server.NewDatabase(), dir = Path.Combine(_dir.FullName, "slurm"), cluster = Path.Combine(_dir.FullName, "cluster");
        var (code, _, err) = CliRunner.Run("sweep", "submit", spec, "--dir", dir, "--registry", cs);
        Assert.True(code == 0, err);
        string cli = Path.Combine(AppContext.BaseDirectory, "ScalingLab.Cli.dll");
        (code, string output, err) = CliRunner.Run("sweep", "export", dir, "--slurm", "--tasks", "2", "--cpus-per-task", "1",
                                                    "--time", "00:10:00", "--scalinglab", $"dotnet {cli}");
        Assert.True(code == 0, err);
        string script = File.ReadAllText(Path.Combine(dir, "slurm.sh"));
        Assert.Contains("#SBATCH --signal=B:TERM@120", script);
        Assert.Contains("#SBATCH --requeue", script);

        string conf = Slurm.Start(cluster);
        try
        {
            string submitted = Slurm.Run(conf, "sbatch", Path.Combine(dir, "slurm.sh"));
            Assert.StartsWith("Submitted batch job ", submitted);
            string job = submitted.Split(' ')[^1].Trim();
            using var reg = RunRegistry.Open(cs);
            // Both tasks run (two CPUs, two slots); cancel the one whose run has its step-16 checkpoint (~200 steps to go).
            var victim = WaitFor(() => reg.List("slurm").FirstOrDefault(r => r.State == RunState.Running && r.Worker!.Contains($"slurm-{job}_")
                                                                             && Checkpoints.List(r.RunDir).Any(c => c.Step >= 16)));
            Console.WriteLine("squeue:\n" + Slurm.Run(conf, "squeue"));
            string task = victim.Worker!.Split("slurm-")[1]; // JOB_TASK
            Slurm.Run(conf, "scancel", task);
            Console.WriteLine($"scancel {task} while {victim.Name} was running");
            WaitFor(() => reg.List("slurm").Single(r => r.Id == victim.Id) is { State: not RunState.Running } r ? r : null, 60);
            var requeued = reg.List("slurm").Single(r => r.Id == victim.Id);
            Assert.True(requeued.State is RunState.Pending or RunState.Running or RunState.Done);
            // The remaining task drains the sweep, the preempted run among it.
            WaitFor(() => reg.List("slurm").All(r => r.State is RunState.Done or RunState.Failed) ? "" : null, 240);
            WaitFor(() => Slurm.Run(conf, "squeue", "-h", "-j", job).Trim().Length == 0 ? "" : null, 60);
            string logs = string.Join("\n", Directory.GetFiles(Path.Combine(dir, "logs"), "slurm-*.out").Select(File.ReadAllText));
            Console.WriteLine(logs);
            var preempted = Regex.Match(logs, $@"{Regex.Escape(victim.Name)} preempted at step (\d+)");
            Assert.True(preempted.Success, $"no '{victim.Name} preempted at step N' in the task logs");
            int at = int.Parse(preempted.Groups[1].Value, CultureInfo.InvariantCulture);
            var runs = reg.List("slurm");
            AssertSameAsReference(runs, reference);
            // The SIGTERM landed mid-run, after the step-16 checkpoint, and the checkpoint it wrote at step `at` is there
            // to resume from.
            var steps = Checkpoints.List(victim.RunDir).Select(c => c.Step).ToList();
            Assert.InRange(at, 16, victim.Config.Steps - 1);
            Assert.Contains(at, steps);
            Assert.All(runs.Where(r => r.Id != victim.Id), r => Assert.Equal(1, r.Attempts));
        }
        finally
        {
            Slurm.Stop(cluster);
        }
    }
}

/// <summary>The one-node test cluster of scripts/slurm-cluster.sh and the client commands, run with its SLURM_CONF.</summary>
internal static class Slurm
{
    public static string Script { get; } = FindScript();

    public static bool Available => Environment.UserName == "root" && File.Exists("/usr/sbin/slurmctld") && File.Exists("/usr/sbin/munged");

    public static string Start(string dir)
    {
        string line = Exec("bash", Script, "start", dir).Trim();
        Assert.StartsWith("SLURM_CONF=", line);
        return line["SLURM_CONF=".Length..];
    }

    public static void Stop(string dir) => Exec("bash", Script, "stop", dir);

    /// <summary>Runs a Slurm client command (sbatch, squeue, scancel) against the test cluster; returns its stdout.</summary>
    public static string Run(string conf, string command, params string[] args)
    {
        Console.WriteLine($"$ {command} {string.Join(' ', args)}");
        return Exec(command, [.. args], ("SLURM_CONF", conf));
    }

    private static string Exec(string exe, string[] args, params (string, string)[] env)
    {
        var psi = new ProcessStartInfo(exe, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Trim()}");
        return stdout.Result;
    }

    private static string Exec(string exe, params string[] args) => Exec(exe, args, []);

    private static string FindScript()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string s = Path.Combine(d.FullName, "scripts", "slurm-cluster.sh");
            if (File.Exists(s)) return s;
        }
        return "scripts/slurm-cluster.sh";
    }
}

/// <summary>A fact that needs the test Slurm cluster (root, Debian's slurmctld/slurmd/munge from scripts/setup.sh).</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (PostgresServer.BinDir is null) Skip = "PostgreSQL binaries not found (scripts/setup.sh installs Debian's postgresql)";
        else if (!Slurm.Available) Skip = "needs root and Debian's slurmctld, slurmd and munge (scripts/setup.sh installs them)";
    }
}
