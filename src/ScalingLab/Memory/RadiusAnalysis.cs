using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Memory;

/// <summary>
/// Settings of the radius experiment (<see cref="RadiusAnalysis.Run"/>). The vectors come either from a file
/// (<see cref="Matrix"/>) or from a checkpoint run on chunks of a data folder (<see cref="Checkpoint"/> + <see cref="Data"/>).
/// </summary>
public sealed record RadiusOptions
{
    /// <summary>Vectors file: raw float32 row-major (needs <see cref="Dim"/>) or float32 .npy (`--matrix`).</summary>
    public string? Matrix { get; init; }
    /// <summary>Row length of a raw <see cref="Matrix"/> (`--dim`).</summary>
    public int? Dim { get; init; }
    /// <summary>Checkpoint folder whose final hidden states are measured (`--checkpoint`).</summary>
    public string? Checkpoint { get; init; }
    /// <summary>Data folder the chunks come from (`--shard`).</summary>
    public string? Data { get; init; }
    /// <summary>Split of <see cref="Data"/>: "train" by default, as the paper sampled training text (`--split`).</summary>
    public string Split { get; init; } = "train";
    /// <summary>Chunks (vectors), drawn without replacement (`--chunks`; the paper: 80K).</summary>
    public int Chunks { get; init; } = 4096;
    /// <summary>Tokens per chunk, capped at the model's n_ctx (`--seq-len`; the paper: 256).</summary>
    public int SeqLen { get; init; } = 256;
    /// <summary>Chunks per forward pass (`--batch`).</summary>
    public int Batch { get; init; } = 16;
    /// <summary>Take the final hidden state before the final LayerNorm instead of after it (`--before-norm`).</summary>
    public bool BeforeFinalNorm { get; init; }
    /// <summary>Seed of the chunk starts, the random subsets and the null draws (`--seed`).</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Threads, 0 = all cores (`--threads`).</summary>
    public int Threads { get; init; }
    /// <summary>GEMM backend (`--gemm`).</summary>
    public string Gemm { get; init; } = "auto";
    /// <summary>Histogram bins (`--bins`).</summary>
    public int Bins { get; init; } = 40;
    /// <summary>Independent draws of the Gaussian null (`--null-draws`; 0 = no null).</summary>
    public int NullDraws { get; init; } = 3;
    /// <summary>Folder for radius.json and radius_histogram.svg; null = write nothing (`--out`).</summary>
    public string? OutDir { get; init; }
    /// <summary>Where progress lines go; null = nowhere.</summary>
    [JsonIgnore] public TextWriter? Log { get; init; }
}

/// <summary>One subset of the sample: its NN statistics, the null's on as many vectors, and the two comparisons.</summary>
/// <param name="Fraction">Fraction of the sample (the paper's 25/50/75/100 %).</param>
/// <param name="Count">Vectors in the subset.</param>
/// <param name="Sample">NN-distance statistics of the sample's subset.</param>
/// <param name="Null">NN-distance statistics of the first null draw's subset of the same size (null when no null was drawn).</param>
/// <param name="NullMeans">Mean NN distance of each null draw's subset.</param>
/// <param name="MeanOverTwoR">Sample mean NN distance / 2r (2r = the paper's predicted separation, Niu et al. §6.1 / Fig. 2).</param>
/// <param name="MedianOverTwoR">Sample median NN distance / 2r.</param>
/// <param name="MeanRatioToNull">Sample mean / the null draws' average mean (null without a null).</param>
/// <param name="MedianRatioToNull">Sample median / the null draws' average median (null without a null).</param>
public sealed record RadiusSubset(double Fraction, int Count, RadiusStatistics Sample, RadiusStatistics? Null, double[] NullMeans,
                                  double MeanOverTwoR, double MedianOverTwoR, double? MeanRatioToNull, double? MedianRatioToNull);

/// <summary>The radius experiment's answer (<see cref="RadiusAnalysis.Run"/>); <c>--json</c> and radius.json are this record serialised.</summary>
public sealed record RadiusResult(
    string Source, int Vectors, int Dim, double PredictedRadius, double PredictedSeparation, IReadOnlyList<RadiusSubset> Subsets,
    int NullDraws, double? Slope, double? NullSlope, string Verdict, string VerdictRule, double Seconds)
{
    /// <summary>The full sample (the last subset).</summary>
    [JsonIgnore] public RadiusSubset All => Subsets[^1];
    /// <summary>Vectors in the full sample.</summary>
    public int Count => All.Count;
    /// <summary>Mean NN distance of the full sample.</summary>
    public double Mean => All.Sample.Mean;
    /// <summary>Median NN distance of the full sample.</summary>
    public double Median => All.Sample.Median;
    /// <summary>Mean NN distance / 2r of the full sample.</summary>
    public double MeanOverTwoR => All.MeanOverTwoR;
    /// <summary>Mean NN distance of the full sample / the null's (null without a null).</summary>
    public double? RatioToNull => All.MeanRatioToNull;
    /// <summary>Files written (radius.json, radius_histogram.svg) when an output folder was given.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private static readonly JsonSerializerOptions JsonIndented = new(JsonOptions) { WriteIndented = true };

    /// <summary>This record as JSON (snake_case keys), one line or indented.</summary>
    public string ToJson(bool indented = false) => JsonSerializer.Serialize(this, indented ? JsonIndented : JsonOptions);

    /// <summary>The human table: prediction, per-subset statistics against 2r and the null, slopes and the verdict.</summary>
    public string Table()
    {
        var sb = new StringBuilder();
        void L(FormattableString s) => sb.AppendLine(s.ToString(CultureInfo.InvariantCulture));
        L($"nearest-neighbour distance of {Vectors} vectors, n = {Dim} ({Source}; {Seconds:0.0} s)");
        L($"predicted (Niu et al. §6.1, n = d_model as the paper plugged in): r = √(n/2πe) = {PredictedRadius:0.###}, neighbours about 2r = {PredictedSeparation:0.###} apart");
        L($"null: NN distances of as many Gaussian vectors with the sample's mean and covariance ({NullDraws} draw{(NullDraws == 1 ? "" : "s")})");
        L($"  subset    count       mean     median        std        min        max   mean/2r  null mean  mean/null");
        foreach (var s in Subsets)
            L($"  {100 * s.Fraction,5:0}%  {s.Count,7}  {s.Sample.Mean,9:0.####}  {s.Sample.Median,9:0.####}  {s.Sample.Std,9:0.####}  {s.Sample.Min,9:0.####}  {s.Sample.Max,9:0.####}  {s.MeanOverTwoR,8:0.###}  {Opt(s.NullMeans.Length > 0 ? s.NullMeans.Average() : null),9}  {Opt(s.MeanRatioToNull),9}");
        if (Slope is { } a)
            L($"slope of log mean NN distance on log sample size: {a:0.####} (null {Opt(NullSlope)}; a Gaussian of intrinsic dimension k gives ≈ −1/k)");
        L($"verdict: {Verdict} (rule: {VerdictRule})");
        L($"{PaperComparison}");
        return sb.ToString();
    }

    /// <summary>What the paper measured, for the comparison (Niu et al. v2 App. F.1; spec §7.1).</summary>
    public const string PaperComparison =
        "the paper: GPT-2 medium (n = 1024), 80K chunks of 256 tokens of OpenWebText (training text): mean ≈ median ≈ 20 against 2r = 15.49, " +
        "i.e. NN distance / 2r ≈ 1.3, with no null model";

    /// <summary>One paragraph for a report: NN distance against 2r and against the null, the slopes and the verdict.</summary>
    public string Finding()
    {
        string nul = RatioToNull is { } q
            ? F($"{q:0.###} × the mean NN distance of as many Gaussian vectors with the sample's mean and covariance ({NullDraws} draws): {Verdict}")
            : "no null model was drawn";
        string slope = Slope is { } a && NullSlope is { } b
            ? F($" Slope of log mean NN distance on log sample size {a:0.###} against the null's {b:0.###}.")
            : "";
        return F($"Mean nearest-neighbour distance {Mean:G4} (median {Median:G4}) over {Count} vectors, n = {Dim}: {MeanOverTwoR:0.###} × 2r (2r = 2√(n/2πe) = {PredictedSeparation:G4}, the paper's predicted separation), and ") +
               nul + "." + slope + " For comparison, " + PaperComparison + ".";
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Opt(double? v) => v is { } x ? x.ToString("0.####", CultureInfo.InvariantCulture) : "-";
}

/// <summary>
/// Niu et al.'s radius experiment (v2 App. F.1 / v1 §6.1) as one call: final hidden states of chunks of training
/// text drawn without replacement (or vectors from a file), each vector's exact nearest-neighbour distance within
/// random 25/50/75/100 % subsets, compared with the paper's predicted separation 2r, r = √(n/(2πe)) (§5, Fig. 2:
/// neighbours about 2r apart), and with a null model: the NN distances of as many Gaussian vectors with the
/// sample's mean and covariance (<see cref="GaussianNull"/>). The sample-size dependence is a fitted slope of log
/// mean NN distance on log subset size, beside the null's (any sample's NN distance falls as it grows; only the
/// rate against the null's says something about structure).
/// </summary>
public static class RadiusAnalysis
{
    /// <summary>The verdict's bounds on mean NN distance / null mean NN distance (fixed before any run).</summary>
    public const double CloserBelow = 0.95, FartherAbove = 1.05;

    /// <summary>The rule as printed beside the verdict.</summary>
    public static readonly string VerdictRule = FormattableString.Invariant(
        $"closer than chance when the full sample's mean NN distance is < {CloserBelow} × the Gaussian null's, farther when > {FartherAbove} ×, otherwise no different from chance");

    /// <summary>Reads or samples the vectors named by <paramref name="o"/>, measures them, and writes the files when <see cref="RadiusOptions.OutDir"/> is set.</summary>
    public static RadiusResult Run(RadiusOptions o)
    {
        if (o.Bins < 1) throw new UserError($"radius: --bins must be ≥ 1 (got {o.Bins})");
        if (o.NullDraws < 0) throw new UserError($"radius: --null-draws must be ≥ 0 (got {o.NullDraws})");
        if ((o.Matrix is null) == (o.Checkpoint is null))
            throw new UserError("radius: give the vectors either with --matrix FILE (raw float32 with --dim n, or .npy) or with --checkpoint DIR --shard DIR");
        int threads = o.Threads > 0 ? o.Threads : Environment.ProcessorCount;
        var gemm = Tensors.Gemm.Create(o.Gemm, threads);
        float[] x;
        int m, n;
        string source;
        if (o.Matrix is not null)
        {
            (x, m, n) = VectorFile.Read(o.Matrix, o.Dim);
            source = $"vectors from {o.Matrix}";
        }
        else
        {
            (x, m, n, source) = SampleCheckpoint(o, gemm, threads);
        }
        o.Log?.WriteLine($"radius: {m} vectors of dimension {n}, {source}");
        var result = Measure(x, m, n, o, source, gemm, threads);
        if (o.OutDir is null) return result;
        Directory.CreateDirectory(o.OutDir);
        string json = Path.Combine(o.OutDir, "radius.json"), svg = Path.Combine(o.OutDir, "radius_histogram.svg");
        result = result with { Files = [json, svg] };
        AtomicFile.WriteAllText(json, result.ToJson(indented: true));
        RadiusFigure.Save(svg, result);
        return result;
    }

    private static (float[], int, int, string) SampleCheckpoint(RadiusOptions o, IGemm gemm, int threads)
    {
        string ckpt = o.Checkpoint!;
        string dataDir = o.Data ?? throw new UserError("radius: --checkpoint needs --shard DIR (the data folder to sample chunks from)");
        if (!Directory.Exists(ckpt)) throw new UserError($"radius: checkpoint folder '{ckpt}' not found");
        if (o.Batch < 1) throw new UserError($"radius: --batch must be ≥ 1 (got {o.Batch})");
        if (o.Chunks < 2) throw new UserError($"radius: --chunks must be ≥ 2 (got {o.Chunks})");
        var cfg = ModelFolder.ReadConfig(ckpt);
        int len = Math.Min(o.SeqLen, cfg.NCtx);
        if (len < 1) throw new UserError($"radius: --seq-len must be ≥ 1 (got {o.SeqLen})");
        var model = Checkpoints.Load(ckpt, o.Batch, len, gemm, threads);
        using var ds = TokenDataset.Open(dataDir);
        var tokens = ds.Split(o.Split);
        bool after = !o.BeforeFinalNorm;
        var progress = o.Log is null ? null : new ProgressLine(o.Log, "activations:");
        var x = ActivationSampler.FinalPositions(model, tokens, o.Chunks, o.Seed, after, progress is null ? null : progress.Report);
        progress?.Finish();
        string source = $"{o.Chunks} chunks of {len} tokens drawn without replacement from {dataDir} ({o.Split} split), " +
                        $"final position {(after ? "after" : "before")} the final LayerNorm of {ckpt}";
        return (x, o.Chunks, cfg.DModel, source);
    }

    /// <summary>
    /// Measures m vectors of dimension n (rows of <paramref name="x"/>, shuffled in place): the sample's subsets,
    /// <see cref="RadiusOptions.NullDraws"/> Gaussian null draws of m vectors, ratios, slopes and the verdict.
    /// </summary>
    public static RadiusResult Measure(float[] x, int m, int n, RadiusOptions o, string source, IGemm gemm, int threads)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        GaussianFit? fit = o.NullDraws > 0 ? GaussianNull.Fit(x, m, n, gemm) : null;
        var progress = o.Log is null ? null : new ProgressLine(o.Log, "nearest neighbours:");
        var sample = NeighbourRadius.Measure(x, m, n, gemm, threads, o.Seed, bins: o.Bins,
                                             progress: progress is null ? null : f => progress.Report(f / (1 + o.NullDraws)));
        var nulls = new List<RadiusReport>();
        for (int d = 0; d < o.NullDraws; d++)
        {
            var z = GaussianNull.Sample(fit!, m, o.Seed, gemm, d);
            int done = d + 1;
            nulls.Add(NeighbourRadius.Measure(z, m, n, gemm, threads, o.Seed, bins: o.Bins,
                                              progress: progress is null ? null : f => progress.Report((done + f) / (1 + o.NullDraws))));
        }
        progress?.Finish();

        double r = BallMass.PredictedRadius(n), sep = 2 * r;
        var subsets = new List<RadiusSubset>();
        for (int s = 0; s < sample.Subsets.Count; s++)
        {
            var st = sample.Subsets[s];
            var nullMeans = nulls.Select(u => u.Subsets[s].Mean).ToArray();
            double? ratioMean = nulls.Count > 0 ? st.Mean / nullMeans.Average() : null;
            double? ratioMedian = nulls.Count > 0 ? st.Median / nulls.Average(u => u.Subsets[s].Median) : null;
            subsets.Add(new RadiusSubset(st.Fraction, st.Count, st, nulls.Count > 0 ? nulls[0].Subsets[s] : null, nullMeans,
                                         st.Mean / sep, st.Median / sep, ratioMean, ratioMedian));
        }
        double? slope = LogLogSlope(subsets.Select(s => (s.Count, s.Sample.Mean)).ToList());
        double? nullSlope = nulls.Count == 0 ? null
            : LogLogSlope(subsets.Select((s, i) => (s.Count, s.NullMeans.Average())).ToList());
        string verdict = subsets[^1].MeanRatioToNull switch
        {
            null => "no null drawn (--null-draws 0)",
            < CloserBelow => "closer than chance",
            > FartherAbove => "farther than chance",
            _ => "no different from chance",
        };
        return new RadiusResult(source, m, n, r, sep, subsets, o.NullDraws, slope, nullSlope, verdict, VerdictRule,
                                sw.Elapsed.TotalSeconds);
    }

    /// <summary>Least-squares slope of ln(value) on ln(count) over points with distinct counts; null with fewer than two, or a non-positive value.</summary>
    public static double? LogLogSlope(IReadOnlyList<(int Count, double Value)> points)
    {
        var p = points.DistinctBy(q => q.Count).ToList();
        if (p.Count < 2 || p.Any(q => !(q.Value > 0))) return null;
        double mx = p.Average(q => Math.Log(q.Count)), my = p.Average(q => Math.Log(q.Value));
        double sxy = p.Sum(q => (Math.Log(q.Count) - mx) * (Math.Log(q.Value) - my));
        double sxx = p.Sum(q => (Math.Log(q.Count) - mx) * (Math.Log(q.Count) - mx));
        return sxy / sxx;
    }
}
