using ScalingLab.Common;
using ScalingLab.Sweeps;

namespace ScalingLab.Tests.Sweeps;

public class SweepSpecTests
{
    internal const string Tiny = """
        name: tiny
        data: { generator: markov, options: { order: 1, vocab: 16, tokens: 50k } }
        model: { flavour: gpt2, head_size: 16 }
        train: { batch: 4, seq: 16, lr: 3e-3 }
        axes:
          models: [1x16, { n_layer: 2, d_model: 32, n_head: 2 }]
          data_sizes: [2k, 0.5]
          seeds: [1, 2]
        """;

    internal static DataInfo FakeData(DataSource d) => new("/tmp/data-" + d.Generator, 40_000, 16);

    [Fact]
    public void ExpandsTheGridWithStableDistinctHashes()
    {
        var spec = SweepSpec.Parse(SpecText.Parse(Tiny), "/tmp");
        var runs = spec.Expand(FakeData);
        Assert.Equal(2 * 2 * 2, runs.Count);
        Assert.Equal(runs.Count, runs.Select(r => r.Hash).Distinct().Count());
        // Same text parsed again: the same hashes, in the same order.
        var again = SweepSpec.Parse(SpecText.Parse(Tiny), "/elsewhere").Expand(d => FakeData(d) with { Dir = "/moved" });
        Assert.Equal(runs.Select(r => r.Hash), again.Select(r => r.Hash));
        var r0 = runs[0];
        Assert.Equal("main-1x16-d2k-s1", r0.Name);
        Assert.Equal(1, r0.Model.NLayer);
        Assert.Equal(16, r0.Model.DModel);
        Assert.Equal(1, r0.Model.NHead);
        Assert.Equal(64, r0.Model.DFf);
        Assert.Equal(16, r0.Model.VocabSize);
        Assert.Equal(2000, r0.DataTokens);
        Assert.Equal((2000 + 63) / (4 * 16), r0.Steps);
        var half = runs.Single(r => r.Name == "main-2x32h2-d50pct-s2");
        Assert.Equal(20_000, half.DataTokens);
        Assert.Equal(2, half.Model.NHead);
        // The config survives the registry's JSON round trip with its hash.
        Assert.Equal(half.Hash, RunConfig.FromJson(half.ToJson()).Hash);
    }

    [Fact]
    public void JsonAndYamlGiveTheSameRuns()
    {
        const string json = """
            { "name": "tiny", "data": { "generator": "markov", "options": { "order": 1, "vocab": 16, "tokens": "50k" } },
              "model": { "flavour": "gpt2", "head_size": 16 }, "train": { "batch": 4, "seq": 16, "lr": 0.003 },
              "axes": { "models": ["1x16", { "n_layer": 2, "d_model": 32, "n_head": 2 }], "data_sizes": ["2k", 0.5], "seeds": [1, 2] } }
            """;
        var a = SweepSpec.Parse(SpecText.Parse(Tiny), "/tmp").Expand(FakeData);
        var b = SweepSpec.Parse(SpecText.Parse(json), "/tmp").Expand(FakeData);
        // The generator options differ only in "50k" vs 50000 as text; the runs' model/train/size/seed agree.
        Assert.Equal(a.Select(r => (r.Name, r.Model, r.Train, r.DataTokens, r.Seed)), b.Select(r => (r.Name, r.Model, r.Train, r.DataTokens, r.Seed)));
    }

    [Fact]
    public void ChangingAnySettingChangesTheHash()
    {
        var baseRun = SweepSpec.Parse(SpecText.Parse(Tiny), "/tmp").Expand(FakeData)[0];
        Assert.NotEqual(baseRun.Hash, (baseRun with { Seed = 99 }).Hash);
        Assert.NotEqual(baseRun.Hash, (baseRun with { Train = baseRun.Train with { Lr = 1e-2 } }).Hash);
        Assert.NotEqual(baseRun.Hash, (baseRun with { Model = baseRun.Model with { DFf = 17 } }).Hash);
        Assert.NotEqual(baseRun.Hash, (baseRun with { Threads = 2 }).Hash);
        Assert.Equal(baseRun.Hash, (baseRun with { DataDir = "/somewhere/else" }).Hash);
    }

    [Fact]
    public void ExtraGridsInheritAndOverride()
    {
        string text = Tiny + """

            grids:
              - name: qf
                data: { generator: qf }
                train: { lr: 1e-3 }
                axes: { models: [6x32], data_sizes: [4k], seeds: [7] }
            """;
        var spec = SweepSpec.Parse(SpecText.Parse(text), "/tmp");
        Assert.Equal(["main", "qf"], spec.Grids.Select(g => g.Name));
        var qf = spec.Grids[1];
        Assert.Equal("qf", qf.Data.Generator);
        Assert.Null(qf.Data.Options); // the base grid's markov options do not leak into the qf source
        Assert.Equal(1e-3, qf.Train.Lr);
        Assert.Equal(4, qf.Train.Batch); // inherited
        Assert.Equal(16, qf.HeadSize);   // inherited
        var runs = spec.Expand(FakeData);
        Assert.Equal(9, runs.Count);
        Assert.Equal("qf-6x32-d4k-s7", runs[^1].Name);
    }

    [Fact]
    public void Fp32PrecisionLeavesTheHashAsItWasAndBf16ChangesIt()
    {
        const string Base = "name: x\ndata: { dir: d }\naxes: { models: [1x16] }\n";
        var plain = SweepSpec.Parse(SpecText.Parse(Base), "/tmp").Expand(FakeData)[0];
        var fp32 = SweepSpec.Parse(SpecText.Parse(Base + "train: { precision: fp32 }"), "/tmp").Expand(FakeData)[0];
        var bf16 = SweepSpec.Parse(SpecText.Parse(Base + "train: { precision: bf16 }"), "/tmp").Expand(FakeData)[0];
        Assert.Equal(plain.Hash, fp32.Hash);
        Assert.DoesNotContain("precision", plain.ToJson());
        Assert.NotEqual(plain.Hash, bf16.Hash);
        Assert.Equal("bf16", RunConfig.FromJson(bf16.ToJson()).Train.Precision);
    }

    [Theory]
    [InlineData("name: x\naxes: { models: [1x16] }", "data")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x16] }\ntrain: { btach: 4 }", "train.btach")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [one] }", "axes.models[0]")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x16], data_sizes: [-3] }", "axes.data_sizes[0]")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x16], seeds: [1, 1] }", "axes.seeds")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x16] }\ntrain: { lr: 0 }", "train.lr")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x16] }\ntrain: { precision: fp16 }", "train.precision")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x16] }\ntrain: { batch: many }", "train.batch")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x16] }\ntrain: { seq: 0 }", "sweep spec: train.seq must be ≥ 1")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x16] }\ntrain: { eval_windows: 0 }", "sweep spec: train.eval_windows must be ≥ 1")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x16] }\ntrain: { gemm: cuda }", "train.gemm")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x16] }\ngrids: [ { name: q, train: { accum: 0 } } ]", "grids[0].train.accum")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x16] }\ntrain: { windows: lines }", "train.windows")]
    [InlineData("name: x\ndata: { generator: bogus }\naxes: { models: [1x16] }", "data.generator")]
    [InlineData("name: x\ndata: { dir: d, generator: qf }\naxes: { models: [1x16] }", "data")]
    [InlineData("name: x\ndata: { generator: markov, options: { ordr: 2 } }\naxes: { models: [1x16] }", "data.options.ordr")]
    [InlineData("name: x\ndata: { generator: markov, options: { vocab: 1 } }\naxes: { models: [1x16] }", "data.options.vocab")]
    [InlineData("name: x\ndata: { generator: memorize, options: { length: 0 } }\naxes: { models: [1x16] }", "data.options.length")]
    [InlineData("name: 'a b'\ndata: { dir: d }\naxes: { models: [1x16] }", "name")]
    [InlineData("data: { dir: d }\naxes: { models: [1x16] }", "name")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x16] }\nmodel: { flavour: llama }", "model.flavour")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x30] }\nmodel: { head_size: 7 }", "axes.models")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x16] }\nextra: 1", "extra")]
    [InlineData("name: x\ndata: { dir: d }\naxes: { models: [1x16] }\ngrids: [ { axes: { models: [2x16] } } ]", "grids[0].name")]
    [InlineData("name: x\n  bad: [", "line")]
    public void BadSpecsNameTheField(string yaml, string field)
    {
        var e = Assert.Throws<UserError>(() => SweepSpec.Parse(SpecText.Parse(yaml), "/tmp"));
        Assert.Contains(field, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void DataSizesBeyondTheSplitAreRejected()
    {
        var spec = SweepSpec.Parse(SpecText.Parse(Tiny.Replace("[2k, 0.5]", "[2M]")), "/tmp");
        var e = Assert.Throws<UserError>(() => spec.Expand(FakeData));
        Assert.Contains("data_sizes", e.Message);
    }
}
