using System.Runtime.InteropServices;
using System.Text.Json;
using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Tests.Interop;

/// <summary>
/// llm.c (karpathy/llm.c train_gpt2.c, CPU, float32) as an outside oracle: its tiny GPT-2 checkpoint imported
/// through <see cref="LlmcCheckpoint"/> must reproduce the loss, logits, every gradient and ten AdamW steps it
/// computed (../shared/data/llmc-gpt2; tolerances from its README, about 10× the spread between llm.c builds).
/// </summary>
public class LlmcVectorTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static string Dir => OutsideData.Shared("llmc-gpt2")!;
    private const int B = 2, T = 32;

    private static float[] Floats(string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Dir, file));
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    private static (int[] Inputs, int[] Targets) Batch()
    {
        var ints = MemoryMarshal.Cast<byte, int>(File.ReadAllBytes(Path.Combine(Dir, "batch.bin"))).ToArray();
        return (ints[..(B * T)], ints[(B * T)..]);
    }

    private static JsonElement Expected() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "expected.json"))).RootElement;

    private static TransformerLm Load() => LlmcCheckpoint.Load(Path.Combine(Dir, "gpt2_tiny.bin"), B, T, Gemm.Create("managed", 1), 1);

    [LlmcFact]
    public void Header_IsReadAsTheReadmeStates()
    {
        var h = LlmcCheckpoint.ReadHeader(Path.Combine(Dir, "gpt2_tiny.bin"));
        Assert.Equal(new LlmcCheckpoint.Header(3, 64, 300, 2, 4, 64, 320), h);
        Assert.Equal(124_672, h.ParameterCount);
    }

    [LlmcFact]
    public void LossAndLogits_EqualLlmc()
    {
        var model = Load();
        var (x, y) = Batch();
        float loss = model.Forward(x, y, B);
        double want = Expected().GetProperty("initial_loss").GetDouble();
        Assert.True(Math.Abs(loss - want) <= 1e-5 * want, $"loss {loss:R} vs llm.c {want:R}");

        var expected = Floats("expected_logits.bin"); // (B, T, Vp = 320); the first V = 300 columns are the model's
        var logits = model.Logits;
        double maxAbs = 0;
        for (int r = 0; r < B * T; r++)
            for (int v = 0; v < 300; v++) maxAbs = Math.Max(maxAbs, Math.Abs(logits[r * 300 + v] - expected[r * 320 + v]));
        output.WriteLine($"loss {loss:R} vs llm.c {want:R} (relative {Math.Abs(loss - want) / want:G3}); logits max |Δ| {maxAbs:G3}");
        Assert.True(maxAbs <= 1e-5, $"logits differ from llm.c by up to {maxAbs:G3} (tolerance 1e-5 absolute)");
    }

    [LlmcFact]
    public void EveryGradient_EqualsLlmc()
    {
        var model = Load();
        var (x, y) = Batch();
        model.ZeroGradients();
        model.Forward(x, y, B);
        model.Backward();
        var h = LlmcCheckpoint.ReadHeader(Path.Combine(Dir, "gpt2_tiny.bin"));
        var want = new float[model.Gradients.Length];
        LlmcCheckpoint.ToOurs(Floats("expected_grads.bin"), h, model.Params, want);
        var failures = new List<string>();
        double worstRatio = 0;
        foreach (var p in model.Params)
        {
            var got = model.Gradients.AsSpan(p.Offset, p.Length);
            var exp = want.AsSpan(p.Offset, p.Length);
            bool keyBias = p.Name.EndsWith("attn.c_attn.bias", StringComparison.Ordinal);
            double maxExp = 0, maxDiff = 0;
            for (int i = 0; i < p.Length; i++)
            {
                if (keyBias && i >= 64 && i < 128)
                {
                    // d loss / d key bias is mathematically 0 (softmax ignores a per-query constant): both sides are noise.
                    if (Math.Abs(got[i]) > 1e-8) failures.Add($"{p.Name}[{i}] key-bias gradient {got[i]:G3} is not ≈ 0");
                    continue;
                }
                maxExp = Math.Max(maxExp, Math.Abs(exp[i]));
                maxDiff = Math.Max(maxDiff, Math.Abs(got[i] - exp[i]));
            }
            if (maxDiff > 1e-5 * maxExp && maxDiff > 1e-9) failures.Add($"{p.Name}: max |Δ| {maxDiff:G3} vs max |g| {maxExp:G3}");
            worstRatio = Math.Max(worstRatio, maxExp > 0 ? maxDiff / maxExp : maxDiff);
        }
        output.WriteLine($"gradients: worst per-tensor max |Δ| / max |g| = {worstRatio:G3} over {model.Params.Count} tensors");
        var wpe = model.Param("wpe.weight");
        for (int i = T * 64; i < wpe.Length; i++)
            if (model.Gradients[wpe.Offset + i] != 0) { failures.Add("wpe rows ≥ T have a non-zero gradient"); break; }
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }

    [LlmcFact]
    public void TenAdamWSteps_ReproduceLlmcLossesAndParameters()
    {
        var model = Load();
        var (x, y) = Batch();
        var e = Expected();
        var a = e.GetProperty("adamw");
        var opt = new AdamW(model.Parameters.Length, [(0, model.Parameters.Length, true)],
                            a.GetProperty("beta1").GetSingle(), a.GetProperty("beta2").GetSingle(), a.GetProperty("eps").GetSingle(),
                            a.GetProperty("weight_decay").GetSingle());
        float lr = a.GetProperty("lr").GetSingle();
        var losses = e.GetProperty("losses").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        double worstLoss = 0;
        for (int step = 0; step < 10; step++)
        {
            float loss = model.Forward(x, y, B);
            worstLoss = Math.Max(worstLoss, Math.Abs(loss - losses[step]));
            Assert.True(Math.Abs(loss - losses[step]) <= 1e-5, $"step {step}: loss {loss:R} vs llm.c {losses[step]:R}");
            model.ZeroGradients();
            model.Backward();
            opt.Update(model.Parameters, model.Gradients, lr);
        }
        double after = e.GetProperty("loss_after_10_updates").GetDouble();
        float final = model.Forward(x, y, B);
        Assert.True(Math.Abs(final - after) <= 1e-5, $"loss after 10 updates {final:R} vs llm.c {after:R}");

        var h = LlmcCheckpoint.ReadHeader(Path.Combine(Dir, "gpt2_tiny.bin"));
        var want = new float[model.Parameters.Length];
        LlmcCheckpoint.ToOurs(Floats("params_after_10.bin"), h, model.Params, want);
        var keyBias = model.Params.Where(p => p.Name.EndsWith("attn.c_attn.bias", StringComparison.Ordinal))
                           .SelectMany(p => Enumerable.Range(p.Offset + 64, 64)).ToHashSet();
        double worst = 0, worstKey = 0;
        for (int i = 0; i < want.Length; i++)
        {
            double d = Math.Abs(model.Parameters[i] - want[i]);
            if (keyBias.Contains(i)) worstKey = Math.Max(worstKey, d); else worst = Math.Max(worst, d);
        }
        output.WriteLine($"10 steps: loss max |Δ| {worstLoss:G3}, after 10 {Math.Abs(final - after):G3}; parameters max |Δ| {worst:G3} (key bias {worstKey:G3})");
        Assert.True(worst <= 5e-6, $"parameters after 10 updates differ from llm.c by up to {worst:G3} (tolerance 5e-6)");
        Assert.True(worstKey <= 2e-4, $"key-bias parameters differ by up to {worstKey:G3} (tolerance 2e-4: llm.c's are rounding noise)");
    }
}
