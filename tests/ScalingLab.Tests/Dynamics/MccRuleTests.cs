using ScalingLab.Data;
using ScalingLab.Dynamics;
using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Tests.Dynamics;

public class MccRuleTests
{
    // Layers over steps 0, 10, …, 100; layer l's CKA with the final checkpoint is earlyCka[l] up to step 10 (10% of
    // training), halfway to 1 after it, 1 at the end; PER at the first and last checkpoint as given (the same for ATT and
    // MLP, parameters and gradients).
    private static RunDynamics Six(double[] earlyCka, double[] perStart, double[] perEnd)
    {
        long[] steps = [.. Enumerable.Range(0, 11).Select(i => 10L * i)];
        int layers = earlyCka.Length;
        var r = new RunDynamics("six", $"{layers}x16", steps, layers);
        for (int c = 0; c < steps.Length; c++)
            for (int l = 0; l < layers; l++)
                foreach (Site site in Enum.GetValues<Site>())
                {
                    r.Cka[site][c][l] = c == steps.Length - 1 ? 1.0 : c <= 1 ? earlyCka[l] : 0.5 * (earlyCka[l] + 1);
                    double per = c == 0 ? perStart[l] : perEnd[l];
                    r.ParamPer[site][c][l] = per;
                    r.GradPer[site][c][l] = per;
                }
        return r;
    }

    private static readonly double[] Reach = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1];
    private static readonly double[] End = [0.80, 0.70, 0.75, 0.60, 0.90, 0.50];

    [Fact]
    public void QuantileRulesByHand()
    {
        // CKA at step 10 (the last checkpoint within 10%): .9 .8 .7 .3 .2 .1, type-7 median .5 → early = layers 0, 1, 2.
        // end PER median (.70 + .75)/2 = .725 → large = layers 0, 2, 4.
        // TP 2 (0, 2), early only 1 (1), large only 1 (4), neither 2 (3, 5): MCC = (2·2 − 1·1)/√(3·3·3·3) = 1/3.
        var r = Six(Reach, End, End);
        var t = new IndicatorThresholds();
        var ind = DynamicsAnalysis.Indicators(r, Site.Att, t);
        Assert.Equal([true, true, true, false, false, false], ind.Early);
        Assert.Equal([true, false, true, false, true, false], ind.LargeParamPer);
        var m = DynamicsAnalysis.Mcc(r, t);
        Assert.All(m.Cells, c => Assert.Equal(1.0 / 3, c.Value!.Value, 12));
    }

    [Fact]
    public void InitRuleByHand()
    {
        // large = end ≥ start: .8≥.7 yes, .7≥.8 no, .75≥.8 no, .6≥.5 yes, .9≥.95 no, .5≥.4 yes → layers 0, 3, 5.
        // early = 0, 1, 2: TP 1, early only 2, large only 2, neither 1 → MCC = (1 − 4)/9 = −1/3.
        var r = Six(Reach, [0.7, 0.8, 0.8, 0.5, 0.95, 0.4], End);
        var t = new IndicatorThresholds(Rule: PerRule.Init);
        Assert.Equal([true, false, false, true, false, true], DynamicsAnalysis.Indicators(r, Site.Mlp, t).LargeGradPer);
        Assert.Equal(-1.0 / 3, DynamicsAnalysis.Mcc(r, t).GradMlp.Value!.Value, 12);
        Assert.Contains("first checkpoint", t.DescribePer());
    }

    [Fact]
    public void TheAbsoluteRuleIsConstantOnSmallModelsAndSaysWhich()
    {
        // no layer reaches Pythia's PER 0.95 → the parameter indicator is constant: undefined, and the reason names it
        var r = Six(Reach, End, End);
        var s = DynamicsAnalysis.Summarise([r], new IndicatorThresholds(Rule: PerRule.Absolute));
        Assert.Null(s.Models[0].Mcc.ParamAtt.Value);
        Assert.Equal("large PER of W_O is false in all 6 layers", s.Models[0].Mcc.ParamAtt.Undefined);
        // gradients: ≥ 0.9 × 0.9 = 0.81 → layer 4 only, not constant: the two gradient cells stay defined
        Assert.Contains("2 of 4 on the 1 model with ≥ 6 layers", s.MccSummary);
        // the default (relative) rules define every cell of the same model
        var q = DynamicsAnalysis.Summarise([r], new IndicatorThresholds());
        Assert.All(q.Models[0].Mcc.Cells, c => Assert.NotNull(c.Value));
        Assert.Contains("4 of 4 on the 1 model with ≥ 6 layers", q.MccSummary);
    }

    [Fact]
    public void EarlyWindowAndQuantileCut()
    {
        // steps 0 1 2 4 8 16 32 63: 10% of 63 = 6.3 → the last checkpoint at or before it is step 4 (index 3)
        Assert.Equal(3, ConvergenceIndicators.EarlyCheckpoint([0, 1, 2, 4, 8, 16, 32, 63], 63, 0.1));
        Assert.Equal(0, ConvergenceIndicators.EarlyCheckpoint([0, 50, 100], 100, 0.1));
        // type-7 quartile of .1 .2 .3 is .15; NaN is never above it
        Assert.Equal([false, true, true, false], ConvergenceIndicators.AtOrAboveQuantile([0.1, 0.2, 0.3, double.NaN], 0.25));
        // ties at the cut all count: constant, so the MCC is undefined and says so
        Assert.Equal([true, true, true], ConvergenceIndicators.AtOrAboveQuantile([0.3, 0.3, 0.3], 0.5));
    }

    [Fact]
    public void FewerThanFourLayersWarns()
    {
        var r = Six([0.2, 0.6], [0.5, 0.6], [0.5, 0.6]);
        var s = DynamicsAnalysis.Summarise([r], new IndicatorThresholds());
        Assert.Contains("2 layers (< 4)", Assert.Single(s.Warnings));
        Assert.Contains("warning:", s.Table());
        Assert.Empty(DynamicsAnalysis.Summarise([Six(Reach, End, End)], new IndicatorThresholds()).Warnings);
    }
}

/// <summary>Acceptance on a trained 6-layer model: the default rules define at least half of the MCC cells.</summary>
public class DeepModelMccTests
{
    [Fact]
    public void SixLayerRunHasMostCellsDefined()
    {
        string root = Directory.CreateTempSubdirectory("sl-mcc6").FullName;
        try
        {
            string data = Path.Combine(root, "data"), run = Path.Combine(root, "run");
            SyntheticCorpora.WriteMarkov(data, 1, 8, 0.5, 20_000, 2_000, 7);
            using (var ds = TokenDataset.Open(data))
                Trainer.Start(run, TinyRunsFixture.Model(6, ds.VocabSize), TinyRunsFixture.Train(data), ds.Train, ds.Val, Gemm.Create("managed", 1)).Run();
            var r = DynamicsAnalysis.Run(new DynamicsOptions { Runs = [run], Threads = 1, Gemm = "managed" });
            var cells = r.Models[0].Mcc.Cells;
            Assert.True(2 * cells.Count(c => c.Value is not null) >= cells.Count, r.Table());
            Assert.All(cells.Where(c => c.Value is null), c => Assert.Contains("in all 6 layers", c.Undefined));
            Assert.Null(r.Models[0].Warning);
            Assert.Contains("rule 'quantile'", r.Table());
            // the JSON is the same record: every cell has a value or a reason
            using var doc = System.Text.Json.JsonDocument.Parse(r.ToJson());
            var mcc = doc.RootElement.GetProperty("runs")[0].GetProperty("mcc");
            foreach (string cell in new[] { "param_att", "grad_att", "param_mlp", "grad_mlp" })
                Assert.True(mcc.GetProperty(cell).GetProperty("value").ValueKind == System.Text.Json.JsonValueKind.Number
                            || mcc.GetProperty(cell).GetProperty("undefined").GetString()!.Contains("in all 6 layers"));
            Assert.Contains("rule 'quantile'", doc.RootElement.GetProperty("per_rule").GetString());
            // the paper's absolute rules on the same series: Pythia's PER ≥ 0.95 is out of reach of a 16-wide W_O
            var pythia = DynamicsAnalysis.Summarise(r.Series, new IndicatorThresholds(Rule: PerRule.Absolute, Early: EarlyRule.Fraction));
            // and here every layer already has CKA ≥ 0.45 by 10% of training: both of the paper's indicators are constant
            Assert.Contains("large PER of W_O is false in all 6 layers", pythia.Models[0].Mcc.ParamAtt.Undefined);
            Assert.Contains("early convergence (ATT) is true in all 6 layers", pythia.Models[0].Mcc.ParamAtt.Undefined);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
