using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Training;
using Xunit.Abstractions;

namespace ScalingLab.Tests.Interop;

/// <summary>
/// Every case of <see cref="TorchOracleTests"/> prepared at once and run through one Python process (starting
/// torch costs seconds): model folders as we write them, the batch, and torch's answers beside them.
/// </summary>
public sealed class TorchOracleRuns
{
    public const int B = 2, T = 16, V = 97;
    public readonly Dictionary<string, (TransformerLm Model, int[] X, int[] Y, string Dir)> Forward = new();
    public readonly Dictionary<string, (int[] X, string Out)> Converted = new();
    public readonly (TransformerLm Model, float[] Before, string Dir) Adam;
    public const float Lr = 1e-2f, B1 = 0.9f, B2 = 0.95f, Eps = 1e-8f, Wd = 0.1f;
    public const int AdamSteps = 3;

    public static ModelConfig Config(string flavour, int layers, int width, int headSize, double rotaryPct, bool parallel) =>
        new ModelConfig
        {
            Flavour = flavour == "gpt2" ? ModelFlavour.Gpt2 : ModelFlavour.NeoX, NLayer = layers, DModel = width,
            NHead = width / headSize, DFf = 3 * width, NCtx = 24, VocabSize = V, RotaryPct = rotaryPct == 0 ? 0.25 : rotaryPct,
            UseParallelResidual = flavour == "gpt2" ? null : parallel,
        }.Validate();

    public static string Key(params object[] parts) => string.Join("/", parts);

    public TorchOracleRuns()
    {
        var jobs = new List<string>();
        string root = Directory.CreateTempSubdirectory("sl-torch").FullName;
        int n = 0;
        foreach (var row in TorchOracleTests.Shapes)
        {
            var (f, l, w, hs, rp, par) = ((string)row[0], (int)row[1], (int)row[2], (int)row[3], (double)row[4], (bool)row[5]);
            var model = TorchOracle.RandomModel(Config(f, l, w, hs, rp, par), B, T, 7);
            string dir = Path.Combine(root, $"f{n++}");
            Directory.CreateDirectory(dir);
            ModelFolder.Write(dir, model, null);
            var (x, y) = TorchOracle.RandomBatch(V, B, T, 11);
            TorchOracle.WriteBatch(dir, x, y, B, T);
            Forward[Key(row.ToArray())] = (model, x, y, dir);
            jobs.Add($"forward\t{dir}");
        }
        foreach (var row in TorchOracleTests.Conversions)
        {
            var (f, dtype, shards) = ((string)row[0], (string)row[1], (int)row[2]);
            var model = TorchOracle.RandomModel(Config(f, 2, 64, 32, 0.25, true), B, T, 13);
            string dir = Path.Combine(root, $"c{n++}"), outDir = Path.Combine(dir, "out");
            Directory.CreateDirectory(dir);
            ModelFolder.Write(dir, model, null);
            var (x, _) = TorchOracle.RandomBatch(V, B, T, 17);
            TorchOracle.WriteBatch(dir, x, x, B, T);
            Converted[Key(row.ToArray())] = (x, outDir);
            jobs.Add($"convert\t{dir}\t{outDir}\t{dtype}\t{shards}");
        }
        {
            var model = TorchOracle.RandomModel(Config("neox", 1, 64, 32, 0.25, true), B, T, 3);
            var (x, y) = TorchOracle.RandomBatch(V, B, T, 5);
            model.ZeroGradients();
            model.Forward(x, y, B);
            model.Backward();
            string dir = Path.Combine(root, "adamw");
            Directory.CreateDirectory(dir);
            var before = (float[])model.Parameters.Clone();
            SafeTensors.Write(Path.Combine(dir, "adamw_in.safetensors"),
                model.Params.Select(p => ("param." + p.Name, p.Shape, (ReadOnlyMemory<float>)before.AsMemory(p.Offset, p.Length)))
                    .Concat(model.Params.Select(p => ("grad." + p.Name, p.Shape, (ReadOnlyMemory<float>)model.Gradients.AsMemory(p.Offset, p.Length)))));
            File.WriteAllText(Path.Combine(dir, "adamw.json"), System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, double>
            {
                ["lr"] = Lr, ["beta1"] = B1, ["beta2"] = B2, ["eps"] = Eps, ["weight_decay"] = Wd, ["steps"] = AdamSteps,
            }));
            Adam = (model, before, dir);
            jobs.Add($"adamw\t{dir}");
        }
        string jobFile = Path.Combine(root, "jobs.tsv");
        File.WriteAllLines(jobFile, jobs);
        TorchOracle.Run("jobs", jobFile);
    }
}

/// <summary>
/// PyTorch as an outside engine (tests/oracles/torch_lm.py, GPT-2 and GPT-NeoX from torch operations after the
/// Hugging Face definitions, float64 autograd): our logits and every parameter gradient must agree within 1e-4
/// relative (max |Δ| / max |torch|, per tensor) for both flavours and several shapes, torch reading the very
/// folder we write (HF config.json + model.safetensors); our AdamW must match torch.optim.AdamW; and folders torch
/// writes in bf16/f16 and in shards must load to the logits torch computes from the rounded weights.
/// </summary>
public class TorchOracleTests(TorchOracleRuns runs, ITestOutputHelper output) : IClassFixture<TorchOracleRuns>
{
    private const int B = TorchOracleRuns.B;

    public static TheoryData<string, int, int, int, double, bool> Shapes => new()
    {
        // flavour, layers, width, head size, rotary_pct, parallel residual
        { "gpt2", 2, 64, 32, 0, false },
        { "gpt2", 1, 128, 64, 0, false },
        { "neox", 2, 64, 32, 0.25, true },
        { "neox", 2, 64, 32, 1.0, false },
        { "neox", 1, 128, 64, 1.0, true },
        { "neox", 1, 128, 64, 0.25, false },
    };

    public static TheoryData<string, string, int> Conversions => new()
    {
        { "gpt2", "bf16", 3 },
        { "neox", "bf16", 1 },
        { "neox", "f16", 2 },
        { "gpt2", "f32", 2 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void LogitsAndEveryGradient_EqualPyTorch(string flavour, int layers, int width, int headSize, double rotaryPct, bool parallel)
    {
        var (model, x, y, dir) = runs.Forward[TorchOracleRuns.Key(flavour, layers, width, headSize, rotaryPct, parallel)];
        var oracle = SafeTensors.Read(Path.Combine(dir, "oracle.safetensors"));
        model.ZeroGradients();
        float loss = model.Forward(x, y, B);
        double logitErr = TorchOracle.RelMax(model.Logits, oracle["logits"].Data);
        float torchLoss = oracle["loss"].Data[0];
        model.Backward();
        double worst = 0;
        string worstName = "";
        foreach (var p in model.Params)
        {
            double e = TorchOracle.RelMax(model.Gradients.AsSpan(p.Offset, p.Length), oracle["grad." + p.Name].Data);
            if (e > worst) { worst = e; worstName = p.Name; }
        }
        output.WriteLine($"{flavour} {layers}x{width} hs {headSize} rotary {rotaryPct} parallel {parallel}: logits {logitErr:G3}, loss {loss:R} vs {torchLoss:R}, worst gradient {worst:G3} ({worstName})");
        Assert.True(logitErr <= 1e-4, $"logits differ from PyTorch by {logitErr:G3} (max |Δ| / max |logit|)");
        Assert.True(Math.Abs(loss - torchLoss) <= 1e-5 * Math.Abs(torchLoss), $"loss {loss:R} vs PyTorch {torchLoss:R}");
        Assert.True(worst <= 1e-4, $"gradient of {worstName} differs from PyTorch's by {worst:G3} (max |Δ| / max |g|)");
    }

    [Fact]
    public void AdamWSteps_EqualTorchOptimAdamW()
    {
        var (model, before, dir) = runs.Adam;
        var torch = SafeTensors.Read(Path.Combine(dir, "adamw_out.safetensors"));
        var parameters = (float[])before.Clone();
        var opt = new AdamW(parameters.Length, model.Params.Select(p => (p.Offset, p.Length, p.Decay)),
                            TorchOracleRuns.B1, TorchOracleRuns.B2, TorchOracleRuns.Eps, TorchOracleRuns.Wd);
        var g = new float[model.Gradients.Length];
        for (int k = 0; k < TorchOracleRuns.AdamSteps; k++)
        {
            for (int i = 0; i < g.Length; i++) g[i] = model.Gradients[i] * (1 + k / 2f);
            opt.Update(parameters, g, TorchOracleRuns.Lr);
        }
        double worst = 0;
        foreach (var p in model.Params)
        {
            // Compare the updates (after − before), so the check sees the optimizer, not the weights' magnitude.
            var ours = new float[p.Length];
            var theirs = new float[p.Length];
            for (int i = 0; i < p.Length; i++)
            {
                ours[i] = parameters[p.Offset + i] - before[p.Offset + i];
                theirs[i] = torch["param." + p.Name].Data[i] - before[p.Offset + i];
            }
            worst = Math.Max(worst, TorchOracle.RelMax(ours, theirs));
        }
        output.WriteLine($"AdamW, {TorchOracleRuns.AdamSteps} steps: worst update difference {worst:G3} (max |Δ| / max |update| per tensor)");
        Assert.True(worst <= 1e-4, $"AdamW updates differ from torch.optim.AdamW by {worst:G3}");
    }

    [Theory]
    [MemberData(nameof(Conversions))]
    public void HalfPrecisionAndShardedFolders_WrittenByTorch_LoadToTorchsLogits(string flavour, string dtype, int shards)
    {
        var (x, outDir) = runs.Converted[TorchOracleRuns.Key(flavour, dtype, shards)];
        Assert.Equal(shards > 1, File.Exists(Path.Combine(outDir, "model.safetensors.index.json")));
        var loaded = ModelFolder.Load(outDir, B, TorchOracleRuns.T, Gemm.Create("managed", 1), 1);
        loaded.Forward(x, [], B);
        double err = TorchOracle.RelMax(loaded.Logits, SafeTensors.Read(Path.Combine(outDir, "oracle.safetensors"))["logits"].Data);
        output.WriteLine($"{flavour} {dtype} in {shards} shard(s): logits vs torch's on the rounded weights {err:G3}");
        Assert.True(err <= 1e-4, $"{dtype} folder: logits differ from PyTorch's by {err:G3}");
    }
}
