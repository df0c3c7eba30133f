using System.Diagnostics;
using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Tests.Training;

/// <summary>
/// Checkpoints under faults: preemption at a step boundary, checkpoints truncated, bit-flipped or missing files after
/// they were written, and a file system that fills up mid-run. Every resumed run is compared bit for bit with an
/// uninterrupted one.
/// </summary>
public class CheckpointFaultTests
{
    private static readonly ArrayTokens TrainData = TrainerTests.MarkovTokens(4000, 16, 1);
    private static readonly ArrayTokens ValData = TrainerTests.MarkovTokens(1000, 16, 2);

    private static string NewRun() => Path.Combine(Directory.CreateTempSubdirectory("sl-ckptfault").FullName, "run");

    private static Trainer Start(string dir, TrainConfig? cfg = null) =>
        Trainer.Start(dir, TrainerTests.Tiny, cfg ?? TrainerTests.TinyTrain(), TrainData, ValData, new ReferenceGemm());

    private static Trainer Resume(string dir, List<string>? warnings = null) =>
        Trainer.Resume(dir, TrainData, ValData, new ReferenceGemm(), warnings is null ? null : warnings.Add);

    private static double?[] Losses(string dir) =>
        MetricsLog.Read(Path.Combine(dir, "metrics.jsonl")).SelectMany(r => new[] { r.Step, r.TrainLoss, r.ValLoss, r.GradNorm, r.Lr }).ToArray();

    private static readonly Lazy<(string Dir, float[] Params)> Whole = new(() =>
    {
        string dir = NewRun();
        var t = Start(dir);
        t.Run();
        return (dir, t.Model.Parameters.ToArray());
    });

    private static void AssertSameAsUninterrupted(Trainer resumed, string dir)
    {
        Assert.True(resumed.Run().Completed);
        Assert.Equal(Whole.Value.Params, resumed.Model.Parameters);
        Assert.Equal(Losses(Whole.Value.Dir), Losses(dir));
    }

    [Fact]
    public void PreemptionCheckpointsAtTheNextStepBoundaryAndResumesBitIdentically()
    {
        string dir = NewRun();
        using var preempt = new CancellationTokenSource();
        // Preempted during step 9 (between the schedule's checkpoints 6 and 12): the run ends after step 9 with ckpt 9.
        var r = Start(dir).Run(s => { if (s.Step == 9) preempt.Cancel(); }, preempt: preempt.Token);
        Assert.True(r.Preempted);
        Assert.False(r.Completed);
        Assert.Equal(9, r.Step);
        Assert.Equal([0L, 1, 2, 4, 6, 9], Checkpoints.List(dir).Select(c => c.Step));
        Assert.Null(CheckpointManifest.Verify(Checkpoints.List(dir)[^1].Path, out bool has));
        Assert.True(has);
        var resumed = Resume(dir);
        Assert.Equal(9, resumed.Step);
        AssertSameAsUninterrupted(resumed, dir);
    }

    private enum Damage { Truncate, FlipByte, DeleteFile, GarbageState, EmptyFile }

    [Fact]
    public void DamagedCheckpointsAreSkippedWithAWarningInFavourOfTheLastIntactOne()
    {
        // Seeded: each trial damages the newest 1..4 checkpoints of a run stopped at step 15 (checkpoints 0 1 2 4 6 12).
        var rng = new Random(1616);
        var report = new List<string>();
        for (int trial = 0; trial < 6; trial++)
        {
            string dir = NewRun();
            Start(dir).Run(stopAfterStep: 15);
            var ckpts = Checkpoints.List(dir);
            int damaged = rng.Next(1, 5);
            for (int k = 0; k < damaged; k++)
            {
                string ck = ckpts[ckpts.Count - 1 - k].Path;
                var files = Directory.GetFiles(ck).Where(f => Path.GetFileName(f) != CheckpointManifest.FileName).Order().ToArray();
                string f = files[rng.Next(files.Length)];
                var d = (Damage)rng.Next(5);
                byte[] bytes = File.ReadAllBytes(f);
                switch (d)
                {
                    case Damage.Truncate: File.WriteAllBytes(f, bytes[..rng.Next(bytes.Length)]); break;
                    case Damage.FlipByte: bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8)); File.WriteAllBytes(f, bytes); break;
                    case Damage.DeleteFile: File.Delete(f); break;
                    case Damage.GarbageState: File.WriteAllText(Path.Combine(ck, "trainer_state.json"), "{\"step\": [garbage"); break;
                    case Damage.EmptyFile: File.WriteAllBytes(f, []); break;
                }
                report.Add($"trial {trial}: {Path.GetFileName(ck)} {d} {Path.GetFileName(f)}");
            }
            var warnings = new List<string>();
            var resumed = Resume(dir, warnings);
            Assert.Equal(ckpts[ckpts.Count - 1 - damaged].Step, resumed.Step);
            Assert.Equal(damaged, warnings.Count);
            Assert.All(warnings, w => Assert.DoesNotContain('\n', w));
            Assert.All(warnings, w => Assert.StartsWith("train: warning: skipping ", w));
            AssertSameAsUninterrupted(resumed, dir);
        }
        Console.WriteLine("checkpoint damage trials:\n  " + string.Join("\n  ", report));
    }

    [Fact]
    public void NoIntactCheckpointRestartsFromScratchAndSaysSo()
    {
        string dir = NewRun();
        Start(dir).Run(stopAfterStep: 7);
        foreach (var (_, ck) in Checkpoints.List(dir))
            File.WriteAllBytes(Path.Combine(ck, "model.safetensors"), [1, 2, 3]);
        var warnings = new List<string>();
        var resumed = Resume(dir, warnings);
        Assert.Equal(0, resumed.Step);
        Assert.Equal(6, warnings.Count); // five skipped (0 1 2 4 6) and the restart
        Assert.Contains("has no intact checkpoint; starting the run again from step 0", warnings[^1]);
        AssertSameAsUninterrupted(resumed, dir);
    }

    [Fact]
    public void ACheckpointWithoutAManifestStillLoads()
    {
        // Checkpoints written before manifests existed are loaded (unverified) rather than thrown away.
        string dir = NewRun();
        Start(dir).Run(stopAfterStep: 13);
        File.Delete(Path.Combine(Checkpoints.List(dir)[^1].Path, CheckpointManifest.FileName));
        var warnings = new List<string>();
        var resumed = Resume(dir, warnings);
        Assert.Empty(warnings);
        Assert.Equal(12, resumed.Step);
        AssertSameAsUninterrupted(resumed, dir);
    }

    [RootFact]
    public void AFullDiskKeepsEarlierCheckpointsSaysHowMuchIsNeededAndResumesWhenSpaceIsBack()
    {
        // A 160 KB tmpfs holds the run folder: checkpoints (~33 KB each, one every 2 steps) fill it mid-run.
        string mount = Directory.CreateTempSubdirectory("sl-diskfull").FullName;
        Sh($"mount -t tmpfs -o size=160k scalinglab-test {mount}");
        try
        {
            string dir = Path.Combine(mount, "run");
            var cfg = TrainerTests.TinyTrain() with { CkptEvery = 2, CkptLogUntil = 0 };
            var e = Assert.Throws<UserError>(() => Start(dir, cfg).Run());
            Console.WriteLine($"disk full: {e.Message}");
            Assert.Equal(DiskFull.ExitCode, e.ExitCode);
            Assert.DoesNotContain('\n', e.Message);
            Assert.Matches(@"^disk full: could not write " + System.Text.RegularExpressions.Regex.Escape(dir) + @"\S* .* free on its file system, about .* needed", e.Message);
            var saved = Checkpoints.Folders(dir);
            Assert.True(saved.Count >= 2, $"{saved.Count} checkpoints before the disk filled");
            Assert.All(saved, c => Assert.Null(CheckpointManifest.Verify(c.Path, out _)));
            Assert.Empty(Directory.GetDirectories(dir, ".ckpt-*")); // the half-written one was removed

            Sh($"mount -o remount,size=8m {mount}");
            var resumed = Resume(dir);
            Assert.Equal(saved[^1].Step, resumed.Step);
            Assert.True(resumed.Run().Completed);
            string whole = NewRun();
            var reference = Start(whole, cfg);
            reference.Run();
            Assert.Equal(reference.Model.Parameters, resumed.Model.Parameters);
            Assert.Equal(Losses(whole), Losses(dir));
        }
        finally
        {
            Sh($"umount {mount}");
        }
    }

    internal static void Sh(string command)
    {
        var psi = new ProcessStartInfo("sh", ["-c", command]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"'{command}' failed ({p.ExitCode}): {err.Trim()}");
    }
}

/// <summary>A fact that needs root (mounting a tmpfs); skipped, saying why, otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Environment.UserName != "root") Skip = "needs root to mount a small tmpfs (CI runs as root)";
    }
}
