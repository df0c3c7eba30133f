using System.Text.Json;
using System.Text.Json.Serialization;
using ScalingLab.Common;
using ScalingLab.Model;

namespace ScalingLab.Training;

/// <summary>
/// What a finished run measured, as RUN/summary.json holds it (snake_case keys). The trainer writes it; a sweep worker
/// stores the same record in the registry; `train --json`, the memory bound, the dynamics analysis and the report read
/// it back typed. Loss fields are nats/token; null where not measured.
/// </summary>
public sealed record RunSummary
{
    /// <summary>"done" when the schedule finished.</summary>
    public string Status { get; init; } = "done";
    /// <summary>Updates taken.</summary>
    public long Step { get; init; }
    /// <summary>Updates in the schedule.</summary>
    public long TotalSteps { get; init; }
    /// <summary>Training tokens consumed.</summary>
    public long Tokens { get; init; }
    /// <summary>True when the schedule ran to its end.</summary>
    public bool Completed { get; init; }
    /// <summary>Lowest validation loss over the evaluations (Kaplan's early-stopped loss).</summary>
    public double? MinValLoss { get; init; }
    /// <summary>Step of that minimum.</summary>
    public long? MinValStep { get; init; }
    /// <summary>Validation loss at the last evaluation.</summary>
    public double? FinalValLoss { get; init; }
    /// <summary>Training loss on the fixed training evaluation windows at the last evaluation (comparable with the val loss).</summary>
    public double? FinalTrainLoss { get; init; }
    /// <summary>Lowest training-window loss over the evaluations.</summary>
    public double? MinTrainLoss { get; init; }
    /// <summary>Step of that minimum.</summary>
    public long? MinTrainStep { get; init; }
    /// <summary>How training windows were laid out (train.json's windows: stream or aligned).</summary>
    public string? Windows { get; init; }
    /// <summary>Entropy of the training data's unigram distribution.</summary>
    public double UnigramEntropy { get; init; }
    /// <summary>Validation loss of the unigram model.</summary>
    public double UnigramValLoss { get; init; }
    /// <summary>True when the model's best validation loss beat the unigram model's.</summary>
    public bool BeatsUnigram => MinValLoss < UnigramValLoss;
    /// <summary>First evaluation step whose loss beat the unigram model (null if none).</summary>
    public long? BeatUnigramStep { get; init; }
    /// <summary>Training seconds to that step.</summary>
    [JsonPropertyName("beat_unigram_s")] public double? BeatUnigramSeconds { get; init; }
    /// <summary>Training wall time in seconds, across resumes.</summary>
    [JsonPropertyName("elapsed_s")] public double ElapsedSeconds { get; init; }
    /// <summary>Kaplan's N (non-embedding parameters); set when the model is known.</summary>
    public long? ParamsNonEmbedding { get; init; }
    /// <summary>Every trainable parameter.</summary>
    public long? ParamsTrainable { get; init; }
    /// <summary>6·N·D training FLOPs.</summary>
    [JsonPropertyName("flops_6n")] public double? Flops6N { get; init; }
    /// <summary>Training FLOPs by Kaplan's Table 1 (attention included).</summary>
    public double? FlopsExact { get; init; }

    /// <summary>The summary of a training result, with the model's parameter and FLOP counts.</summary>
    public static RunSummary Of(TrainResult r, ModelConfig model, string? windows, double elapsedSeconds) => new()
    {
        Status = r.Completed ? "done" : "stopped", Step = r.Step, TotalSteps = r.TotalSteps, Tokens = r.Tokens, Completed = r.Completed,
        MinValLoss = r.MinValLoss, MinValStep = r.MinValStep, FinalValLoss = r.FinalValLoss, FinalTrainLoss = r.FinalTrainLoss, MinTrainLoss = r.MinTrainLoss, MinTrainStep = r.MinTrainStep, Windows = windows,
        UnigramEntropy = r.UnigramEntropy, UnigramValLoss = r.UnigramValLoss, BeatUnigramStep = r.BeatUnigramStep,
        BeatUnigramSeconds = r.BeatUnigramSeconds, ElapsedSeconds = elapsedSeconds,
        ParamsNonEmbedding = ModelAccounting.NonEmbeddingParams(model), ParamsTrainable = ModelAccounting.TrainableParams(model),
        Flops6N = ModelAccounting.TrainingFlops6N(model, r.Tokens), FlopsExact = ModelAccounting.TrainingFlopsExact(model, r.Tokens),
    };

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
    private static readonly JsonSerializerOptions Indented = new(JsonOptions) { WriteIndented = true };

    /// <summary>The JSON text (summary.json, the registry's metrics, `train --json`).</summary>
    public string ToJson(bool indented = false) => JsonSerializer.Serialize(this, indented ? Indented : JsonOptions);

    /// <summary>Reads summary JSON; malformed text is a one-line <see cref="UserError"/> naming <paramref name="where"/>.</summary>
    public static RunSummary FromJson(string json, string where = "run summary")
    {
        try
        {
            return JsonSerializer.Deserialize<RunSummary>(json, JsonOptions) ?? throw new UserError($"{where}: empty JSON");
        }
        catch (JsonException e)
        {
            throw new UserError($"{where}: malformed JSON ({e.Message.Split('\n')[0]})");
        }
    }
}
