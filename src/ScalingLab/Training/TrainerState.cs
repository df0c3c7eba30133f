using System.Text.Json;
using System.Text.Json.Serialization;
using ScalingLab.Common;

namespace ScalingLab.Training;

/// <summary>
/// trainer_state.json of a checkpoint: everything besides weights and moments that a resumed run needs to continue
/// bit-identically — the step, the data position, the RNG state and the schedule state — plus the running record
/// of the best validation loss (Kaplan et al. 2020 report the early-stopped loss).
/// </summary>
public sealed record TrainerState
{
    /// <summary>Updates taken.</summary>
    [JsonPropertyName("step")] public long Step { get; init; }
    /// <summary>Training tokens consumed.</summary>
    [JsonPropertyName("tokens")] public long Tokens { get; init; }
    /// <summary>Data position: epoch of the window sampler.</summary>
    [JsonPropertyName("data_epoch")] public long DataEpoch { get; init; }
    /// <summary>Data position: windows of that epoch already drawn.</summary>
    [JsonPropertyName("data_index")] public int DataIndex { get; init; }
    /// <summary>Key of the data-order RNG stream of the current epoch.</summary>
    [JsonPropertyName("rng_key")] public ulong RngKey { get; init; }
    /// <summary>Counter of that stream.</summary>
    [JsonPropertyName("rng_counter")] public ulong RngCounter { get; init; }
    /// <summary>Learning rate of the last update (the schedule is a function of the step; kept for the record).</summary>
    [JsonPropertyName("lr")] public double Lr { get; init; }
    /// <summary>Warmup steps of the schedule.</summary>
    [JsonPropertyName("warmup_steps")] public long WarmupSteps { get; init; }
    /// <summary>Total steps of the schedule.</summary>
    [JsonPropertyName("total_steps")] public long TotalSteps { get; init; }
    /// <summary>AdamW's update count (bias correction).</summary>
    [JsonPropertyName("adam_step")] public long AdamStep { get; init; }
    /// <summary>Lowest validation loss so far (NaN before the first evaluation).</summary>
    [JsonPropertyName("min_val_loss")] public double? MinValLoss { get; init; }
    /// <summary>Step of <see cref="MinValLoss"/>.</summary>
    [JsonPropertyName("min_val_step")] public long? MinValStep { get; init; }
    /// <summary>Validation loss of the latest evaluation.</summary>
    [JsonPropertyName("last_val_loss")] public double? LastValLoss { get; init; }
    /// <summary>Training loss (fixed training windows) of the latest evaluation.</summary>
    [JsonPropertyName("last_train_loss")] public double? LastTrainLoss { get; init; }
    /// <summary>Lowest training loss (fixed training windows) so far.</summary>
    [JsonPropertyName("min_train_loss")] public double? MinTrainLoss { get; init; }
    /// <summary>Step of <see cref="MinTrainLoss"/>.</summary>
    [JsonPropertyName("min_train_step")] public long? MinTrainStep { get; init; }
    /// <summary>First evaluated step whose val loss beat the unigram model's (null until one does).</summary>
    [JsonPropertyName("beat_unigram_step")] public long? BeatUnigramStep { get; init; }
    /// <summary>Training wall time to <see cref="BeatUnigramStep"/>.</summary>
    [JsonPropertyName("beat_unigram_s")] public double? BeatUnigramSeconds { get; init; }
    /// <summary>Training wall time so far in seconds.</summary>
    [JsonPropertyName("elapsed_s")] public double ElapsedSeconds { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>JSON text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads trainer_state.json; malformed is a one-line <see cref="UserError"/>.</summary>
    public static TrainerState FromJson(string json, string path)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(json, JsonOptions) ?? throw new UserError($"{path}: empty JSON");
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}: malformed JSON ({e.Message.Split('\n')[0]})");
        }
    }
}
