using System.Diagnostics;
using System.Text.Json.Nodes;
using ScalingLab.Cli.Commands;
using ScalingLab.Sweeps;
using ScalingLab.Tests.Cli;
using ScalingLab.Training;

namespace ScalingLab.Tests.Sweeps;

/// <summary>Sweeps with the real trainer, in worker processes: kill -9 and resume, and concurrent `sweep work` processes.</summary>
public sealed class SweepTrainingTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalinglab-sweeptrain-");

    public void Dispose()
    {
        try { _dir.Delete(recursive: true); } catch (IOException) { }
    }

    private string Spec(string name, string axes, string train)
    {
        string data = Path.Combine(_dir.FullName, "data");
        if (!Directory.Exists(data)) SweepCliTests.MakeData(data, trainTokens: 100_000);
        string path = Path.Combine(_dir.FullName, name + ".yaml");
        File.WriteAllText(path, $$"""
            name: {{name}}
            data: { dir: data }
            model: { head_size: 8 }
            train: { {{train}} }
            axes: { {{axes}} }
            """);
        return path;
    }

    private static Process StartCli(params string[] args)
    {
        var psi = SweepLocalRun.WorkerCommand("x", "x");
        psi.ArgumentList.Clear();
        psi.ArgumentList.Add(typeof(SweepCommand).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        return Process.Start(psi)!;
    }

    [Fact]
    public void KilledSweepResumesWithEveryRunDoneOnceAndBitIdenticalLosses()
    {
        const string train = "batch: 4, seq: 16, lr: 3e-3, eval_windows: 2, eval_every: 50, ckpt_log_until: 16, ckpt_every: 100, gemm: managed";
        const string axes = "models: [1x16], data_sizes: [40000], seeds: [1, 2]";
        // The reference: the same runs, trained without interruption, in-process.
        string refDir = Path.Combine(_dir.FullName, "ref");
        var (code, _, err) = CliRunner.Run("sweep", "submit", Spec("k", axes, train), "--dir", refDir);
        Assert.True(code == 0, err);
        new SweepWorker(SweepFolder.Open(refDir).Registry, "k", WorkerId.ForThisProcess("ref"), SweepTraining.Train).Run(TextWriter.Null);

        // The same sweep in worker processes, killed with SIGKILL (runner and worker) once a checkpoint past step 16 exists.
        string dir = Path.Combine(_dir.FullName, "killed");
        using var runner = StartCli("sweep", "run", Spec("k", axes, train), "--dir", dir, "--workers", "1");
        var folder = WaitFor(() => File.Exists(Path.Combine(dir, SweepFolder.FileName)) ? SweepFolder.Open(dir) : null, runner);
        RunRecord victim = WaitFor(() =>
        {
            using var reg = folder.OpenRegistry();
            return reg.List("k").FirstOrDefault(r => r.State == RunState.Running && Checkpoints.List(r.RunDir).Any(c => c.Step > 16));
        }, runner);
        int workerPid = int.Parse(victim.Worker!.Split(':')[1]);
        Process.GetProcessById(workerPid).Kill();
        runner.Kill();
        runner.WaitForExit();
        using (var reg = folder.OpenRegistry())
            Assert.Equal(RunState.Running, reg.List("k").Single(r => r.Id == victim.Id).State); // left behind by the dead worker

        (code, _, err) = CliRunner.Run("sweep", "run", dir, "--workers", "1");
        Assert.True(code == 0, err);
        using var after = folder.OpenRegistry();
        using var reference = SweepFolder.Open(refDir).OpenRegistry();
        var runs = after.List("k");
        Assert.Equal(2, runs.Count);
        Assert.All(runs, r => Assert.Equal(RunState.Done, r.State));
        Assert.Equal(2, runs.Single(r => r.Id == victim.Id).Attempts);
        foreach (var r in runs)
        {
            var m = JsonNode.Parse(r.MetricsJson!)!;
            var want = JsonNode.Parse(reference.List("k").Single(x => x.Hash == r.Hash).MetricsJson!)!;
            foreach (string key in new[] { "final_train_loss", "final_val_loss", "min_val_loss", "step" })
                Assert.Equal((double)want[key]!, (double)m[key]!); // bit-identical: JSON keeps the shortest round-trip text
            // No step was logged twice: the resumed run continued where its checkpoint left off.
            var steps = MetricsLog.Read(Path.Combine(r.RunDir, "metrics.jsonl")).Select(x => x.Step).ToList();
            Assert.Equal(steps.Distinct().Count(), steps.Count);
            Assert.Equal(r.Config.Steps, steps[^1]);
        }
    }

    [Fact]
    public void TwoWorkerProcessesNeverClaimTheSameRun()
    {
        // 24 one-update runs: the workers spend their time claiming, which is what is being tested.
        string dir = Path.Combine(_dir.FullName, "many");
        var (code, _, err) = CliRunner.Run("sweep", "submit",
            Spec("many", "models: [1x8], data_sizes: [64], seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]",
                 "batch: 2, seq: 16, eval_windows: 1, ckpt_log_until: 0, ckpt_every: 0, gemm: managed"), "--dir", dir);
        Assert.True(code == 0, err);
        var folder = SweepFolder.Open(dir);
        var workers = Enumerable.Range(0, 2).Select(_ => StartCli("sweep", "work", "--registry", folder.Registry, "--sweep", "many")).ToList();
        var logs = workers.Select(w => w.StandardOutput.ReadToEndAsync()).ToList();
        foreach (var w in workers) Assert.True(w.WaitForExit(120_000));
        Assert.All(workers, w => Assert.Equal(0, w.ExitCode));
        var claimed = logs.SelectMany(l => l.Result.Split('\n').Where(x => x.Contains("(attempt ")).Select(x => x.Split(' ')[2])).ToList();
        Assert.Equal(24, claimed.Count);
        Assert.Equal(24, claimed.Distinct().Count());
        using var reg = folder.OpenRegistry();
        var runs = reg.List("many");
        Assert.All(runs, r => Assert.Equal((RunState.Done, 1), (r.State, r.Attempts)));
        // (Which process got how many runs depends on timing; the thread tests in RegistryTests force contention.)
    }

    private static T WaitFor<T>(Func<T?> probe, Process watched) where T : class
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (probe() is { } v) return v;
            if (watched.HasExited) throw new Xunit.Sdk.XunitException($"the sweep process exited early: {watched.StandardError.ReadToEnd()}");
            Thread.Sleep(25);
        }
        throw new TimeoutException("gave up waiting");
    }
}
