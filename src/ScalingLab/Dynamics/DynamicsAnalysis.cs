using ScalingLab.Common;

namespace ScalingLab.Dynamics;

/// <summary>The MCC table row of one model: early convergence against each rank indicator (null = undefined).</summary>
/// <param name="ParamAtt">MCC(early ATT, large PER of W_O).</param>
/// <param name="GradAtt">MCC(early ATT, large PER of ∇W_O).</param>
/// <param name="ParamMlp">MCC(early MLP, large PER of the down projection).</param>
/// <param name="GradMlp">MCC(early MLP, large PER of its gradient).</param>
public sealed record MccRow(double? ParamAtt, double? GradAtt, double? ParamMlp, double? GradMlp);

/// <summary>The per-layer indicators of one site of one model.</summary>
public sealed record SiteIndicators(bool[] Early, bool[] LargeParamPer, bool[] LargeGradPer);

/// <summary>
/// What the paper derives from a run's series (Diehl Martinez et al. 2024, §4–5): percentiles across layers per
/// checkpoint, the three indicators per layer, their MCC table, and when the median layer first reaches the
/// CKA threshold. Mean curves per model size average runs of one size at the steps they share.
/// </summary>
public static class DynamicsAnalysis
{
    /// <summary>Percentiles (<see cref="Percentiles.Standard"/>) across layers, per checkpoint: [checkpoint][level].</summary>
    public static double[][] AcrossLayers(double[][] perCheckpoint) =>
        perCheckpoint.Select(row => Percentiles.Of(row, Percentiles.Standard)).ToArray();

    /// <summary>The three indicators per layer for one site.</summary>
    public static SiteIndicators Indicators(RunDynamics run, Site site, IndicatorThresholds t)
    {
        var early = new bool[run.Layers];
        for (int l = 0; l < run.Layers; l++)
            early[l] = ConvergenceIndicators.EarlyConvergence(run.Steps, run.CkaOfLayer(site, l), run.FinalStep, t);
        return new SiteIndicators(early,
            ConvergenceIndicators.LargeParamPer(run.ParamPer[site][^1], t),
            ConvergenceIndicators.LargeGradPer(run.GradPer[site][^1], t));
    }

    /// <summary>The MCC row of one model (the paper's table has one per model size).</summary>
    public static MccRow Mcc(RunDynamics run, IndicatorThresholds t)
    {
        var att = Indicators(run, Site.Att, t);
        var mlp = Indicators(run, Site.Mlp, t);
        return new MccRow(
            Matthews.Correlation(att.Early, att.LargeParamPer), Matthews.Correlation(att.Early, att.LargeGradPer),
            Matthews.Correlation(mlp.Early, mlp.LargeParamPer), Matthews.Correlation(mlp.Early, mlp.LargeGradPer));
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
