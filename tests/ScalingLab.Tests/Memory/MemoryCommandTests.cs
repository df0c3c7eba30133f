using System.Runtime.InteropServices;
using System.Text.Json;
using ScalingLab.Memory;
using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Tests.Cli;
using ScalingLab.Training;

namespace ScalingLab.Tests.Memory;

public class MemoryCommandTests
{
    [Fact]
    public void EnergyPrintsEnergiesAndPropositions()
    {
        var (code, output, _) = CliRunner.Run("memory", "energy", "--patterns", "-2,-0.5;0.2,-0.3;1.5,1.5", "--x", "0.5,1", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(1.25, root.GetProperty("nearest_neighbour").GetDouble(), 1e-12);
        Assert.Equal(Energies.Distance(Figure1.Patterns2D, [0.5, 1.0]), root.GetProperty("distance_energy").GetDouble(), 1e-12);
        Assert.All(root.GetProperty("checks").EnumerateArray().Where(c => !c.GetProperty("name").GetString()!.Contains("printed")),
                   c => Assert.True(c.GetProperty("holds").GetBoolean()));
    }

    [Theory]
    [InlineData("memory", "energy", "--patterns", "1,2;3", "--x", "1,2")]
    [InlineData("memory", "energy", "--patterns", ";", "--x", "1,2")]
    [InlineData("memory", "energy", "--patterns", "1,2;3,4", "--x", "1,2", "--beta", "0")]
    [InlineData("memory", "energy", "--patterns", "1,2;3,4", "--x", "1,2", "--beta", "-2")]
    [InlineData("memory", "retrieve", "--patterns", "0")]
    [InlineData("memory", "retrieve", "--beta", "0")]
    [InlineData("memory", "bound", "--n", "0")]
    [InlineData("memory", "radius", "--matrix", "/no/such/file.f32", "--dim", "4")]
    public void BadInputIsOneLine(params string[] args)
    {
        var (code, _, err) = CliRunner.Run(args);
        Assert.NotEqual(0, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.DoesNotContain("internal error", err);
    }

    [Fact]
    public void RetrievePrintsAccuracy()
    {
        var (code, output, _) = CliRunner.Run("memory", "retrieve", "--n", "32", "--patterns", "200", "--noise", "0.3", "--threads", "2");
        Assert.Equal(0, code);
        Assert.Contains("accuracy 100.0%", output);
        (code, output, _) = CliRunner.Run("memory", "retrieve", "--sweep-n", "2,16", "--sweep-patterns", "10,100", "--queries", "50", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(4, doc.RootElement.GetProperty("runs").GetArrayLength());
    }

    [Fact]
    public void BoundPrintsTheGpt2MediumExample()
    {
        var (code, output, _) = CliRunner.Run("memory", "bound", "--n", "1024", "--params", "3.55e8", "--tokens", "9e9");
        Assert.Equal(0, code);
        Assert.Contains("L ≥ 1", output);
        Assert.Contains("7.743", output);
    }

    [Fact]
    public void RadiusFromARawMatrixWritesJsonAndHistogram()
    {
        var dir = Directory.CreateTempSubdirectory("slmem");
        try
        {
            const int m = 200, n = 16;
            var x = new float[m * n];
            new Rng(3).FillNormal(x);
            string file = Path.Combine(dir.FullName, "acts.f32");
            File.WriteAllBytes(file, MemoryMarshal.AsBytes(x.AsSpan()).ToArray());
            string outDir = Path.Combine(dir.FullName, "out");
            var (code, output, err) = CliRunner.Run("memory", "radius", "--matrix", file, "--dim", "16", "--out", outDir, "--json", "--threads", "2");
            Assert.True(code == 0, err);
            using var doc = JsonDocument.Parse(output);
            var root = doc.RootElement;
            Assert.Equal(m, root.GetProperty("count").GetInt32());
            Assert.Equal(Math.Sqrt(16 / (2 * Math.PI * Math.E)), root.GetProperty("predicted_radius").GetDouble(), 1e-12);
            Assert.Equal(4, root.GetProperty("subsets").GetArrayLength());
            Assert.False(root.TryGetProperty("mean_falls_with_sample", out _)); // always true of any sample: no evidence, not printed
            // the full set's mean NN distance does not depend on the shuffle: compare with brute force
            var reference = NearestNeighbours.BruteForce(x, m, n);
            Assert.Equal(reference.Distance.Average(), root.GetProperty("mean").GetDouble(), 1e-9);
            Assert.True(File.Exists(Path.Combine(outDir, "radius_histogram.svg")));
            Assert.True(File.Exists(Path.Combine(outDir, "radius.json")));

            var (bad, _, badErr) = CliRunner.Run("memory", "radius", "--matrix", file, "--dim", "17");
            Assert.NotEqual(0, bad);
            Assert.Contains("not a multiple", badErr);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void Figure1WritesBothPanels()
    {
        var dir = Directory.CreateTempSubdirectory("slmem");
        try
        {
            var (code, _, err) = CliRunner.Run("memory", "energy", "--figure1", "--out", dir.FullName);
            Assert.True(code == 0, err);
            foreach (var f in new[] { "figure1_2d.svg", "figure1_1d.svg" })
            {
                string svg = File.ReadAllText(Path.Combine(dir.FullName, f));
                Assert.StartsWith("<svg", svg);
                System.Xml.Linq.XDocument.Parse(svg);
            }
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void BoundFromARunPrintsTheMeasuredPlateau()
    {
        var dir = Directory.CreateTempSubdirectory("slmem");
        try
        {
            var cfg = new ModelConfig { NLayer = 2, DModel = 64, NHead = 2, DFf = 256, NCtx = 32, VocabSize = 100 };
            File.WriteAllText(Path.Combine(dir.FullName, "config.json"), cfg.ToJson());
            File.WriteAllText(Path.Combine(dir.FullName, "train.json"), new TrainConfig { Seq = 32, Tokens = 64000 }.ToJson());
            using (var log = new MetricsLog(Path.Combine(dir.FullName, "metrics.jsonl")))
            {
                log.Append(new MetricsRow { Step = 10, Tokens = 32000, TrainLoss = 3.1, ValLoss = 3.3 });
                log.Append(new MetricsRow { Step = 20, Tokens = 64000, TrainLoss = 2.6, ValLoss = 2.75, TrainEvalLoss = 2.5 });
            }
            var (code, output, err) = CliRunner.Run("memory", "bound", "--run", dir.FullName, "--json");
            Assert.True(code == 0, err);
            using var doc = JsonDocument.Parse(output);
            var root = doc.RootElement;
            Assert.Equal(2.75, root.GetProperty("measured_min_val_loss").GetDouble());
            Assert.Equal(2.5, root.GetProperty("measured_min_train_eval_loss").GetDouble());
            Assert.Equal(64000, root.GetProperty("tokens").GetDouble());
            Assert.Equal(ModelAccounting.NonEmbeddingParams(cfg), root.GetProperty("params").GetDouble());
            Assert.Equal(2000, root.GetProperty("patterns").GetDouble(), 1e-9);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}

public class MemoryRadiusCheckpointTests
{
    [Fact]
    public void RadiusFromACheckpointRunsTheModelOnSampledChunks()
    {
        string data = ScalingLab.Tests.Training.TrainCliTests.MarkovFolder();
        string run = Path.Combine(Path.GetDirectoryName(data)!, "run");
        try
        {
            var cfg = new ModelConfig { NLayer = 1, DModel = 32, NHead = 1, DFf = 64, NCtx = 16, VocabSize = 17 };
            var model = new TransformerLm(cfg, 1, 16, Gemm.Create("managed", 1), 1);
            model.InitializeWeights(3);
            var adam = new AdamW(model.Parameters.Length, model.Params.Select(p => (p.Offset, p.Length, p.Decay)));
            string ckpt = Checkpoints.Save(run, 0, model, adam, new TrainerState());
            string outDir = Path.Combine(run, "radius");
            var (code, output, err) = CliRunner.Run("memory", "radius", "--checkpoint", ckpt, "--shard", data, "--chunks", "64",
                                                    "--seq-len", "16", "--batch", "8", "--threads", "1", "--seed", "4", "--out", outDir, "--json");
            Assert.True(code == 0, err);
            using var doc = JsonDocument.Parse(output);
            var root = doc.RootElement;
            Assert.Equal(64, root.GetProperty("count").GetInt32());
            Assert.Equal(32, root.GetProperty("dim").GetInt32());
            // the same vectors, sampled directly, give the same full-set mean NN distance (brute force, float64)
            using var ds = ScalingLab.Data.TokenDataset.Open(data);
            var again = Checkpoints.Load(ckpt, 8, 16, Gemm.Create("managed", 1), 1);
            var x = ActivationSampler.FinalPositions(again, ds.Train, 64, seed: 4); // the training split by default, as the paper
            Assert.Equal(NearestNeighbours.BruteForce(x, 64, 32).Distance.Average(), root.GetProperty("mean").GetDouble(), 1e-9);
            Assert.True(File.Exists(Path.Combine(outDir, "radius_histogram.svg")));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(data)!, true);
        }
    }
}
