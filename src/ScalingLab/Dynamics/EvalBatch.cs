using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Training;

namespace ScalingLab.Dynamics;

/// <summary>
/// The one fixed batch every checkpoint of a series is evaluated on (inputs and next-token targets,
/// batch × T each). The paper used the last training batch; any slice of a token sequence works too.
/// </summary>
public sealed record EvalBatch(int[] Inputs, int[] Targets, int Batch, int SeqLen, string Source)
{
    /// <summary>
    /// The last <paramref name="batch"/> windows the trainer drew: the final checkpoint's data position
    /// (epoch, index) minus <paramref name="batch"/>, replayed through the same <see cref="WindowSampler"/>.
    /// </summary>
    public static EvalBatch LastTrainingBatch(ITokenSequence train, TrainConfig cfg, TrainerState finalState, int batch)
    {
        var sampler = WindowSampler.For(train, cfg.Resolve());
        long position = finalState.DataEpoch * sampler.WindowCount + finalState.DataIndex - batch;
        if (position < 0)
            throw new UserError($"dynamics: the run drew only {finalState.DataEpoch * sampler.WindowCount + finalState.DataIndex} windows, fewer than a batch of {batch}; lower --batch");
        sampler.Seek(position / sampler.WindowCount, (int)(position % sampler.WindowCount));
        var inputs = new int[batch * cfg.Seq];
        var targets = new int[batch * cfg.Seq];
        sampler.Next(batch, inputs, targets);
        return new EvalBatch(inputs, targets, batch, cfg.Seq, $"last training batch ({batch} × {cfg.Seq} tokens)");
    }

    /// <summary>
    /// The evaluation batch of a run folder: by default its last training batch, read from the data folder in
    /// train.json (or <paramref name="dataDir"/>); with <paramref name="split"/>, a slice of that split from token
    /// <paramref name="offset"/>. <paramref name="batch"/> defaults to the run's training batch.
    /// </summary>
    public static EvalBatch ForRun(string runDir, string? dataDir, string? split, long offset, int? batch)
    {
        var run = new RunFolder(runDir);
        var (_, cfg) = run.ReadConfig();
        string dir = dataDir ?? cfg.Data
            ?? throw new UserError($"dynamics: {runDir}/train.json names no data folder; give --data DIR (the folder the run trained on)");
        if (!Directory.Exists(dir) && !Path.IsPathRooted(dir) && Directory.Exists(Path.Combine(runDir, dir))) dir = Path.Combine(runDir, dir);
        if (!Directory.Exists(dir)) throw new UserError($"dynamics: data folder {dir} of {runDir} is missing; give --data DIR");
        int b = batch ?? cfg.Batch;
        if (b < 1) throw new UserError($"dynamics: --batch must be ≥ 1 (got {b})");
        using var data = TokenDataset.Open(dir);
        if (split is not null)
        {
            if (!data.SplitNames.Contains(split))
                throw new UserError($"dynamics: data folder {dir} has no split '{split}'; it has {string.Join(", ", data.SplitNames)}");
            return Slice(data.Split(split), offset, b, cfg.Seq, split);
        }
        var ckpts = run.Checkpoints();
        if (ckpts.Count == 0) throw new UserError($"dynamics: {runDir} has no complete checkpoints");
        return LastTrainingBatch(data.Train, cfg, Training.Checkpoints.LoadState(ckpts[^1].Path), b);
    }

    /// <summary><paramref name="batch"/> consecutive windows of T + 1 tokens starting at token <paramref name="offset"/>.</summary>
    public static EvalBatch Slice(ITokenSequence tokens, long offset, int batch, int seqLen, string name)
    {
        long need = (long)batch * seqLen + 1;
        if (offset < 0 || offset + need > tokens.Count)
            throw new UserError($"dynamics: {name} has {tokens.Count} tokens; a batch of {batch} × {seqLen} from offset {offset} needs {need}; lower --offset or --batch");
        var window = new int[seqLen + 1];
        var inputs = new int[batch * seqLen];
        var targets = new int[batch * seqLen];
        for (int b = 0; b < batch; b++)
        {
            tokens.Read(offset + (long)b * seqLen, window);
            window.AsSpan(0, seqLen).CopyTo(inputs.AsSpan(b * seqLen));
            window.AsSpan(1, seqLen).CopyTo(targets.AsSpan(b * seqLen));
        }
        return new EvalBatch(inputs, targets, batch, seqLen, $"{name} tokens {offset}.. ({batch} × {seqLen})");
    }
}
