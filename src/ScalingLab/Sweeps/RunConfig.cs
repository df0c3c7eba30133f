using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ScalingLab.Common;
using ScalingLab.Model;

namespace ScalingLab.Sweeps;

/// <summary>
/// One run of a sweep, as the registry stores it (config_json) and a worker trains it.
/// Its <see cref="Hash"/> identifies it: submitting the same config again finds the same run.
/// </summary>
public sealed record RunConfig
{
    /// <summary>The sweep's name.</summary>
    [JsonPropertyName("sweep")] public string Sweep { get; init; } = "";
    /// <summary>The grid this run belongs to.</summary>
    [JsonPropertyName("grid")] public string Grid { get; init; } = "";
    /// <summary>Readable name: grid-shape-dSIZE-sSEED.</summary>
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    /// <summary>The model to train.</summary>
    [JsonPropertyName("model")] public ModelConfig Model { get; init; } = new();
    /// <summary>The run's training config (tokens, seed and threads set from the axes; the data folder is <see cref="DataDir"/>).</summary>
    [JsonPropertyName("train")] public Training.TrainConfig Train { get; init; } = new();
    /// <summary>Identifies the data source (folder or generator + options); part of the hash.</summary>
    [JsonPropertyName("data_key")] public string DataKey { get; init; } = "";
    /// <summary>The data folder on disk (not part of the hash: a sweep folder may move).</summary>
    [JsonPropertyName("data_dir")] public string DataDir { get; init; } = "";
    /// <summary>Training tokens D: the run draws this many tokens of windows from the training split, without replacement.</summary>
    [JsonPropertyName("data_tokens")] public long DataTokens { get; init; }
    /// <summary>Seed of initialisation and batch order.</summary>
    [JsonPropertyName("seed")] public ulong Seed { get; init; }
    /// <summary>Threads the run's training uses (results are bit-identical for the same seed and thread count).</summary>
    [JsonPropertyName("threads")] public int Threads { get; init; } = 1;

    internal static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Optimiser updates: ⌈data tokens / (batch × accum × seq)⌉, as the trainer counts them.</summary>
    [JsonIgnore]
    public long Steps
    {
        get
        {
            long perStep = (long)Train.Batch * Train.Accum * Train.Seq;
            return (DataTokens + perStep - 1) / perStep;
        }
    }

    /// <summary>The stable identity of this run: a hash of everything that decides its result (not the data folder's path).</summary>
    [JsonIgnore]
    public string Hash
    {
        get
        {
            var node = Node();
            node.Remove("data_dir");
            return Canonical.Hash(node);
        }
    }

    /// <summary>
    /// The stored JSON: training settings added after sweeps were first stored are left out at their neutral value
    /// (precision fp32, windows auto, no separator, no data folder inside train), so existing runs keep their hash.
    /// </summary>
    private JsonObject Node()
    {
        var node = JsonSerializer.SerializeToNode(this, Options)!.AsObject();
        if (node["train"] is JsonObject t)
        {
            foreach (var (key, neutral) in new (string, JsonNode?)[] { ("precision", "fp32"), ("windows", null), ("separator", -1), ("data", null) })
                if (t.ContainsKey(key) && JsonNode.DeepEquals(t[key], neutral)) t.Remove(key);
        }
        return node;
    }

    /// <summary>The JSON the registry stores.</summary>
    public string ToJson() => Node().ToJsonString(Options);

    /// <summary>Reads a stored config.</summary>
    public static RunConfig FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<RunConfig>(json, Options) ?? throw new UserError("run config: empty JSON");
        }
        catch (JsonException e)
        {
            throw new UserError($"run config: malformed JSON ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>The run's folder inside the sweep folder: runs/NAME-HASH8.</summary>
    [JsonIgnore] public string RunDirName => $"{Name}-{Hash[..8]}";
}
