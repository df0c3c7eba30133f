using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ScalingLab.Common;
using ScalingLab.Reports;

namespace ScalingLab.Experiments;

/// <summary>
/// The outcome of one `scalinglab reproduce` experiment as saved in OUT/NAME/result.json (and in the sweep folder as
/// reproduce.json, so that `scalinglab report SWEEP` includes it): the claim, the rule, the paper's values, the
/// verdict with every measured figure, the results table and figures, and the wall time.
/// </summary>
public sealed record ExperimentResult
{
    /// <summary>The file in the experiment's folder.</summary>
    public const string FileName = "result.json";
    /// <summary>The copy in the sweep folder that the report looks for.</summary>
    public const string SweepFileName = "reproduce.json";

    /// <summary>Experiment name.</summary>
    public required string Name { get; init; }
    /// <summary>Section heading.</summary>
    public required string Title { get; init; }
    /// <summary>The paper's claim and the scale difference.</summary>
    public required string Claim { get; init; }
    /// <summary>The rule fixed before the run.</summary>
    public required string Rule { get; init; }
    /// <summary>Published values beside ours.</summary>
    public required IReadOnlyList<PaperValue> Reference { get; init; }
    /// <summary>The verdict.</summary>
    public required Verdict Verdict { get; init; }
    /// <summary>Headline lines.</summary>
    public required IReadOnlyList<string> Summary { get; init; }
    /// <summary>Results table header.</summary>
    public required string[] TableHead { get; init; }
    /// <summary>Results table rows.</summary>
    public required IReadOnlyList<string[]> TableRows { get; init; }
    /// <summary>Figures (files in <see cref="Dir"/>).</summary>
    public required IReadOnlyList<FigureRef> Figures { get; init; }
    /// <summary>The experiment's folder (absolute when written).</summary>
    public required string Dir { get; init; }
    /// <summary>The sweep folder.</summary>
    public required string SweepDir { get; init; }
    /// <summary>Finished runs analysed.</summary>
    public required int Runs { get; init; }
    /// <summary>CI size?</summary>
    public required bool Quick { get; init; }
    /// <summary>The --scale multiplier.</summary>
    public required double Scale { get; init; }
    /// <summary>Wall time of training: this invocation's, or, when every run was reused, the one recorded by the invocation that trained them.</summary>
    public required double TrainSeconds { get; init; }
    /// <summary>Wall time of the whole experiment: this invocation, plus the earlier training when every run was reused.</summary>
    public required double WallSeconds { get; init; }
    /// <summary>Cores the machine had.</summary>
    public required int Cores { get; init; }
    /// <summary>The command that reproduces it.</summary>
    public required string Command { get; init; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Writes the result atomically to <paramref name="path"/>.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>Reads a saved result.</summary>
    public static ExperimentResult Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ExperimentResult>(File.ReadAllText(path), Json)
                   ?? throw new UserError($"{path}: empty experiment result");
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}: malformed experiment result ({e.Message.Split('\n')[0]}); run `scalinglab reproduce` again");
        }
    }

    /// <summary>The results section (figures read from <see cref="Dir"/>) for report.html / report.md.</summary>
    public ReportSection Section()
    {
        var s = new ReportSection("reproduce-" + Name, $"Reproduction: {Title}");
        s.Text(Claim);
        s.Text($"Verdict: {Verdict.Label}. Rule (fixed before the run): {Rule}");
        s.Table(["criterion", "measured", "rule", "held"],
                Verdict.Checks.Select(c => new[] { c.Name, VerdictCheck.Fmt(c.Measured), c.Rule, c.Pass ? "yes" : "no" }).ToList());
        foreach (string line in Summary) s.Text(line);
        if (Reference.Count > 0)
            s.Table(["published quantity", "value", "source"], Reference.Select(r => new[] { r.Quantity, r.Value, r.Source }).ToList());
        s.Table(TableHead, TableRows);
        foreach (var f in Figures)
        {
            string path = Path.Combine(Dir, f.File);
            if (File.Exists(path)) s.Figure($"{Name}-{f.File}", File.ReadAllText(path, Encoding.UTF8), f.Caption);
        }
        s.Text($"{Runs} runs{(Quick ? " (--quick)" : "")}, scale {Scale:0.###}; wall time {WallSeconds / 60:0.0} min " +
               $"(training {TrainSeconds / 60:0.0} min) on {Cores} cores. Command: {Command}");
        return s;
    }
}
