using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ScalingLab.Cli.Commands;
using ScalingLab.Data;
using ScalingLab.Sweeps;
using ScalingLab.Tests.Cli;

namespace ScalingLab.Tests.Sweeps;

/// <summary>The sweep verbs and the worker loop, with a stand-in trainer (the real one is exercised in SweepTrainingTests).</summary>
public sealed class SweepCliTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalinglab-sweep-");

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>A small data folder of random characters (train 20k tokens by default, val 4k).</summary>
    internal static string MakeData(string dir, int vocab = 16, int trainTokens = 20_000)
    {
        var tok = new CharTokenizer("abcdefghijklmnopqrstuvwxyz".Take(vocab - 1));
        var rng = new ScalingLab.Tensors.Rng(5);
        DataFolderWriter.Write(dir, tok, w =>
        {
            foreach (var (split, n) in new[] { ("train", trainTokens), ("val", 4_000) })
            {
                var ids = new int[n];
                for (int i = 0; i < n; i++) ids[i] = rng.NextInt(tok.VocabSize);
                w.Append(split, ids);
            }
            return new DataManifest { Kind = "test", Source = "random" };
        });
        return dir;
    }

    private string WriteSpec(string name = "t", string extra = "")
    {
        string data = MakeData(Path.Combine(_dir.FullName, "data"));
        string spec = Path.Combine(_dir.FullName, name + ".yaml");
        File.WriteAllText(spec, $"""
            name: {name}
            data: {"{"} dir: data {"}"}
            model: {"{"} head_size: 8 {"}"}
            train: {"{"} batch: 2, seq: 16, eval_windows: 2 {"}"}
            axes: {"{"} models: [1x8, 1x16], data_sizes: [512, 1024, 0.1], seeds: [1, 2] {"}"}
            {extra}
            """);
        return spec;
    }

    [Fact]
    public void SubmitIsIdempotentAndStatusListsEveryRun()
    {
        string spec = WriteSpec();
        string sweepDir = Path.Combine(_dir.FullName, "sw");
        var (code, output, err) = CliRunner.Run("sweep", "submit", spec, "--dir", sweepDir, "--json");
        Assert.True(code == 0, err);
        var j = JsonNode.Parse(output)!;
        Assert.Equal(12, (int)j["runs"]!);
        Assert.Equal(12, (int)j["added"]!);
        (code, output, _) = CliRunner.Run("sweep", "submit", spec, "--dir", sweepDir, "--json");
        Assert.Equal(0, code);
        Assert.Equal(0, (int)JsonNode.Parse(output)!["added"]!);
        (code, output, _) = CliRunner.Run("sweep", "status", sweepDir, "--json");
        Assert.Equal(0, code);
        var status = JsonNode.Parse(output)!;
        Assert.Equal(12, status["runs"]!.AsArray().Count);
        Assert.All(status["runs"]!.AsArray(), r => Assert.Equal("pending", (string)r!["state"]!));
        (code, output, _) = CliRunner.Run("sweep", "status", sweepDir);
        Assert.Equal(0, code);
        Assert.Contains("main-1x16-d1.02k-s2", output);
        Assert.Contains("0/12 done", output);
    }

    [Fact]
    public void ExportWritesASlurmArrayOfWorkers()
    {
        string sweepDir = Path.Combine(_dir.FullName, "sw");
        Assert.Equal(0, CliRunner.Run("sweep", "submit", WriteSpec(), "--dir", sweepDir).Code);
        var (code, output, err) = CliRunner.Run("sweep", "export", sweepDir, "--slurm", "--tasks", "3", "--time", "01:30:00",
            "--registry", "Host=db.example;Database=sweeps;Username=me");
        Assert.True(code == 0, err);
        Assert.Contains("sbatch", output);
        string script = File.ReadAllText(Path.Combine(sweepDir, "slurm.sh"));
        Assert.StartsWith("#!/bin/bash\n", script);
        Assert.Contains("#SBATCH --array=0-2\n", script);
        Assert.Contains("#SBATCH --time=01:30:00\n", script);
        Assert.Contains("export SCALINGLAB_REGISTRY='Host=db.example;Database=sweeps;Username=me'", script);
        Assert.Contains("sweep work --registry \"$SCALINGLAB_REGISTRY\" --sweep 't'", script);
        // Without --tasks: one task per run; a bad time is a one-line error.
        Assert.Equal(0, CliRunner.Run("sweep", "export", sweepDir, "--slurm").Code);
        Assert.Contains("#SBATCH --array=0-11\n", File.ReadAllText(Path.Combine(sweepDir, "slurm.sh")));
        (code, _, err) = CliRunner.Run("sweep", "export", sweepDir, "--slurm", "--time", "soon");
        Assert.Equal(1, code);
        Assert.Contains("--time", err);
    }

    [Theory]
    [InlineData("train: { batch: 0 }", "train.batch")]
    [InlineData("bogus: 1", "bogus")]
    public void BadSpecsAreOneLineErrors(string extra, string field)
    {
        string spec = WriteSpec(extra: extra);
        // The extra line overrides or adds a field; YAML rejects a duplicate key, so put it where it is new.
        var (code, _, err) = CliRunner.Run("sweep", "submit", spec, "--dir", Path.Combine(_dir.FullName, "sw"));
        Assert.NotEqual(0, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.True(err.Contains(field) || err.Contains("train"), err);
    }

    [Fact]
    public void MissingThingsAreOneLineErrors()
    {
        var (code, _, err) = CliRunner.Run("sweep", "status", Path.Combine(_dir.FullName, "nope"));
        Assert.Equal(1, code);
        Assert.Contains("not a sweep folder", err);
        (code, _, err) = CliRunner.Run("sweep", "work", "--registry", Path.Combine(_dir.FullName, "nope.db"));
        Assert.Equal(1, code);
        Assert.Contains("does not exist", err);
        (code, _, err) = CliRunner.Run("sweep", "submit", Path.Combine(_dir.FullName, "nope.yaml"));
        Assert.Equal(1, code);
        Assert.Contains("does not exist", err);
    }

    [Fact]
    public void WorkersDrainTheSweepOnceEachAndRecordFailures()
    {
        string sweepDir = Path.Combine(_dir.FullName, "sw");
        Assert.Equal(0, CliRunner.Run("sweep", "submit", WriteSpec(), "--dir", sweepDir).Code);
        var folder = SweepFolder.Open(sweepDir);
        var trained = new ConcurrentBag<string>();
        TrainRun fake = (cfg, runDir, progress, cancel) =>
        {
            if (cfg.Name == "main-1x8-d512-s2") throw new ScalingLab.Common.UserError("train: loss is NaN at step 3");
            for (int s = 1; s <= 3; s++)
            {
                progress(new RunProgress(s, 3, 2.0 / s, null, null));
                Thread.Sleep(5);
            }
            trained.Add(cfg.Name);
            Assert.True(Directory.Exists(runDir));
            return new JsonObject { ["final_val_loss"] = cfg.DataTokens / 1000.0 }.ToJsonString();
        };
        var threads = Enumerable.Range(0, 3).Select(i => new Thread(() =>
            new SweepWorker(folder.Registry, "t", WorkerId.ForThisProcess($"w{i}"), fake) { HeartbeatEvery = TimeSpan.FromMilliseconds(20) }
                .Run(TextWriter.Null))).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(11, trained.Count);
        Assert.Equal(11, trained.Distinct().Count());
        using var reg = folder.OpenRegistry();
        var runs = reg.List("t");
        var failed = Assert.Single(runs, r => r.State == RunState.Failed);
        Assert.Equal("main-1x8-d512-s2", failed.Name);
        Assert.Contains("NaN", failed.Error);
        Assert.All(runs.Where(r => r.State == RunState.Done), r => Assert.Equal(r.Config.DataTokens / 1000.0, (double)JsonNode.Parse(r.MetricsJson!)!["final_val_loss"]!));
        var (code, output, _) = CliRunner.Run("sweep", "status", sweepDir);
        Assert.Equal(0, code);
        Assert.Contains("11/12 done, 1 failed", output);
        Assert.Contains("NaN", output);
    }

    [Fact]
    public void ACancelledRunGoesBackToTheQueue()
    {
        string sweepDir = Path.Combine(_dir.FullName, "sw");
        Assert.Equal(0, CliRunner.Run("sweep", "submit", WriteSpec(), "--dir", sweepDir).Code);
        var folder = SweepFolder.Open(sweepDir);
        using var cts = new CancellationTokenSource();
        TrainRun slow = (_, _, _, cancel) =>
        {
            cts.Cancel();
            cancel.ThrowIfCancellationRequested();
            return "{}";
        };
        int done = new SweepWorker(folder.Registry, "t", WorkerId.ForThisProcess("c"), slow).Run(TextWriter.Null, cancel: cts.Token);
        Assert.Equal(0, done);
        using var reg = folder.OpenRegistry();
        Assert.All(reg.List("t"), r => Assert.Equal(RunState.Pending, r.State));
        Assert.Equal(0, reg.List("t")[0].Attempts); // a preempted run does not use up an attempt
    }

    [Fact]
    public void ProgressLineShowsCountsAndRunningRuns()
    {
        var cfg = new RunConfig { Name = "a", DataTokens = 100 }.ToJson();
        var runs = new List<RunRecord>
        {
            new(1, "t", "h1", "a", cfg, "/r/a", RunState.Done, 1, null, 0, 0, 1, 1, null, "{}", null),
            new(2, "t", "h2", "b", cfg, "/r/b", RunState.Running, 1, "w", 0, 0, null, 1, "{\"step\":5,\"steps\":10,\"train_loss\":2.5}", null, null),
            new(3, "t", "h3", "c", cfg, "/r/c", RunState.Pending, 0, null, 0, null, null, null, null, null, null),
        };
        string line = SweepLocalRun.ProgressLine(runs, TimeSpan.FromSeconds(30));
        Assert.Contains("1/3 done", line);
        Assert.Contains("b 5/10 loss 2.500", line);
        Assert.Contains("ETA 00:01:00", line);
    }
}
