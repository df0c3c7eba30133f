namespace ScalingLab.Training;

/// <summary>
/// When to save a checkpoint, shaped like Pythia's (Biderman et al. 2023): step 0, every power of two up to
/// <see cref="LogUntil"/> (dense early, where the model changes fastest), then every <see cref="Every"/> steps,
/// and the final step. A step is the number of updates taken (step 0 = the initial weights).
/// </summary>
public sealed record CheckpointSchedule(long LogUntil, long Every, long FinalStep)
{
    /// <summary>Whether a checkpoint is saved after <paramref name="step"/> updates.</summary>
    public bool IsCheckpoint(long step)
    {
        if (step < 0 || step > FinalStep) return false;
        if (step == 0 || step == FinalStep) return true;
        if (step <= LogUntil && (step & (step - 1)) == 0) return true;
        return Every > 0 && step % Every == 0;
    }

    /// <summary>Every checkpoint step in ascending order.</summary>
    public IEnumerable<long> Steps()
    {
        for (long s = 0; s <= FinalStep; s++)
            if (IsCheckpoint(s)) yield return s;
    }
}
