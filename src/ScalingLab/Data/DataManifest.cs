using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>One split of a data folder: its shard files, in order, and what they hold.</summary>
public sealed record SplitInfo
{
    /// <summary>Shard file names, relative to the data folder, read in this order.</summary>
    public List<string> Shards { get; init; } = [];

    /// <summary>Number of documents (lines, files or JSONL records) in the split.</summary>
    public long Documents { get; init; }

    /// <summary>Number of tokens across the split's shards (end-of-text separators included).</summary>
    public long Tokens { get; init; }
}

/// <summary>
/// manifest.json of a data folder: what made it (kind, source, parameters), the tokenizer and its hash,
/// and the splits. Generators with a known entropy rate record it here in nats per token.
/// </summary>
public sealed record DataManifest
{
    /// <summary>File name of the manifest inside a data folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>Format tag; always "scalinglab-data".</summary>
    public string Format { get; init; } = "scalinglab-data";

    /// <summary>Manifest version.</summary>
    public int Version { get; init; } = 1;

    /// <summary>What made the data: "corpus", "markov", "qf", "memorize".</summary>
    public string Kind { get; init; } = "corpus";

    /// <summary>Where the documents came from (a path or a generator description).</summary>
    public string Source { get; init; } = "";

    /// <summary>Vocabulary size of the tokenizer (every id is below it).</summary>
    public int VocabSize { get; init; }

    /// <summary>2 (uint16) or 4 (uint32).</summary>
    public int BytesPerToken { get; init; }

    /// <summary>Tokenizer file name inside the folder.</summary>
    public string Tokenizer { get; init; } = "tokenizer.json";

    /// <summary>Lower-case hex SHA-256 of the tokenizer file; every shard header carries the same bytes.</summary>
    public string TokenizerSha256 { get; init; } = "";

    /// <summary>Seed used for the split and for generators.</summary>
    public ulong Seed { get; init; }

    /// <summary>The splits by name ("train", "val", and for Question-Formation also "test", "gen").</summary>
    public Dictionary<string, SplitInfo> Splits { get; init; } = new();

    /// <summary>True entropy rate of the source in nats per token, when a generator knows it exactly.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? EntropyRateNats { get; init; }

    /// <summary>
    /// "aligned" when each document is a short line that training windows should start on and pack whole (the
    /// trainer's default window mode for this data); null otherwise.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Windows { get; init; }

    /// <summary>True for line-structured data: <see cref="Windows"/> = "aligned", or Question-Formation (kind "qf").</summary>
    [JsonIgnore] public bool LineStructured => Windows == "aligned" || Kind == "qf";

    /// <summary>Generator or pipeline parameters, as given.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonObject? Parameters { get; init; }

    /// <summary>Serializer options: snake_case names, indented.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    /// <summary>Reads DIR/manifest.json; a missing or unreadable file is a <see cref="UserError"/>.</summary>
    public static DataManifest Read(string dir)
    {
        string path = Path.Combine(dir, FileName);
        if (!Directory.Exists(dir)) throw new UserError($"data folder not found: {dir}; create one with 'scalinglab data tokenize|qf|markov'");
        if (!File.Exists(path)) throw new UserError($"{path} not found: {dir} is not a ScalingLab data folder; create one with 'scalinglab data tokenize|qf|markov'");
        DataManifest? m;
        try { m = JsonSerializer.Deserialize<DataManifest>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new UserError($"{path} is not valid JSON ({e.Message}); regenerate the data folder"); }
        if (m is null || m.Format != "scalinglab-data")
            throw new UserError($"{path} is not a ScalingLab data manifest (format must be 'scalinglab-data')");
        if (m.Version != 1) throw new UserError($"{path}: manifest version {m.Version} is not supported (this build reads 1)");
        return m;
    }

    /// <summary>Writes the manifest into <paramref name="dir"/> (atomically).</summary>
    public void Write(string dir) =>
        AtomicFile.WriteAllText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, Json) + "\n");
}
