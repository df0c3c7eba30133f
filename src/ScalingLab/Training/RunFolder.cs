using ScalingLab.Common;
using ScalingLab.Model;

namespace ScalingLab.Training;

/// <summary>
/// A run folder RUN/ and the files in it: config.json (<see cref="ModelConfig"/>), train.json (<see cref="TrainConfig"/>),
/// metrics.jsonl (<see cref="MetricsLog"/>), ckpt-NNNNNNNN/ (<see cref="Checkpoints"/>), summary.json
/// (<see cref="RunSummary"/>) when done, FAILED when a NaN stopped it. The trainer, sweeps, memory, dynamics and the
/// report all find a run's files through this one type.
/// </summary>
public sealed class RunFolder(string dir)
{
    /// <summary>The folder (absolute).</summary>
    public string Dir { get; } = Path.GetFullPath(dir);
    /// <summary>config.json: the model.</summary>
    public string ConfigPath => Path.Combine(Dir, "config.json");
    /// <summary>train.json: the training settings.</summary>
    public string TrainPath => Path.Combine(Dir, "train.json");
    /// <summary>metrics.jsonl: one row per step.</summary>
    public string MetricsPath => Path.Combine(Dir, "metrics.jsonl");
    /// <summary>summary.json: the finished run's <see cref="RunSummary"/>.</summary>
    public string SummaryPath => Path.Combine(Dir, "summary.json");
    /// <summary>FAILED: present when a NaN/Inf stopped the run; holds the reason.</summary>
    public string FailedPath => Path.Combine(Dir, Trainer.FailedFile);

    /// <summary>True when config.json and train.json exist.</summary>
    public bool HoldsRun => File.Exists(ConfigPath) && File.Exists(TrainPath);

    /// <summary>The model and training settings; a folder without them is a one-line <see cref="UserError"/>.</summary>
    public (ModelConfig Model, TrainConfig Train) ReadConfig()
    {
        if (!HoldsRun) throw new UserError($"{Dir} is not a run folder (config.json and train.json are missing)");
        return (ModelConfig.FromJson(File.ReadAllText(ConfigPath)), TrainConfig.FromJson(File.ReadAllText(TrainPath)));
    }

    /// <summary>The model config alone (config.json).</summary>
    public ModelConfig ReadModel()
    {
        if (!File.Exists(ConfigPath)) throw new UserError($"'{Dir}' is not a run folder (no config.json)");
        return ModelConfig.FromJson(File.ReadAllText(ConfigPath));
    }

    /// <summary>The training settings (train.json), or null when the folder has none.</summary>
    public TrainConfig? ReadTrainOrNull() => File.Exists(TrainPath) ? TrainConfig.FromJson(File.ReadAllText(TrainPath)) : null;

    /// <summary>The summary of a finished run, or null when the run has not finished.</summary>
    public RunSummary? ReadSummary() =>
        File.Exists(SummaryPath) ? RunSummary.FromJson(File.ReadAllText(SummaryPath), SummaryPath) : null;

    /// <summary>Writes summary.json atomically.</summary>
    public void WriteSummary(RunSummary s) => AtomicFile.WriteAllText(SummaryPath, s.ToJson(indented: true));

    /// <summary>The metrics rows (empty when there is no metrics.jsonl).</summary>
    public IReadOnlyList<MetricsRow> ReadMetrics() => File.Exists(MetricsPath) ? MetricsLog.Read(MetricsPath) : [];

    /// <summary>The complete checkpoints, by step.</summary>
    public IReadOnlyList<(long Step, string Path)> Checkpoints() => Training.Checkpoints.List(Dir);
}
