using ScalingLab.Common;

namespace ScalingLab.Dynamics;

/// <summary>One MCC cell: the value, or null with the reason (which indicator was constant across the layers).</summary>
/// <param name="Value">The Matthews correlation; null when undefined.</param>
/// <param name="Undefined">Why it is undefined, e.g. "early convergence (ATT) is true in all 6 layers"; null when defined.</param>
public sealed record MccCell(double? Value, string? Undefined)
{
    /// <summary>The cell of two labellings: MCC, or the constant one named.</summary>
    public static MccCell Of(bool[] early, string earlyName, bool[] large, string largeName)
    {
        double? v = Matthews.Correlation(early, large);
        if (v is not null) return new MccCell(v, null);
        var constant = new List<string>();
        if (early.Distinct().Count() < 2) constant.Add($"{earlyName} is {(early.Length > 0 && early[0] ? "true" : "false")} in all {early.Length} layers");
        if (large.Distinct().Count() < 2) constant.Add($"{largeName} is {(large.Length > 0 && large[0] ? "true" : "false")} in all {large.Length} layers");
        return new MccCell(null, string.Join("; ", constant));
    }

    /// <summary>"0.63" or "undefined".</summary>
    public override string ToString() => Matthews.Format(Value);
}

/// <summary>The MCC table row of one model: early convergence against each rank indicator.</summary>
/// <param name="ParamAtt">MCC(early ATT, large PER of W_O).</param>
/// <param name="GradAtt">MCC(early ATT, large PER of ∇W_O).</param>
/// <param name="ParamMlp">MCC(early MLP, large PER of the down projection).</param>
/// <param name="GradMlp">MCC(early MLP, large PER of its gradient).</param>
public sealed record MccRow(MccCell ParamAtt, MccCell GradAtt, MccCell ParamMlp, MccCell GradMlp)
{
    /// <summary>The four cells in table order.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<MccCell> Cells => [ParamAtt, GradAtt, ParamMlp, GradMlp];
}

/// <summary>The per-layer indicators of one site of one model.</summary>
public sealed record SiteIndicators(bool[] Early, bool[] LargeParamPer, bool[] LargeGradPer);

/// <summary>
/// What the paper derives from a run's series (Diehl Martinez et al. 2024, §4–5): percentiles across layers per
/// checkpoint, the three indicators per layer, their MCC table, and when the median layer first reaches the
/// CKA threshold. Mean curves per model size average runs of one size at the steps they share.
/// </summary>
public static class DynamicsAnalysis
{
    /// <summary>Fewer layers than this and an MCC across layers says little (a warning is printed with the table).</summary>
    public const int MinLayersForMcc = 4;

    /// <summary>
    /// The entry point: measures every run's checkpoint series (<see cref="SeriesAnalyzer"/>) on its evaluation batch
    /// (<see cref="EvalBatch"/>), derives the indicators and MCC (<see cref="Summarise"/>), and writes the tables and
    /// plots to <see cref="DynamicsOptions.OutDir"/> when set (<see cref="DynamicsReport.Write"/>).
    /// </summary>
    public static DynamicsResult Run(DynamicsOptions o)
    {
        if (o.Runs.Count == 0 && o.Series.Count == 0)
            throw new UserError("dynamics: give --run RUN_DIR or --series CKPT_DIR... (and --out DIR), or use a sub-verb: dynamics cka | erank");
        o.Thresholds.Validate();
        if (o.Threads < 0) throw new UserError($"dynamics: --threads must be ≥ 0 (got {o.Threads})");
        int threads = o.Threads == 0 ? Environment.ProcessorCount : o.Threads;
        var gemm = Tensors.Gemm.Create(o.Gemm, threads);
        // Check every run before the long work starts.
        foreach (string r in o.Runs) ActivationCapture.CheckLayers(SeriesAnalyzer.Open(r).Config, o.Layers);
        var series = new List<RunDynamics>();
        if (o.Series.Count > 0) series.Add(AnalyzeSeries(o, gemm, threads));
        foreach (string r in o.Runs)
        {
            var eval = EvalBatch.ForRun(r, o.Data, o.Split, o.Offset, o.Batch);
            o.Log?.WriteLine($"dynamics: {r}: evaluating on the {eval.Source}");
            series.Add(SeriesAnalyzer.Analyze(r, eval, gemm, threads, o.Layers, o.Log));
        }
        var result = Summarise(series, o.Thresholds);
        if (o.OutDir is null) return result;
        var files = DynamicsReport.Write(result, o.OutDir);
        return result with { Out = o.OutDir, Files = files };
    }

    /// <summary>The series of checkpoint folders (<see cref="DynamicsOptions.Series"/>), on a slice of a data folder's split.</summary>
    private static RunDynamics AnalyzeSeries(DynamicsOptions o, Tensors.IGemm gemm, int threads)
    {
        var (ckpts, config) = SeriesAnalyzer.OpenSeries(o.Series);
        ActivationCapture.CheckLayers(config, o.Layers);
        string dataDir = o.Data ?? throw new UserError("dynamics: --series needs --data DIR, a data folder tokenized with the checkpoints' tokenizer");
        string split = o.Split ?? "val";
        int seq = o.Seq ?? Math.Min(config.NCtx, 128), batch = o.Batch ?? 8;
        if (seq < 1 || seq > config.NCtx) throw new UserError($"dynamics: --seq {seq} must be in [1, {config.NCtx}] (the model's context)");
        if (batch < 1) throw new UserError($"dynamics: --batch must be ≥ 1 (got {batch})");
        using var data = Data.TokenDataset.Open(dataDir);
        if (!data.SplitNames.Contains(split))
            throw new UserError($"dynamics: data folder {dataDir} has no split '{split}'; it has {string.Join(", ", data.SplitNames)}");
        var eval = EvalBatch.Slice(data.Split(split), o.Offset, batch, seq, split);
        string name = Path.GetDirectoryName(Path.GetFullPath(Path.TrimEndingDirectorySeparator(o.Series[0]))) ?? o.Series[0];
        o.Log?.WriteLine($"dynamics: series of {ckpts.Count} checkpoints in {name}: evaluating on {eval.Source}");
        return SeriesAnalyzer.Analyze(name, ckpts, config, eval, gemm, threads, o.Layers, o.Log);
    }

    /// <summary>The derived answers for measured series: per run the MCC row (reasons for undefined cells) and warnings; per size the convergence fractions.</summary>
    public static DynamicsResult Summarise(IReadOnlyList<RunDynamics> series, IndicatorThresholds t)
    {
        var warnings = new List<string>();
        var models = new List<DynamicsModel>();
        foreach (var r in series)
        {
            string? warning = r.Layers < MinLayersForMcc
                ? $"{r.Run} ({r.Size}): the MCC correlates {r.Layers} layer{(r.Layers == 1 ? "" : "s")} (< {MinLayersForMcc}); so few items cannot give an informative correlation"
                : null;
            if (warning is not null) warnings.Add(warning);
            models.Add(new DynamicsModel(r.Run, r.Size, r.Layers, r.Steps.Length, MedianFirstFraction(r, Site.Att, t.Cka),
                                         MedianFirstFraction(r, Site.Mlp, t.Cka), Mcc(r, t), warning));
        }
        var sizes = new List<DynamicsSize>();
        foreach (var g in series.GroupBy(r => r.Size).OrderBy(g => SizeKey(g.Key)))
        {
            (double?, string) Frac(Site site)
            {
                var fr = g.Select(r => MedianFirstFraction(r, site, t.Cka)).ToList();
                if (fr.Any(f => f is null)) return (null, fr.All(f => f is null) ? "never" : "mixed");
                double mean = fr.Average(f => f!.Value);
                return (mean, mean.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture));
            }
            var (att, attS) = Frac(Site.Att);
            var (mlp, mlpS) = Frac(Site.Mlp);
            sizes.Add(new DynamicsSize(g.Key, g.Count(), att, mlp, attS, mlpS));
        }
        return new DynamicsResult(series, t, t.DescribeEarly(), t.DescribePer(), models, sizes, warnings, MccSummary(models));
    }

    /// <summary>"MCC: 7 of 8 cells defined on the models with ≥ 6 layers (...)": the acceptance line, with why cells are undefined.</summary>
    private static string MccSummary(IReadOnlyList<DynamicsModel> models)
    {
        var deep = models.Where(m => m.Layers >= 6).ToList();
        int all = models.Sum(m => m.Mcc.Cells.Count), defined = models.Sum(m => m.Mcc.Cells.Count(c => c.Value is not null));
        string text = $"MCC: {defined} of {all} cells defined";
        if (deep.Count > 0)
        {
            int dAll = deep.Sum(m => m.Mcc.Cells.Count), dDef = deep.Sum(m => m.Mcc.Cells.Count(c => c.Value is not null));
            text += $"; {dDef} of {dAll} on the {deep.Count} model{(deep.Count == 1 ? "" : "s")} with ≥ 6 layers";
            if (2 * dDef < dAll) text += " (fewer than half: see the reasons above; each names the indicator that was constant across layers)";
        }
        else text += "; no model has ≥ 6 layers, so few cells can be informative";
        return text;
    }

    /// <summary>Sort key of a size label "LxD": by width, then layers.</summary>
    public static (int, int, string) SizeKey(string size)
    {
        var parts = size.Split('x');
        return parts.Length == 2 && int.TryParse(parts[0], out int l) && int.TryParse(parts[1], out int d) ? (d, l, size) : (int.MaxValue, 0, size);
    }

    /// <summary>Percentiles (<see cref="Percentiles.Standard"/>) across layers, per checkpoint: [checkpoint][level].</summary>
    public static double[][] AcrossLayers(double[][] perCheckpoint) =>
        perCheckpoint.Select(row => Percentiles.Of(row, Percentiles.Standard)).ToArray();

    /// <summary>The three indicators per layer for one site.</summary>
    public static SiteIndicators Indicators(RunDynamics run, Site site, IndicatorThresholds t)
    {
        var early = new bool[run.Layers];
        if (t.Early == EarlyRule.Fraction)
            for (int l = 0; l < run.Layers; l++)
                early[l] = ConvergenceIndicators.EarlyConvergence(run.Steps, run.CkaOfLayer(site, l), run.FinalStep, t);
        else
            early = ConvergenceIndicators.AtOrAboveQuantile(
                run.Cka[site][ConvergenceIndicators.EarlyCheckpoint(run.Steps, run.FinalStep, t.EarlyFraction)], t.Quantile);
        return new SiteIndicators(early,
            ConvergenceIndicators.LargeParamPer(run.ParamPer[site][^1], t, run.ParamPer[site][0]),
            ConvergenceIndicators.LargeGradPer(run.GradPer[site][^1], t, run.GradPer[site][0]));
    }

    /// <summary>The MCC row of one model (the paper's table has one per model size).</summary>
    public static MccRow Mcc(RunDynamics run, IndicatorThresholds t)
    {
        var att = Indicators(run, Site.Att, t);
        var mlp = Indicators(run, Site.Mlp, t);
        return new MccRow(
            MccCell.Of(att.Early, "early convergence (ATT)", att.LargeParamPer, "large PER of W_O"),
            MccCell.Of(att.Early, "early convergence (ATT)", att.LargeGradPer, "large PER of ∇W_O"),
            MccCell.Of(mlp.Early, "early convergence (MLP)", mlp.LargeParamPer, "large PER of the MLP down projection"),
            MccCell.Of(mlp.Early, "early convergence (MLP)", mlp.LargeGradPer, "large PER of its gradient"));
    }

    /// <summary>
    /// The fraction of training at which the median layer's CKA first reaches <paramref name="threshold"/>
    /// (the experiment's question: do larger models' layers converge earlier?); null when it never does.
    /// </summary>
    public static double? MedianFirstFraction(RunDynamics run, Site site, double threshold)
    {
        double[] median = run.Cka[site].Select(row => Percentiles.Of(row, 50)).ToArray();
        return ConvergenceIndicators.FirstFractionReaching(run.Steps, median, run.FinalStep, threshold);
    }

    /// <summary>
    /// Mean across layers per checkpoint of <paramref name="metric"/>, then averaged over the runs of one size at
    /// the steps every one of them has. Returns (steps, values).
    /// </summary>
    public static (long[] Steps, double[] Mean) SizeMean(IReadOnlyList<RunDynamics> runs, Func<RunDynamics, double[][]> metric)
    {
        if (runs.Count == 0) throw new ArgumentException("no runs");
        var shared = runs.Select(r => (IEnumerable<long>)r.Steps).Aggregate((a, b) => a.Intersect(b)).OrderBy(s => s).ToArray();
        var mean = new double[shared.Length];
        for (int i = 0; i < shared.Length; i++)
        {
            double sum = 0;
            int count = 0;
            foreach (var r in runs)
            {
                double[] row = metric(r)[Array.IndexOf(r.Steps, shared[i])];
                double layerMean = MeanIgnoringNaN(row);
                if (double.IsNaN(layerMean)) continue;
                sum += layerMean;
                count++;
            }
            mean[i] = count > 0 ? sum / count : double.NaN;
        }
        return (shared, mean);
    }

    /// <summary>Mean of the non-NaN values; NaN when there are none.</summary>
    public static double MeanIgnoringNaN(ReadOnlySpan<double> values)
    {
        double sum = 0;
        int count = 0;
        foreach (double v in values)
            if (!double.IsNaN(v)) { sum += v; count++; }
        return count > 0 ? sum / count : double.NaN;
    }
}
