using System.Diagnostics;
using ScalingLab.Tests.Cli;
using ScalingLab.Training;

namespace ScalingLab.Tests.Training;

/// <summary>`scalinglab train` in a child process, sent SIGTERM mid-run (as Slurm's --signal does): it checkpoints at
/// the next step boundary and exits 0 within a bounded time; the resumed run is bit-identical to an uninterrupted one.</summary>
public class PreemptionTests
{
    [Fact]
    public void SigtermCheckpointsExitsZeroAndResumesBitIdentically()
    {
        string data = TrainCliTests.MarkovFolder();
        string dir = Path.GetDirectoryName(data)!;
        string whole = Path.Combine(dir, "whole"), preempted = Path.Combine(dir, "preempted");
        string[] args = ["train", "--model", "1x32", "--batch", "8", "--seq", "16", "--lr", "1e-2", "--tokens", "48K",
                         "--threads", "1", "--gemm", "managed", "--eval-every", "100", "--ckpt-every", "100", "--data", data];
        var (code, _, err) = CliRunner.Run([.. args, "--out", whole]);
        Assert.True(code == 0, err);

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ScalingLab.Cli.dll"));
        foreach (string a in args.Append("--out").Append(preempted)) psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        var stderr = new System.Text.StringBuilder();
        child.OutputDataReceived += (_, _) => { };
        child.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        // Between the Pythia checkpoints 128 and 256: the preemption checkpoint is one the schedule would not write.
        while (MetricsLog.Read(Path.Combine(preempted, "metrics.jsonl")).LastOrDefault()?.Step is not > 140 && !child.HasExited && DateTime.UtcNow < deadline)
            Thread.Sleep(5);
        Assert.False(child.HasExited, "the child finished before it could be preempted");
        var clock = Stopwatch.StartNew();
        CheckpointFaultTests.Sh($"kill -TERM {child.Id}");
        Assert.True(child.WaitForExit(30_000), "no exit within 30 s of SIGTERM");
        child.WaitForExit();
        Console.WriteLine($"train preempted: exit {child.ExitCode} {clock.ElapsedMilliseconds} ms after SIGTERM");
        Assert.True(child.ExitCode == 0, stderr.ToString());
        long at = Checkpoints.List(preempted)[^1].Step;
        Assert.True(at > 140 && at < 375, $"preemption checkpoint at step {at}");
        Assert.Contains($"train: preempted at step {at} of 375; checkpoint {Checkpoints.DirName(at)} saved; continue with: scalinglab train --resume {preempted}", stderr.ToString());
        Assert.False(File.Exists(Path.Combine(preempted, "summary.json")));

        (code, _, err) = CliRunner.Run("train", "--resume", preempted);
        Assert.True(code == 0, err);
        Assert.Contains($"resuming {preempted} at step {at}", err);
        static double?[] Losses(string run) => MetricsLog.Read(Path.Combine(run, "metrics.jsonl"))
            .SelectMany(r => new[] { r.Step, r.TrainLoss, r.ValLoss, r.GradNorm }).ToArray();
        Assert.Equal(Losses(whole), Losses(preempted));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Checkpoints.List(whole)[^1].Path, "model.safetensors")),
                     File.ReadAllBytes(Path.Combine(Checkpoints.List(preempted)[^1].Path, "model.safetensors")));
    }
}
