using System.Text.Json;
using System.Text.Json.Serialization;
using ScalingLab.Common;

namespace ScalingLab.Training;

/// <summary>One row of metrics.jsonl. Fields that were not measured at a step are null.</summary>
public sealed record MetricsRow
{
    /// <summary>Updates taken (0 = the initial weights).</summary>
    [JsonPropertyName("step")] public long Step { get; init; }
    /// <summary>Training tokens consumed.</summary>
    [JsonPropertyName("tokens")] public long Tokens { get; init; }
    /// <summary>Mean training loss (nats/token) of the batch of this update, before the update.</summary>
    [JsonPropertyName("train_loss")] public double? TrainLoss { get; init; }
    /// <summary>Validation loss (nats/token) on the fixed evaluation windows after this update.</summary>
    [JsonPropertyName("val_loss")] public double? ValLoss { get; init; }
    /// <summary>
    /// Training loss (nats/token) on the fixed training windows after this update, measured with the validation loss
    /// (null between evaluations): the smooth training curve beside the validation one.
    /// </summary>
    [JsonPropertyName("train_eval_loss")] public double? TrainEvalLoss { get; init; }
    /// <summary>Learning rate of this update.</summary>
    [JsonPropertyName("lr")] public double? Lr { get; init; }
    /// <summary>Global L2 norm of the gradient before clipping.</summary>
    [JsonPropertyName("grad_norm")] public double? GradNorm { get; init; }
    /// <summary>
    /// With gradient accumulation: the global L2 norm of the first micro-batch's gradient alone (a batch of
    /// batch × seq tokens, against grad_norm's batch × seq × accum), for the gradient noise scale.
    /// </summary>
    [JsonPropertyName("grad_norm_micro")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? GradNormMicro { get; init; }
    /// <summary>Training throughput of this update (wall clock; not part of the deterministic record).</summary>
    [JsonPropertyName("tokens_per_s")] public double? TokensPerS { get; init; }
}

/// <summary>
/// metrics.jsonl: one JSON row per step, appended and flushed as training goes. On resume the rows after the
/// checkpoint step (and a torn last line from a crash) are cut away first, so a resumed run neither loses nor
/// duplicates rows.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly FileStream _file;
    private readonly string _path;

    /// <summary>Opens <paramref name="path"/> for appending (creating it).</summary>
    public MetricsLog(string path)
    {
        _path = path;
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
    }

    /// <summary>Appends one row (one write call, so a full disk leaves at most a torn last line, which readers skip).</summary>
    public void Append(MetricsRow row)
    {
        byte[] line = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(row, JsonOptions) + "\n");
        try
        {
            _file.Write(line);
        }
        catch (IOException e) when (DiskFull.Is(e))
        {
            throw DiskFull.Error(_path, line.Length + (1 << 16));
        }
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    /// <summary>Reads every complete row of <paramref name="path"/> (a torn or malformed line ends the read).</summary>
    public static List<MetricsRow> Read(string path)
    {
        var rows = new List<MetricsRow>();
        if (!File.Exists(path)) return rows;
        foreach (string line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            try
            {
                rows.Add(JsonSerializer.Deserialize<MetricsRow>(line, JsonOptions)!);
            }
            catch (JsonException)
            {
                break;
            }
        }
        return rows;
    }

    /// <summary>Rewrites <paramref name="path"/> atomically with only the rows at or before <paramref name="step"/>.</summary>
    public static void TruncateAfter(string path, long step)
    {
        var keep = Read(path).Where(r => r.Step <= step);
        var text = new System.Text.StringBuilder();
        foreach (var r in keep) text.Append(JsonSerializer.Serialize(r, JsonOptions)).Append('\n');
        AtomicFile.WriteAllText(path, text.ToString());
    }
}
