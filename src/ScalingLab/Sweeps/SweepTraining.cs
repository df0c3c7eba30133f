using ScalingLab.Data;
using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Sweeps;

/// <summary>
/// Trains one sweep run with the project's <see cref="Trainer"/>: a fresh start, or a resume from the run folder's
/// newest complete checkpoint (bit-identical to an uninterrupted run: same seed, same threads). Returns the run's
/// <see cref="RunSummary"/> (its summary.json) as the JSON the registry stores and the report reads back typed.
/// </summary>
public static class SweepTraining
{
    /// <summary>The trainer's config for a sweep run.</summary>
    public static TrainConfig TrainConfigOf(RunConfig c) =>
        c.Train with { Data = c.DataDir, Tokens = c.DataTokens, Seed = c.Seed, Threads = c.Threads };

    /// <summary>Trains (or resumes) <paramref name="c"/> in <paramref name="runDir"/>; see <see cref="TrainRun"/>.</summary>
    public static string Train(RunConfig c, string runDir, Action<RunProgress> progress, CancellationToken cancel)
    {
        using var data = TokenDataset.Open(c.DataDir);
        // train.subset: the first fraction of the training split only.
        ITokenSequence train = c.Train.Subset is double f ? new PrefixTokens(data.Train, Math.Max(1, (long)Math.Floor(f * data.Train.Count))) : data.Train;
        var gemm = Gemm.ForPrecision(c.Train.Gemm, c.Threads, c.Train.Precision);
        // A folder with a checkpoint resumes from its newest intact one (a corrupt one is skipped with a warning on
        // stderr, the worker's log); one without (killed before its first checkpoint) starts over.
        var run = new RunFolder(runDir);
        var trainer = Checkpoints.Folders(runDir).Count > 0 && File.Exists(run.TrainPath)
            ? Trainer.Resume(runDir, train, data.Val, gemm, Console.Error.WriteLine)
            : Trainer.Start(runDir, c.Model, TrainConfigOf(c).ForData(data.Manifest, data.Tokenizer), train, data.Val, gemm, force: true);
        // Cancellation is a preemption: the step in flight ends with a checkpoint, then the run stops.
        var result = trainer.Run(r => progress(new RunProgress(r.Step, r.TotalSteps, r.TrainLoss, r.ValLoss, r.TokensPerS)),
                                 preempt: cancel);
        if (result.Preempted) throw new OperationCanceledException($"preempted at step {result.Step} of {result.TotalSteps}; checkpoint saved");
        if (!result.Completed) throw new OperationCanceledException("training stopped before the end of its schedule");
        var summary = run.ReadSummary()
                      ?? throw new IOException($"{runDir}: training finished but wrote no summary.json");
        return summary.ToJson();
    }
}
