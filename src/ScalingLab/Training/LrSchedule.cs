namespace ScalingLab.Training;

/// <summary>
/// Linear warmup then cosine decay to a floor, the schedule of GPT-3, Chinchilla and Pythia:
///   lr(s) = lr_max · (s+1)/W                                       for s &lt; W,
///   lr(s) = lr_min + ½(lr_max − lr_min)(1 + cos(π · (s−W)/(S−W)))   for W ≤ s &lt; S,
/// where s is the 0-based index of the update, W the warmup steps and S the total steps (lr_min at s ≥ S).
/// A pure function of the step, so resuming needs no schedule state beyond the step itself.
/// </summary>
public sealed record LrSchedule(double MaxLr, double MinLr, long WarmupSteps, long TotalSteps)
{
    /// <summary>The learning rate for update <paramref name="step"/> (0-based).</summary>
    public double At(long step)
    {
        if (step < WarmupSteps) return MaxLr * (step + 1) / WarmupSteps;
        if (step >= TotalSteps || TotalSteps <= WarmupSteps) return MinLr;
        double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return MinLr + 0.5 * (MaxLr - MinLr) * (1.0 + Math.Cos(Math.PI * progress));
    }
}
