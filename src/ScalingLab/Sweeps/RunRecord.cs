namespace ScalingLab.Sweeps;

/// <summary>The life of a run in the registry: pending → running → done | failed (a dead worker's run goes back to pending).</summary>
public enum RunState
{
    /// <summary>Waiting for a worker.</summary>
    Pending,
    /// <summary>Claimed by a worker that is heartbeating.</summary>
    Running,
    /// <summary>Trained to completion; metrics recorded.</summary>
    Done,
    /// <summary>Failed (a training error, or too many attempts).</summary>
    Failed,
}

/// <summary>One row of the runs table. Times are Unix milliseconds of the registry's clock.</summary>
public sealed record RunRecord(
    long Id, string Sweep, string Hash, string Name, string ConfigJson, string RunDir,
    RunState State, int Attempts, string? Worker,
    long CreatedMs, long? StartedMs, long? FinishedMs, long? HeartbeatMs,
    string? ProgressJson, string? MetricsJson, string? Error)
{
    /// <summary>The run's config.</summary>
    public RunConfig Config => RunConfig.FromJson(ConfigJson);

    /// <summary>The finished run's summary (the registry's metrics), or null before it is done.</summary>
    public Training.RunSummary? Summary => MetricsJson is null ? null : Training.RunSummary.FromJson(MetricsJson, $"run {Name}: metrics");

    internal static string StateText(RunState s) => s switch
    {
        RunState.Pending => "pending",
        RunState.Running => "running",
        RunState.Done => "done",
        _ => "failed",
    };

    internal static RunState ParseState(string s) => s switch
    {
        "pending" => RunState.Pending,
        "running" => RunState.Running,
        "done" => RunState.Done,
        _ => RunState.Failed,
    };
}
