using System.Text.Json;
using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Dynamics;
using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Tests.Cli;
using ScalingLab.Training;

namespace ScalingLab.Tests.Dynamics;

/// <summary>Two tiny runs (1×16 and 2×16) trained on a Markov data folder with checkpoints, shared by the tests.</summary>
public sealed class TinyRunsFixture
{
    public string Root { get; } = Directory.CreateTempSubdirectory("sl-dyn").FullName;
    public string Data => Path.Combine(Root, "data");
    public string Small => Path.Combine(Root, "small");
    public string Large => Path.Combine(Root, "large");

    public static TrainConfig Train(string data) => new()
    {
        Data = data, Tokens = 4 * 8 * 40, Batch = 4, Seq = 8, Lr = 1e-2, Warmup = 2, EvalEvery = 40, EvalWindows = 4,
        CkptEvery = 10, CkptLogUntil = 8, Seed = 3, Threads = 1, Gemm = "managed",
    };

    public static ModelConfig Model(int layers, int vocab) => new() { NLayer = layers, DModel = 16, NHead = 2, DFf = 64, NCtx = 8, VocabSize = vocab };

    public TinyRunsFixture()
    {
        SyntheticCorpora.WriteMarkov(Data, 1, 8, 0.5, 20_000, 2_000, 7);
        using var ds = TokenDataset.Open(Data);
        foreach (var (dir, layers) in new[] { (Small, 1), (Large, 2) })
            Trainer.Start(dir, Model(layers, ds.VocabSize), Train(Data), ds.Train, ds.Val, Gemm.Create("managed", 1)).Run();
    }
}

public class SeriesTests(TinyRunsFixture runs) : IClassFixture<TinyRunsFixture>
{
    [Fact]
    public void LastTrainingBatchIsTheBatchTheTrainerDrewLast()
    {
        // Replay the whole run's sampling from the start and keep the last batch.
        var cfg = TinyRunsFixture.Train(runs.Data).Resolve();
        using var ds = TokenDataset.Open(runs.Data);
        var sampler = new WindowSampler(ds.Train, cfg.Seq, cfg.Seed);
        var inputs = new int[cfg.Batch * cfg.Seq];
        var targets = new int[cfg.Batch * cfg.Seq];
        for (long s = 0; s < cfg.TotalSteps * cfg.Accum; s++) sampler.Next(cfg.Batch, inputs, targets);

        var eval = EvalBatch.ForRun(runs.Large, null, null, 0, null);
        Assert.Equal(inputs, eval.Inputs);
        Assert.Equal(targets, eval.Targets);
    }

    [Fact]
    public void SeriesNumbersMatchIndependentRecomputation()
    {
        var eval = EvalBatch.ForRun(runs.Large, null, "val", 100, 3);
        var run = SeriesAnalyzer.Analyze(runs.Large, eval, new ReferenceGemm(), 1);
        var ckpts = Checkpoints.List(runs.Large);
        Assert.Equal(ckpts.Select(c => c.Step), run.Steps);
        Assert.Equal([0L, 1, 2, 4, 8, 10, 20, 30, 40], run.Steps);

        // Activations of checkpoint 4 (step 8) and of the final one, from freshly loaded models.
        float[][] Acts(string ckpt)
        {
            var m = Checkpoints.Load(ckpt, eval.Batch, eval.SeqLen, new ReferenceGemm());
            var cap = new ActivationCapture(m.Config, eval.Batch * eval.SeqLen);
            m.Capture = cap;
            m.Forward(eval.Inputs, eval.Targets, eval.Batch);
            return [cap.Updates[Site.Att][1], cap.Updates[Site.Mlp][0]];
        }
        var early = Acts(ckpts[4].Path);
        var final = Acts(ckpts[^1].Path);
        int n = eval.Batch * eval.SeqLen;
        Assert.Equal(TestMatrices.NaiveCka(early[0], 16, final[0], 16, n), run.Cka[Site.Att][4][1], 1e-5);
        Assert.Equal(TestMatrices.NaiveCka(early[1], 16, final[1], 16, n), run.Cka[Site.Mlp][4][0], 1e-5);
        foreach (Site s in Enum.GetValues<Site>())
            for (int l = 0; l < 2; l++) Assert.Equal(1.0, run.Cka[s][^1][l], 1e-6);

        // Parameter PER straight from the checkpoint file (singular values of the stored tensor).
        var tensors = SafeTensors.Read(Path.Combine(ckpts[4].Path, "model.safetensors"));
        var (shape, data) = tensors["h.1.mlp.c_proj.weight"];
        Assert.Equal([64, 16], shape);
        Assert.Equal(EffectiveRank.Of(data, 64, 16).Per, run.ParamPer[Site.Mlp][4][1], 1e-12);
        // A gradient over 24 tokens has rank ≤ 24 but the W_O gradient is 16×16: PER in (0, 1].
        Assert.InRange(run.GradPer[Site.Att][4][0], 0.01, 1.0);
    }

    [Fact]
    public void CliWritesTablesAndPlotsForSeveralRuns()
    {
        string outDir = Path.Combine(runs.Root, "out-" + Guid.NewGuid().ToString("N"));
        var (code, output, err) = CliRunner.Run("dynamics", "--run", runs.Small, "--run", runs.Large, "--out", outDir,
                                                "--threads", "1", "--gemm", "managed", "--json");
        Assert.True(code == 0, err);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal(2, root.GetProperty("runs").GetArrayLength());
        Assert.Equal(["1x16", "2x16"], root.GetProperty("sizes").EnumerateArray().Select(e => e.GetProperty("size").GetString()));
        foreach (string f in new[] { "layers.csv", "percentiles.csv", "mcc.txt", "mcc.csv", "dynamics.json", "cka_by_size.svg", "per_grads_by_size.svg" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        // 9 checkpoints × (1 + 2) layers × 2 sites.
        Assert.Equal(1 + 9 * 3 * 2, File.ReadAllLines(Path.Combine(outDir, "layers.csv")).Length);

        (code, output, err) = CliRunner.Run("dynamics", "--run", runs.Small, "--out", outDir, "--threads", "1", "--gemm", "managed");
        Assert.True(code == 0, err);
        Assert.Contains("median layer first reaches CKA", output);
        Assert.Contains("θ^ATT", output);
    }

    [Fact]
    public void RunWithoutCheckpointsIsAOneLineError()
    {
        string empty = Directory.CreateTempSubdirectory().FullName;
        var (code, _, err) = CliRunner.Run("dynamics", "--run", empty, "--out", Path.Combine(empty, "o"));
        Assert.NotEqual(0, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("no complete checkpoints", err);
    }

    [Fact]
    public void MissingLayerIsAOneLineError()
    {
        var (code, _, err) = CliRunner.Run("dynamics", "--run", runs.Small, "--out", Path.Combine(runs.Root, "o2"), "--layers", "0,3", "--gemm", "managed");
        Assert.NotEqual(0, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("layer 3 does not exist", err);
    }

    [Fact]
    public void MixedArchitecturesInOneSeriesAreAOneLineError()
    {
        // A copy of the small run with one checkpoint of the large model slipped in.
        string mixed = Path.Combine(Directory.CreateTempSubdirectory().FullName, "mixed");
        CopyDir(runs.Small, mixed);
        CopyDir(Path.Combine(runs.Large, Checkpoints.DirName(20)), Path.Combine(mixed, Checkpoints.DirName(25)));
        var (code, _, err) = CliRunner.Run("dynamics", "--run", mixed, "--out", Path.Combine(mixed, "o"));
        Assert.NotEqual(0, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("different architectures", err);
        Assert.Throws<UserError>(() => SeriesAnalyzer.Open(mixed));
    }

    private static void CopyDir(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (string d in Directory.GetDirectories(from)) CopyDir(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
