using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ScalingLab.Dynamics;

/// <summary>Settings of <see cref="DynamicsAnalysis.Run"/>: the run folders, the evaluation batch, the thresholds, and where to write.</summary>
public sealed record DynamicsOptions
{
    /// <summary>Run folders with checkpoints, e.g. one per model size (`--run`).</summary>
    public IReadOnlyList<string> Runs { get; init; } = [];
    /// <summary>
    /// Checkpoint folders forming one series in place of a run (`--series`), e.g. Pythia's step revisions; evaluated
    /// on a slice of <see cref="Split"/> (default val) of <see cref="Data"/>.
    /// </summary>
    public IReadOnlyList<string> Series { get; init; } = [];
    /// <summary>Tokens per sequence for a <see cref="Series"/> (`--seq`); null = min(n_ctx, 128).</summary>
    public int? Seq { get; init; }
    /// <summary>Folder for the CSV/JSON tables and SVG plots; null = write nothing (`--out`).</summary>
    public string? OutDir { get; init; }
    /// <summary>Layer indices to analyse; null = all (`--layers`).</summary>
    public IReadOnlyList<int>? Layers { get; init; }
    /// <summary>Data folder; null = the run's (`--data`).</summary>
    public string? Data { get; init; }
    /// <summary>Evaluate on a slice of this split instead of the last training batch (`--split`).</summary>
    public string? Split { get; init; }
    /// <summary>First token of the slice (`--offset`).</summary>
    public long Offset { get; init; }
    /// <summary>Sequences in the evaluation batch; null = the run's training batch (`--batch`).</summary>
    public int? Batch { get; init; }
    /// <summary>Indicator thresholds and the PER rule.</summary>
    public IndicatorThresholds Thresholds { get; init; } = new();
    /// <summary>Threads, 0 = all processors (`--threads`).</summary>
    public int Threads { get; init; }
    /// <summary>GEMM backend (`--gemm`).</summary>
    public string Gemm { get; init; } = "auto";
    /// <summary>Progress lines; null = nowhere.</summary>
    [JsonIgnore] public TextWriter? Log { get; init; }
}

/// <summary>One model's answer: when its median layer converges, its MCC row, and a warning when it has too few layers.</summary>
/// <param name="Run">Run folder.</param>
/// <param name="Size">"LxD".</param>
/// <param name="Layers">Layers measured (the items the MCC correlates over).</param>
/// <param name="Checkpoints">Checkpoints in the series.</param>
/// <param name="MedianFirstFractionAtt">Fraction of training at which the median ATT layer first reaches the CKA threshold; null = never.</param>
/// <param name="MedianFirstFractionMlp">The same for MLP.</param>
/// <param name="Mcc">The MCC row, each cell with the reason when undefined.</param>
/// <param name="Warning">Set when the model has fewer than <see cref="DynamicsAnalysis.MinLayersForMcc"/> layers.</param>
public sealed record DynamicsModel(string Run, string Size, int Layers, int Checkpoints, double? MedianFirstFractionAtt,
                                   double? MedianFirstFractionMlp, MccRow Mcc, string? Warning);

/// <summary>Per model size: runs and the average median-layer convergence fraction (null when a run never reaches it).</summary>
public sealed record DynamicsSize(string Size, int Runs, double? MedianFirstFractionAtt, double? MedianFirstFractionMlp, string AttStatus, string MlpStatus);

/// <summary>
/// The dynamics analysis of a set of runs (<see cref="DynamicsAnalysis.Run"/>): the measured series, and per model and
/// size the derived answers. <c>--json</c> is this record serialised (the series themselves go to dynamics.json).
/// </summary>
public sealed record DynamicsResult(
    [property: JsonIgnore] IReadOnlyList<RunDynamics> Series, IndicatorThresholds Thresholds, string EarlyRule, string PerRule,
    [property: JsonPropertyName("runs")] IReadOnlyList<DynamicsModel> Models, IReadOnlyList<DynamicsSize> Sizes,
    IReadOnlyList<string> Warnings, string MccSummary)
{
    /// <summary>Output folder, when files were written.</summary>
    public string? Out { get; init; }
    /// <summary>Files written.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>Series grouped by model size, smallest first (by width, then layers).</summary>
    [JsonIgnore]
    public IReadOnlyList<IGrouping<string, RunDynamics>> BySize =>
        Series.GroupBy(r => r.Size).OrderBy(g => DynamicsAnalysis.SizeKey(g.Key)).ToList();

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>This record as one line of JSON (snake_case keys).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>The human table: per size the median-layer convergence fraction; per run the MCC row with the rule, the undefined cells' reasons and the warnings.</summary>
    public string Table()
    {
        var sb = new StringBuilder();
        var t = Thresholds;
        sb.AppendLine(Inv($"Fraction of training at which the median layer first reaches CKA ≥ {t.Cka:0.##} with the final checkpoint:"));
        sb.AppendLine($"{"size",-10} {"runs",4} {"ATT",8} {"MLP",8}");
        foreach (var s in Sizes) sb.AppendLine($"{s.Size,-10} {s.Runs,4} {s.AttStatus,8} {s.MlpStatus,8}");
        sb.AppendLine();
        sb.AppendLine("Matthews correlation across each model's layers of early convergence with large PER (PER = ER / min(rows, cols)):");
        sb.AppendLine($"  {EarlyRule};");
        sb.AppendLine($"  {PerRule}.");
        sb.AppendLine($"{"size",-10} {"θ^ATT",9} {"∇θ^ATT",9} {"θ^MLP",9} {"∇θ^MLP",9}  run");
        foreach (var m in Models)
            sb.AppendLine($"{m.Size,-10} {m.Mcc.ParamAtt,9} {m.Mcc.GradAtt,9} {m.Mcc.ParamMlp,9} {m.Mcc.GradMlp,9}  {m.Run}");
        string[] names = ["θ^ATT", "∇θ^ATT", "θ^MLP", "∇θ^MLP"];
        foreach (var m in Models)
            for (int i = 0; i < 4; i++)
                if (m.Mcc.Cells[i].Undefined is { } why) sb.AppendLine($"  {m.Size} {names[i]} undefined: {why}");
        sb.AppendLine(MccSummary);
        foreach (var w in Warnings) sb.AppendLine($"warning: {w}");
        return sb.ToString();
    }

    private static string Inv(FormattableString f) => f.ToString(CultureInfo.InvariantCulture);
}
