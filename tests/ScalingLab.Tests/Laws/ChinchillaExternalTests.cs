using System.Diagnostics;
using ScalingLab.Laws;
using Xunit.Abstractions;

namespace ScalingLab.Tests.Laws;

public class ChinchillaExternalTests(ITestOutputHelper output)
{
    internal const string CsvPath = "/work/shared/data/chinchilla/svg_extracted_data.csv";

    internal static List<FitPoint> EpochPoints() =>
        PointsCsv.DropHighest(PointsCsv.Read(CsvPath, new CsvColumns(N: "Model Size", D: null, C: "Training FLOP", Loss: "loss")), 5);

    [Fact]
    public void Approach3OnEpochPointsReproducesTheReplication()
    {
        var points = EpochPoints();
        Assert.Equal(240, points.Count);
        var sw = Stopwatch.StartNew();
        var fit = HuberFit.Fit(new ChinchillaFit(), points);
        var law = (ChinchillaLaw)fit.Law;
        output.WriteLine($"{sw.Elapsed.TotalSeconds:F2}s E={law.E} A={law.A} B={law.B} a={law.Alpha} b={law.Beta} obj={fit.Objective} conv={fit.Converged} {fit.Stop} starts conv {fit.StartsConverged}/{fit.Starts} tpp={law.TokensPerParameter(1e23)}");
        Assert.True(fit.Converged);
        Assert.Empty(fit.OutsideGrid);
        Assert.Equal(4500, fit.Starts);
        Assert.InRange(law.A, 477.84 * 0.995, 477.84 * 1.005);
        Assert.InRange(law.B, 2143.86 * 0.98, 2143.86 * 1.02);
        Assert.InRange(law.E, 1.8172 * 0.995, 1.8172 * 1.005);
        Assert.InRange(law.Alpha, 0.34731 * 0.995, 0.34731 * 1.005);
        Assert.InRange(law.Beta, 0.36718 * 0.995, 0.36718 * 1.005);
        Assert.InRange(fit.Objective, 0.00101827 * 0.995, 0.00101827 * 1.005);
        Assert.InRange(law.TokensPerParameter(1e23), 18.8 * 0.98, 18.8 * 1.02);
    }
}
