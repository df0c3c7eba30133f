using System.Text.Json;
using ScalingLab.Dynamics;

namespace ScalingLab.Tests.Dynamics;

public class DynamicsAnalysisTests
{
    // Four layers over steps 0..100. Layer l's CKA first reaches 0.45 at checkpoint firstReach[l].
    private static RunDynamics MakeRun(string name, int[] firstReach, double[] paramPerEnd, double[] gradPerEnd)
    {
        long[] steps = [0, 2, 5, 10, 20, 50, 100];
        var r = new RunDynamics(name, "2x64", steps, 4);
        for (int c = 0; c < steps.Length; c++)
            for (int l = 0; l < 4; l++)
                foreach (Site site in Enum.GetValues<Site>())
                {
                    r.Cka[site][c][l] = c == steps.Length - 1 ? 1.0 : c >= firstReach[l] ? 0.5 + 0.01 * c : 0.1 + 0.01 * c;
                    r.ParamPer[site][c][l] = paramPerEnd[l];
                    r.GradPer[site][c][l] = gradPerEnd[l];
                    r.ParamRank[site][c][l] = 10 * paramPerEnd[l];
                    r.GradRank[site][c][l] = 10 * gradPerEnd[l];
                }
        return r;
    }

    [Fact]
    public void IndicatorsAndMccByHand()
    {
        // Early (≤ 10% = step 10, i.e. checkpoint ≤ 3): layers 0 and 1.
        // Param PER ≥ 0.95: layers 0, 2 → TP 1, FP 1 (layer 1), FN 1 (layer 2), TN 1 → MCC 0.
        // Grad PER ≥ 0.9 × 0.8: layers 0, 1 → MCC 1.
        var r = MakeRun("a", [1, 3, 4, 6], [0.99, 0.5, 0.96, 0.2], [0.8, 0.75, 0.3, 0.7]);
        var pythia = new IndicatorThresholds(Rule: PerRule.Absolute, Early: EarlyRule.Fraction);
        var ind = DynamicsAnalysis.Indicators(r, Site.Att, pythia);
        Assert.Equal([true, true, false, false], ind.Early);
        Assert.Equal([true, false, true, false], ind.LargeParamPer);
        Assert.Equal([true, true, false, false], ind.LargeGradPer);
        var m = DynamicsAnalysis.Mcc(r, pythia);
        Assert.Equal(0.0, m.ParamAtt.Value!.Value, 12);
        Assert.Equal(1.0, m.GradAtt.Value!.Value, 12);
        // The median of four layers at checkpoint 3 is (0.5 + 0.1)/2 + 0.03 < 0.45; at checkpoint 4 three
        // layers are above: median 0.54 → step 20 of 100.
        Assert.Equal(0.2, DynamicsAnalysis.MedianFirstFraction(r, Site.Att, 0.45)!.Value, 12);
    }

    [Fact]
    public void ConstantIndicatorGivesUndefinedMccInEveryOutput()
    {
        // Every parameter PER is below 0.95: the indicator is constant and MCC undefined.
        var r = MakeRun("a", [1, 3, 4, 6], [0.5, 0.5, 0.6, 0.2], [0.8, 0.75, 0.3, 0.7]);
        var summary = DynamicsAnalysis.Summarise([r], new IndicatorThresholds(Rule: PerRule.Absolute, Early: EarlyRule.Fraction));
        Assert.Null(DynamicsAnalysis.Mcc(r, summary.Thresholds).ParamAtt.Value);
        Assert.Contains("undefined", DynamicsReport.MccCsv(summary).Split('\n')[1]);
        Assert.Contains("undefined", summary.Table());
        // the reason names the constant indicator
        Assert.Equal("large PER of W_O is false in all 4 layers", summary.Models[0].Mcc.ParamAtt.Undefined);
        Assert.Contains("θ^ATT undefined: large PER of W_O is false in all 4 layers", summary.Table());
        using var doc = JsonDocument.Parse(DynamicsReport.Json(summary));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("runs")[0].GetProperty("mcc").GetProperty("param_att").ValueKind);
    }

    [Fact]
    public void SizeMeanAveragesRunsAtSharedSteps()
    {
        var a = new RunDynamics("a", "2x64", [0, 5, 10], 2);
        var b = new RunDynamics("b", "2x64", [0, 10], 2);
        double[][] ca = [[0.0, 0.2], [0.4, 0.6], [1, 1]];
        double[][] cb = [[0.2, double.NaN], [1, 1]];
        a.Cka[Site.Att] = ca;
        b.Cka[Site.Att] = cb;
        var (steps, mean) = DynamicsAnalysis.SizeMean([a, b], r => r.Cka[Site.Att]);
        Assert.Equal([0L, 10L], steps);
        Assert.Equal((0.1 + 0.2) / 2, mean[0], 12); // run a: layer mean 0.1; run b: 0.2 (NaN left out)
        Assert.Equal(1.0, mean[1], 12);
    }

    [Fact]
    public void WritesEveryFile()
    {
        var r1 = MakeRun("runs/a", [1, 3, 4, 6], [0.99, 0.5, 0.96, 0.2], [0.8, 0.75, 0.3, 0.7]);
        var r2 = MakeRun("runs/b", [0, 0, 1, 2], [0.99, 0.99, 0.96, 0.97], [0.8, 0.8, 0.8, 0.7]);
        var dir = Directory.CreateTempSubdirectory().FullName;
        var files = DynamicsReport.Write(DynamicsAnalysis.Summarise([r1, r2], new IndicatorThresholds()), dir);
        foreach (string name in new[] { "layers.csv", "percentiles.csv", "size_means.csv", "indicators.csv", "mcc.csv", "mcc.txt",
                                        "dynamics.json", "cka_by_size.svg", "per_params_by_size.svg", "per_grads_by_size.svg" })
            Assert.Contains(Path.Combine(dir, name), files);
        Assert.Equal(2, files.Count(f => Path.GetFileName(f).StartsWith("cka_bands_")));
        // 7 checkpoints × 4 layers × 2 sites per run, plus the header.
        Assert.Equal(1 + 2 * 7 * 4 * 2, File.ReadAllLines(Path.Combine(dir, "layers.csv")).Length);
        foreach (var svg in files.Where(f => f.EndsWith(".svg"))) System.Xml.Linq.XDocument.Load(svg);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "dynamics.json")));
        Assert.Equal(2, doc.RootElement.GetProperty("runs").GetArrayLength());
    }
}
