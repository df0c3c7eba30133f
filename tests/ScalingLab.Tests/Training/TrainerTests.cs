using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Tests.Training;

public class TrainerTests
{
    /// <summary>A learnable corpus: a first-order Markov chain where each token has two likely successors.</summary>
    internal static ArrayTokens MarkovTokens(int count, int vocab, ulong seed)
    {
        var rng = new Rng(seed);
        var tokens = new int[count];
        for (int i = 1; i < count; i++)
        {
            int prev = tokens[i - 1];
            double u = rng.NextDouble();
            tokens[i] = u < 0.6 ? (prev * 3 + 1) % vocab : u < 0.9 ? (prev * 5 + 2) % vocab : rng.NextInt(vocab);
        }
        return new ArrayTokens(tokens, vocab);
    }

    internal static readonly ModelConfig Tiny = new() { NLayer = 1, DModel = 16, NHead = 2, DFf = 32, NCtx = 8, VocabSize = 16 };

    internal static TrainConfig TinyTrain(long tokens = 8 * 4 * 24) => new()
    {
        Tokens = tokens, Batch = 4, Seq = 8, Lr = 1e-2, Warmup = 2, EvalEvery = 4, EvalWindows = 8,
        CkptEvery = 6, CkptLogUntil = 4, Seed = 11, Threads = 1, Gemm = "reference",
    };

    private static readonly ArrayTokens TrainData = MarkovTokens(4000, 16, 1);
    private static readonly ArrayTokens ValData = MarkovTokens(1000, 16, 2);

    private static string NewRun() => Path.Combine(Directory.CreateTempSubdirectory("sl-train").FullName, "run");

    private static Trainer Start(string dir, TrainConfig? cfg = null, bool force = false) =>
        Trainer.Start(dir, Tiny, cfg ?? TinyTrain(), TrainData, ValData, new ReferenceGemm(), force);

    private static double?[] Losses(string dir) =>
        MetricsLog.Read(Path.Combine(dir, "metrics.jsonl")).SelectMany(r => new[] { r.TrainLoss, r.ValLoss, r.GradNorm, r.Lr }).ToArray();

    [Fact]
    public void LearnsTheChainAndBeatsTheUnigramModel()
    {
        string dir = NewRun();
        var result = Start(dir, TinyTrain(tokens: 8 * 4 * 120) with { EvalEvery = 40 }).Run();
        Assert.True(result.Completed);
        Assert.Equal(120, result.Step);
        Assert.NotNull(result.MinValLoss);
        // The chain's conditional entropy is far below the unigram entropy; the model must get clearly under it.
        Assert.True(result.MinValLoss < result.UnigramValLoss - 0.3, $"val {result.MinValLoss} vs unigram {result.UnigramValLoss}");
        // The first evaluation below the unigram loss is recorded with its time.
        var firstBelow = MetricsLog.Read(Path.Combine(dir, "metrics.jsonl")).First(r => r.ValLoss < result.UnigramValLoss);
        Assert.Equal(firstBelow.Step, result.BeatUnigramStep);
        Assert.True(result.BeatUnigramSeconds > 0);
        var rows = MetricsLog.Read(Path.Combine(dir, "metrics.jsonl"));
        Assert.Equal(Enumerable.Range(0, 121).Select(i => (long)i), rows.Select(r => r.Step));
        Assert.Equal(4, rows.Count(r => r.ValLoss is not null)); // steps 0, 40, 80, 120
        Assert.True(File.Exists(Path.Combine(dir, "summary.json")));
    }

    [Fact]
    public void SameSeedGivesSameBits()
    {
        string a = NewRun(), b = NewRun();
        var ta = Start(a); ta.Run();
        var tb = Start(b); tb.Run();
        Assert.Equal(ta.Model.Parameters, tb.Model.Parameters);
        Assert.Equal(Losses(a), Losses(b));
        var tc = Start(NewRun(), TinyTrain() with { Seed = 12 }); tc.Run();
        Assert.NotEqual(ta.Model.Parameters, tc.Model.Parameters);
    }

    [Theory]
    [InlineData(12)] // stopped right after a checkpoint
    [InlineData(15)] // stopped between checkpoints: resumes from 12 and redoes 13..15
    public void ResumeIsBitIdenticalToAnUninterruptedRun(long stopAt)
    {
        string whole = NewRun(), split = NewRun();
        var full = Start(whole); full.Run();

        var first = Start(split);
        var partial = first.Run(stopAfterStep: stopAt);
        Assert.False(partial.Completed);
        Assert.Equal(stopAt, partial.Step);
        Assert.Equal([0L, 1, 2, 4, 6, 12], Checkpoints.List(split).Select(c => c.Step));

        var resumed = Trainer.Resume(split, TrainData, ValData, new ReferenceGemm());
        Assert.Equal(12, resumed.Step);
        var result = resumed.Run();
        Assert.True(result.Completed);
        Assert.Equal(full.Model.Parameters, resumed.Model.Parameters);
        Assert.Equal(full.Optimizer.M, resumed.Optimizer.M);
        Assert.Equal(full.Optimizer.V, resumed.Optimizer.V);
        Assert.Equal(Losses(whole), Losses(split));   // no row lost or duplicated, every loss equal
        var stepsA = Checkpoints.List(whole).Select(c => c.Step);
        Assert.Equal(stepsA, Checkpoints.List(split).Select(c => c.Step));
        var last = Checkpoints.List(split)[^1].Path;
        Assert.Equal(SafeTensors.Read(Path.Combine(Checkpoints.List(whole)[^1].Path, "model.safetensors"))["wte.weight"].Data,
                     SafeTensors.Read(Path.Combine(last, "model.safetensors"))["wte.weight"].Data);
    }

    /// <summary>
    /// Document-aligned windows on Question-Formation lines: a run stopped between checkpoints and resumed ends with the
    /// same bits as an uninterrupted one (the sampler position round-trips through trainer_state.json), and the
    /// training loss on fixed training windows is recorded beside the validation loss (metrics and summary.json).
    /// </summary>
    [Fact]
    public void AlignedWindowsResumeBitIdenticallyAndRecordTheTrainingLoss()
    {
        var train = WindowLayoutTests.QfTokens(300, 5);
        var val = WindowLayoutTests.QfTokens(60, 6);
        var model = new ModelConfig { NLayer = 1, DModel = 16, NHead = 2, DFf = 32, NCtx = 40, VocabSize = train.VocabSize };
        var cfg = TinyTrain(tokens: 4 * 40 * 20) with { Seq = 40, Windows = "aligned", Separator = 0 };
        string whole = NewRun(), split = NewRun();
        var full = Trainer.Start(whole, model, cfg, train, val, new ReferenceGemm());
        var r = full.Run();
        var partial = Trainer.Start(split, model, cfg, train, val, new ReferenceGemm()).Run(stopAfterStep: 15);
        Assert.False(partial.Completed);
        var resumed = Trainer.Resume(split, train, val, new ReferenceGemm());
        Assert.Equal(12, resumed.Step);
        var r2 = resumed.Run();
        Assert.Equal(full.Model.Parameters, resumed.Model.Parameters);
        Assert.Equal(Losses(whole), Losses(split));
        Assert.Equal(r, r2 with { BeatUnigramSeconds = r.BeatUnigramSeconds });

        Assert.Equal("aligned", Trainer.ReadRunConfig(whole).Train.Windows);
        var rows = MetricsLog.Read(Path.Combine(whole, "metrics.jsonl"));
        Assert.All(rows, row => Assert.Equal(row.ValLoss is null, row.TrainEvalLoss is null));
        Assert.Equal(rows[^1].TrainEvalLoss, r.FinalTrainLoss);
        Assert.Equal(rows.Where(x => x.TrainEvalLoss is not null).Min(x => x.TrainEvalLoss), r.MinTrainLoss);
        var summary = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(whole, "summary.json")))!;
        Assert.Equal(r.FinalTrainLoss, (double)summary["final_train_loss"]!);
        Assert.Equal("aligned", (string)summary["windows"]!);
        // The training loss is the loss of those windows under the final weights: recompute it independently.
        var layout = WindowLayout.AlignedOn(train, 40, 0);
        double sum = 0; long n = 0;
        var x = new int[40]; var y = new int[40]; var w = new int[41];
        var m = Checkpoints.Load(Checkpoints.List(whole)[^1].Path, 1, 40, new ReferenceGemm());
        foreach (int k in layout.EvalWindows(cfg.EvalWindows))
        {
            layout.Read(train, k, w, x, y);
            sum += (double)m.Forward(x, y, 1) * layout.Targets(k);
            n += layout.Targets(k);
        }
        Assert.Equal(sum / n, r.FinalTrainLoss!.Value, 5);
    }

    [Fact]
    public void CheckpointLoadsBackIntoAnEqualModel()
    {
        string dir = NewRun();
        var t = Start(dir); t.Run(stopAfterStep: 4);
        var (_, path) = Checkpoints.List(dir)[^1];
        var loaded = Checkpoints.Load(path, 2, 8, new ReferenceGemm());
        Assert.Equal(Tiny, loaded.Config);
        Assert.Equal(t.Model.Parameters, loaded.Parameters);
        // Every tensor is saved under its Hugging Face name.
        var names = SafeTensors.Read(Path.Combine(path, "model.safetensors")).Keys.ToHashSet();
        Assert.Contains("wte.weight", names);
        Assert.Equal(t.Model.Params.Select(p => p.Name).ToHashSet(), names);
        Assert.Equal(4, Checkpoints.LoadState(path).Step);
    }

    [Fact]
    public void RunFolderWithDifferentConfigIsRefusedWithoutForce()
    {
        string dir = NewRun();
        Start(dir).Run(stopAfterStep: 2);
        var e = Assert.Throws<UserError>(() => Start(dir, TinyTrain() with { Lr = 5e-3 }));
        Assert.Contains("different config", e.Message);
        e = Assert.Throws<UserError>(() => Start(dir));
        Assert.Contains("--resume", e.Message);
        var t = Start(dir, TinyTrain() with { Lr = 5e-3 }, force: true);
        Assert.Empty(Checkpoints.List(dir));
        t.Run(stopAfterStep: 1);
        Assert.Equal(2, MetricsLog.Read(Path.Combine(dir, "metrics.jsonl")).Count);
    }

    [Fact]
    public void DivergenceStopsNamingTheStepAndMarksTheRunFailed()
    {
        string dir = NewRun();
        var t = Start(dir, TinyTrain() with { Lr = 1e30, Warmup = 0, GradClip = 0 });
        var e = Assert.Throws<UserError>(() => t.Run());
        Assert.Matches(@"step \d+: (training loss|gradient norm|validation loss) is", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.True(File.Exists(Path.Combine(dir, Trainer.FailedFile)));
        // The last checkpoint on disk is intact and finite.
        var (_, last) = Checkpoints.List(dir)[^1];
        var model = Checkpoints.Load(last, 1, 8, new ReferenceGemm());
        Assert.All(model.Parameters, p => Assert.True(float.IsFinite(p)));
    }

    [Fact]
    public void AccumulationMatchesOneLargeBatch()
    {
        // Two micro-batches of 4 draw the same windows as one batch of 8; the averaged gradient is the same up to rounding.
        var a = Start(NewRun(), TinyTrain() with { Batch = 4, Accum = 2, Tokens = 8 * 8 * 3, EvalWindows = 8 });
        var b = Start(NewRun(), TinyTrain() with { Batch = 8, Accum = 1, Tokens = 8 * 8 * 3, EvalWindows = 8 });
        a.Run(); b.Run();
        for (int i = 0; i < a.Model.Parameters.Length; i++)
            Assert.True(Math.Abs(a.Model.Parameters[i] - b.Model.Parameters[i]) < 2e-4, $"parameter {i}");
    }

    [Fact]
    public void MemorisesATinyRepeatedBatch()
    {
        // One window of 8 random tokens, seen every step: the loss must go towards zero.
        var rng = new Rng(5);
        var tokens = new int[9];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = rng.NextInt(16);
        var data = new ArrayTokens(tokens, 16);
        var cfg = TinyTrain(tokens: 8 * 150) with { Batch = 1, Lr = 3e-2, Warmup = 5, EvalEvery = 150, EvalWindows = 1, CkptEvery = 0, WeightDecay = 0 };
        var t = Trainer.Start(NewRun(), Tiny, cfg, data, data, new ReferenceGemm());
        var result = t.Run();
        Assert.True(result.FinalValLoss < 0.05, $"loss after memorising: {result.FinalValLoss}");
    }

    [Fact]
    public void GlobalNormAndClipScale()
    {
        var g = new float[10_001];
        new Rng(4).FillNormal(g);
        double reference = Math.Sqrt(g.Sum(x => (double)x * x));
        Assert.Equal(reference, Trainer.GlobalNorm(g), 1e-5 * reference); // float32 sums within 4096-element chunks
        Assert.Equal(0.5, Trainer.ClipScale(2.0, 1.0));
        Assert.Equal(1.0, Trainer.ClipScale(0.5, 1.0));
        Assert.Equal(1.0, Trainer.ClipScale(5.0, 0.0));
    }
}
