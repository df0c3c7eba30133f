using System.Text.Json.Nodes;
using ScalingLab.Common;
using ScalingLab.Experiments;
using ScalingLab.Model;
using ScalingLab.Sweeps;

namespace ScalingLab.Tests.Experiments;

public class ExperimentFrameworkTests
{
    [Fact]
    public void EverySweepIsAValidSpecAtScaleOneAndFour()
    {
        foreach (var e in ExperimentRegistry.All)
        foreach (bool quick in new[] { true, false })
        {
            var sweep = e.Sweep(quick);
            var s1 = SweepSpec.Parse(SpecText.Parse(sweep.ToYaml(1)), "/tmp");
            var s4 = SweepSpec.Parse(SpecText.Parse(sweep.ToYaml(4)), "/tmp");
            Assert.Equal(sweep.Name, s1.Name);
            Assert.Equal(sweep.Name + "-x4", s4.Name);
            for (int g = 0; g < s1.Grids.Count; g++)
            {
                var a = s1.Grids[g]; var b = s4.Grids[g];
                Assert.Equal(a.DataSizes.Select(d => d.Tokens * 4), b.DataSizes.Select(d => d.Tokens));
                // Parameters grow by about K (width × √K, rounded to the head size).
                for (int m = 0; m < a.Models.Count; m++)
                {
                    long n1 = ModelAccounting.NonEmbeddingParams(SweepSpec.Shape(a.Models[m], a.Flavour, a.NCtx, a.HeadSize, 64));
                    long n4 = ModelAccounting.NonEmbeddingParams(SweepSpec.Shape(b.Models[m], b.Flavour, b.NCtx, b.HeadSize, 64));
                    Assert.True((double)n4 / n1 is > 2.5 and < 6.5, $"{e.Name} {a.Models[m].Label} → {b.Models[m].Label}: ×{(double)n4 / n1}");
                }
            }
        }
    }

    [Fact]
    public void ResolveNamesListsAndAll()
    {
        Assert.Equal(ExperimentRegistry.All.Count, ExperimentRegistry.Resolve("all").Count);
        Assert.Equal("known-entropy-law", Assert.Single(ExperimentRegistry.Resolve(" known-entropy-law ,known-entropy-law")).Name);
        var e = Assert.Throws<UserError>(() => ExperimentRegistry.Resolve("known-entropy-law,nope"));
        Assert.Contains("no experiment named 'nope'", e.Message);
        Assert.Contains("known-entropy-law", e.Message);
    }

    [Fact]
    public void ScaleMustBePositive()
    {
        Assert.Throws<UserError>(() => ExperimentRegistry.All[0].Sweep(true).ToYaml(0));
        Assert.Equal(16, ExperimentSweep.ScaleWidth(20, 0.01, 16));
        Assert.Equal(64, ExperimentSweep.ScaleWidth(32, 4, 16));
    }

    [Fact]
    public void VerdictRuleShapes()
    {
        var pass = new VerdictCheck("x", 1, "≥ 0", true);
        var fail = new VerdictCheck("y", double.NaN, "≥ 0", false);
        Assert.Equal(VerdictKind.Reproduced, Verdict.AllOf("r", [pass]).Kind);
        Assert.Equal(VerdictKind.NotReproducedAtThisScale, Verdict.AllOf("r", [pass, fail]).Kind);
        Assert.Equal(VerdictKind.Contradicted, Verdict.AllOf("r", [fail], contradicted: true).Kind);
        Assert.Equal(VerdictKind.NotReproducedAtThisScale, Verdict.AllOf("r", []).Kind); // no evidence is not a reproduction
        Assert.Contains("y = n/a (rule: ≥ 0) FAIL", Verdict.AllOf("r", [fail]).Line);
    }
}

public class SweepRepeatTests
{
    [Fact]
    public void RepeatIsOffByDefaultAndOutOfTheHash()
    {
        var plain = SweepSpec.Parse(SpecText.Parse("name: x\ndata: { generator: qf }\ntrain: { seq: 32 }\naxes: { models: [1x16] }"), "/tmp");
        var off = SweepSpec.Parse(SpecText.Parse("name: x\ndata: { generator: qf }\ntrain: { seq: 32, repeat: false }\naxes: { models: [1x16] }"), "/tmp");
        var on = SweepSpec.Parse(SpecText.Parse("name: x\ndata: { generator: qf }\ntrain: { seq: 32, repeat: true }\naxes: { models: [1x16] }"), "/tmp");
        Assert.Null(plain.Grids[0].Train.Repeat);
        Assert.Equal(plain.Grids[0].Train, off.Grids[0].Train);
        Assert.True(on.Grids[0].Train.Repeat);
        DataInfo Info(DataSource _) => new("/tmp/d", 1000, 64);
        var e = Assert.Throws<UserError>(() => SweepSpec.Parse(SpecText.Parse("name: x\ndata: { generator: qf }\ntrain: { seq: 32, batch: 1 }\naxes: { models: [1x16], data_sizes: [5000] }"), "/tmp").Expand(Info));
        Assert.Contains("train.repeat", e.Message);
        var runs = SweepSpec.Parse(SpecText.Parse("name: x\ndata: { generator: qf }\ntrain: { seq: 32, batch: 1, repeat: true }\naxes: { models: [1x16], data_sizes: [5000] }"), "/tmp").Expand(Info);
        Assert.Equal(5000, Assert.Single(runs).DataTokens);
        Assert.Throws<UserError>(() => SweepSpec.Parse(SpecText.Parse("name: x\ndata: { generator: qf }\ntrain: { repeat: maybe }\naxes: { models: [1x16] }"), "/tmp"));
    }
}

public class SubsetTests
{
    [Fact]
    public void SubsetIsAPrefixOfTheSplitAndOutOfTheHashWhenUnset()
    {
        var inner = new ScalingLab.Data.ArrayTokens([5, 6, 7, 8, 9, 1, 2], 10);
        var p = new ScalingLab.Data.PrefixTokens(inner, 4);
        Assert.Equal(4, p.Count);
        var buf = new int[2];
        p.Read(2, buf);
        Assert.Equal([7, 8], buf);
        Assert.Throws<ArgumentOutOfRangeException>(() => p.Read(3, buf));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScalingLab.Data.PrefixTokens(inner, 8));

        DataInfo Info(DataSource _) => new("/tmp/d", 1000, 64);
        var spec = SweepSpec.Parse(SpecText.Parse("name: x\ndata: { generator: qf }\ntrain: { seq: 32, batch: 1, subset: 0.1 }\naxes: { models: [1x16], data_sizes: [200] }"), "/tmp");
        Assert.Equal(0.1, spec.Grids[0].Train.Subset);
        var e = Assert.Throws<UserError>(() => spec.Expand(Info)); // 200 tokens > 10% of 1000 without train.repeat
        Assert.Contains("train.subset", e.Message);
        Assert.Throws<UserError>(() => SweepSpec.Parse(SpecText.Parse("name: x\ndata: { generator: qf }\ntrain: { subset: 0 }\naxes: { models: [1x16] }"), "/tmp"));
        var plain = SweepSpec.Parse(SpecText.Parse("name: x\ndata: { generator: qf }\ntrain: { seq: 32, batch: 1 }\naxes: { models: [1x16], data_sizes: [200] }"), "/tmp").Expand(Info);
        Assert.DoesNotContain("subset", Assert.Single(plain).ToJson());
    }

    [Fact]
    public void ResultsLeaveOutAQuickResultWhenTheFullOneIsThere()
    {
        string dir = Path.Combine(Path.GetTempPath(), "results-collect-" + Guid.NewGuid().ToString("N"));
        try
        {
            void Save(string folder, string name, bool quick)
            {
                Directory.CreateDirectory(Path.Combine(dir, folder));
                new ExperimentResult
                {
                    Name = name, Title = name, Claim = "", Rule = "", Reference = [],
                    Verdict = new Verdict(VerdictKind.NotReproducedAtThisScale, "", []), Summary = [], TableHead = ["a"],
                    TableRows = [], Figures = [], Dir = Path.Combine(dir, folder), SweepDir = "", Runs = 1, Quick = quick,
                    Scale = 1, TrainSeconds = 1, WallSeconds = 1, Cores = 2, Command = "",
                }.Save(Path.Combine(dir, folder, ExperimentResult.FileName));
            }
            Save("qf-plateau", "qf-plateau", quick: false);
            Save("qf-plateau-quick", "qf-plateau", quick: true);
            Save("d-star-quick", "d-star", quick: true);
            var got = ResultsDocument.Collect(dir).Select(r => (r.Name, r.Quick)).ToList();
            Assert.Equal(2, got.Count);
            Assert.Contains(("qf-plateau", false), got);
            Assert.Contains(("d-star", true), got);
        }
        finally { Directory.Delete(dir, true); }
    }
}
