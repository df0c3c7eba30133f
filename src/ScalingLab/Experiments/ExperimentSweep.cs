using System.Globalization;
using System.Text;
using ScalingLab.Common;

namespace ScalingLab.Experiments;

/// <summary>A model shape of an experiment's grid: layers × width.</summary>
public readonly record struct Shape(int Layers, int Width)
{
    /// <summary>"LxW".</summary>
    public override string ToString() => $"{Layers}x{Width}";
}

/// <summary>
/// One grid of an experiment's built-in sweep: a data source, model settings, training settings and the axes. The
/// data source is a function of the scale so that a generator's token count can grow with it.
/// </summary>
public sealed record ExperimentGrid
{
    /// <summary>Grid name (part of every run's name).</summary>
    public required string Name { get; init; }
    /// <summary>The YAML flow mapping of `data:` at scale K (e.g. "{ generator: zipf, options: { tokens: 4M } }").</summary>
    public required Func<double, string> Data { get; init; }
    /// <summary>Head size (widths are rounded to a multiple of it when scaled).</summary>
    public int HeadSize { get; init; } = 16;
    /// <summary>Extra `model:` fields as YAML flow entries (e.g. "flavour: gpt2, n_ctx: 64"), or empty.</summary>
    public string ModelExtra { get; init; } = "";
    /// <summary>The `train:` flow mapping's entries (e.g. "batch: 16, seq: 64, lr: 3e-3").</summary>
    public required string Train { get; init; }
    /// <summary>Model shapes at scale 1.</summary>
    public required IReadOnlyList<Shape> Models { get; init; }
    /// <summary>Training tokens per run at scale 1.</summary>
    public required IReadOnlyList<long> DataSizes { get; init; }
    /// <summary>Seeds.</summary>
    public IReadOnlyList<ulong> Seeds { get; init; } = [1];
}

/// <summary>
/// An experiment's sweep, rendered as an ordinary sweep spec (so it runs, resumes, reuses finished runs and exports to
/// Slurm like any sweep). <c>--scale K</c> multiplies every model's parameter count by about K (width × √K, rounded to
/// the head size) and every data size by K.
/// </summary>
public sealed record ExperimentSweep(string Name, IReadOnlyList<ExperimentGrid> Grids)
{
    /// <summary>An experiment's sweep at the full size (named NAME) or the CI size (NAME-quick).</summary>
    public static ExperimentSweep Of(string experiment, bool quick, IReadOnlyList<ExperimentGrid> grids) =>
        new(quick ? experiment + "-quick" : experiment, grids);

    /// <summary>The width of <paramref name="width"/> at scale <paramref name="scale"/>: ×√K, a multiple of the head size.</summary>
    public static int ScaleWidth(int width, double scale, int headSize)
    {
        if (scale == 1) return width;
        double w = width * Math.Sqrt(scale);
        return Math.Max(headSize, (int)Math.Round(w / headSize) * headSize);
    }

    /// <summary>A token count at scale <paramref name="scale"/>.</summary>
    public static long ScaleTokens(long tokens, double scale) => Math.Max(1, (long)Math.Round(tokens * scale));

    /// <summary>The sweep spec (YAML) at scale <paramref name="scale"/>; the sweep is named NAME or NAME-xK.</summary>
    public string ToYaml(double scale)
    {
        if (!(scale > 0) || double.IsInfinity(scale)) throw new UserError($"reproduce: --scale {scale} must be a positive number");
        string I(double x) => x.ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append("# Built-in sweep of `scalinglab reproduce ").Append(Name).Append("` at scale ").Append(I(scale)).Append('\n');
        sb.Append("name: ").Append(SweepName(scale)).Append('\n');
        sb.Append("grids:\n");
        foreach (var g in Grids)
        {
            var models = g.Models.Select(m => $"{m.Layers}x{ScaleWidth(m.Width, scale, g.HeadSize)}").Distinct();
            var sizes = g.DataSizes.Select(d => I(ScaleTokens(d, scale))).Distinct();
            sb.Append("  - name: ").Append(g.Name).Append('\n');
            sb.Append("    data: ").Append(g.Data(scale)).Append('\n');
            sb.Append("    model: { head_size: ").Append(g.HeadSize).Append(g.ModelExtra.Length > 0 ? ", " + g.ModelExtra : "").Append(" }\n");
            sb.Append("    train: { ").Append(g.Train).Append(" }\n");
            sb.Append("    axes: { models: [").Append(string.Join(", ", models)).Append("], data_sizes: [")
              .Append(string.Join(", ", sizes)).Append("], seeds: [").Append(string.Join(", ", g.Seeds)).Append("] }\n");
        }
        return sb.ToString();
    }

    /// <summary>The sweep's name at a scale: NAME at 1, NAME-x4 at 4.</summary>
    public string SweepName(double scale) => scale == 1 ? Name : $"{Name}-x{scale.ToString("0.###", CultureInfo.InvariantCulture)}";
}
