using ScalingLab.Common;
using ScalingLab.Dynamics;
using ScalingLab.Model;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Dynamics;

public class ActivationCaptureTests
{
    private const int Batch = 2, T = 5;

    private static (TransformerLm Model, int[] Inputs, int[] Targets) Tiny(ModelFlavour flavour)
    {
        var config = new ModelConfig { NLayer = 2, DModel = 8, NHead = 2, DFf = 16, NCtx = 8, VocabSize = 11, Flavour = flavour, RotaryPct = 0.5, InitStd = 0.3f };
        var model = new TransformerLm(config, Batch, T, new ReferenceGemm());
        model.InitializeWeights(5);
        // Non-zero biases and LayerNorm parameters, so the hand forward checks them too.
        var rng = new Rng(6);
        foreach (var p in model.Params.Where(p => p.Shape.Length == 1))
            for (int i = 0; i < p.Length; i++) model.Parameters[p.Offset + i] += 0.2f * (float)rng.NextNormal();
        var inputs = new int[Batch * T];
        var targets = new int[Batch * T];
        for (int i = 0; i < inputs.Length; i++) { inputs[i] = rng.NextInt(11); targets[i] = rng.NextInt(11); }
        return (model, inputs, targets);
    }

    /// <summary>GPT-2 forward in float64 from the model's weights by name: per layer the ATT and MLP updates, and the loss.</summary>
    private static (double[][] Att, double[][] Mlp, double Loss) HandForwardGpt2(TransformerLm m, int[] inputs, int[] targets,
                                                                                 Dictionary<string, double[]>? overrides = null)
    {
        var cfg = m.Config;
        int C = cfg.DModel, F = cfg.DFf, H = cfg.NHead, hs = C / H, V = cfg.VocabSize, N = Batch * T;
        double[] W(string name) => overrides is not null && overrides.TryGetValue(name, out var o) ? o
            : m.Parameters.AsSpan(m.Param(name).Offset, m.Param(name).Length).ToArray().Select(v => (double)v).ToArray();
        double[][] Lin(double[][] x, double[] w, double[] b, int inD, int outD) => x.Select(row =>
        {
            var y = (double[])b.Clone();
            for (int i = 0; i < inD; i++) for (int o = 0; o < outD; o++) y[o] += row[i] * w[i * outD + o]; // Conv1D: [in, out]
            return y;
        }).ToArray();
        double[][] Ln(double[][] x, double[] g, double[] b) => x.Select(row =>
        {
            double mu = row.Average(), var = row.Select(v => (v - mu) * (v - mu)).Average();
            return row.Select((v, j) => (v - mu) / Math.Sqrt(var + cfg.LayerNormEps) * g[j] + b[j]).ToArray();
        }).ToArray();
        double Gelu(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

        double[] wte = W("wte.weight"), wpe = W("wpe.weight");
        var x = new double[N][];
        for (int r = 0; r < N; r++) x[r] = Enumerable.Range(0, C).Select(j => wte[inputs[r] * C + j] + wpe[(r % T) * C + j]).ToArray();
        var att = new double[cfg.NLayer][];
        var mlp = new double[cfg.NLayer][];
        for (int l = 0; l < cfg.NLayer; l++)
        {
            string p = $"h.{l}.";
            var qkv = Lin(Ln(x, W(p + "ln_1.weight"), W(p + "ln_1.bias")), W(p + "attn.c_attn.weight"), W(p + "attn.c_attn.bias"), C, 3 * C);
            var y = new double[N][];
            for (int r = 0; r < N; r++) y[r] = new double[C];
            for (int b = 0; b < Batch; b++)
                for (int h = 0; h < H; h++)
                    for (int t = 0; t < T; t++)
                    {
                        var s = new double[t + 1];
                        for (int u = 0; u <= t; u++)
                            for (int d = 0; d < hs; d++) s[u] += qkv[b * T + t][h * hs + d] * qkv[b * T + u][C + h * hs + d] / Math.Sqrt(hs);
                        double max = s.Max(), z = s.Sum(v => Math.Exp(v - max));
                        for (int u = 0; u <= t; u++)
                            for (int d = 0; d < hs; d++) y[b * T + t][h * hs + d] += Math.Exp(s[u] - max) / z * qkv[b * T + u][2 * C + h * hs + d];
                    }
            var a = Lin(y, W(p + "attn.c_proj.weight"), W(p + "attn.c_proj.bias"), C, C);
            var mid = x.Select((row, r) => row.Select((v, j) => v + a[r][j]).ToArray()).ToArray();
            var hidden = Lin(Ln(mid, W(p + "ln_2.weight"), W(p + "ln_2.bias")), W(p + "mlp.c_fc.weight"), W(p + "mlp.c_fc.bias"), C, F)
                .Select(row => row.Select(Gelu).ToArray()).ToArray();
            var mo = Lin(hidden, W(p + "mlp.c_proj.weight"), W(p + "mlp.c_proj.bias"), F, C);
            x = mid.Select((row, r) => row.Select((v, j) => v + mo[r][j]).ToArray()).ToArray();
            att[l] = a.SelectMany(r => r).ToArray();
            mlp[l] = mo.SelectMany(r => r).ToArray();
        }
        var lnf = Ln(x, W("ln_f.weight"), W("ln_f.bias"));
        double loss = 0;
        for (int r = 0; r < N; r++)
        {
            var logits = Enumerable.Range(0, V).Select(v => Enumerable.Range(0, C).Sum(j => lnf[r][j] * wte[v * C + j])).ToArray();
            double max = logits.Max();
            loss += max + Math.Log(logits.Sum(z => Math.Exp(z - max))) - logits[targets[r]];
        }
        return (att, mlp, loss / N);
    }

    [Fact]
    public void CapturedUpdatesEqualAHandForwardPass()
    {
        var (model, inputs, targets) = Tiny(ModelFlavour.Gpt2);
        var capture = new ActivationCapture(model.Config, Batch * T);
        model.Capture = capture;
        float loss = model.Forward(inputs, targets, Batch);
        var (att, mlp, handLoss) = HandForwardGpt2(model, inputs, targets);
        Assert.Equal(handLoss, loss, 1e-4);
        for (int l = 0; l < 2; l++)
            for (int i = 0; i < att[l].Length; i++)
            {
                Assert.Equal(att[l][i], capture.Updates[Site.Att][l][i], 1e-4);
                Assert.Equal(mlp[l][i], capture.Updates[Site.Mlp][l][i], 1e-4);
            }
        // The updates are not trivially small: the comparison above has something to compare.
        Assert.True(att[1].Max(Math.Abs) > 0.05 && mlp[1].Max(Math.Abs) > 0.05);
    }

    [Theory]
    [InlineData(Site.Att)]
    [InlineData(Site.Mlp)]
    public void CapturedGradientsMatchFiniteDifferencesOfTheHandForward(Site site)
    {
        var (model, inputs, targets) = Tiny(ModelFlavour.Gpt2);
        var capture = new ActivationCapture(model.Config, Batch * T, layers: [1]);
        model.Capture = capture;
        model.ZeroGradients();
        model.Forward(inputs, targets, Batch);
        model.Backward();
        float[] grad = capture.Grads[site][0];
        string name = ActivationCapture.WriterName(model.Config, 1, site);
        var view = model.Param(name);
        Assert.Equal(view.Shape, capture.GradShapes[site][0]);
        // Central differences in float64 on the entries with the largest gradients.
        double[] w = model.Parameters.AsSpan(view.Offset, view.Length).ToArray().Select(v => (double)v).ToArray();
        foreach (int k in Enumerable.Range(0, grad.Length).OrderByDescending(i => Math.Abs(grad[i])).Take(4))
        {
            const double h = 1e-5;
            var plus = (double[])w.Clone(); plus[k] += h;
            var minus = (double[])w.Clone(); minus[k] -= h;
            double fd = (HandForwardGpt2(model, inputs, targets, new() { [name] = plus }).Loss
                         - HandForwardGpt2(model, inputs, targets, new() { [name] = minus }).Loss) / (2 * h);
            Assert.True(Math.Abs(fd) > 1e-3, $"gradient {k} too small to test: {fd}");
            Assert.Equal(fd, grad[k], Math.Abs(fd) * 1e-3 + 1e-6);
        }
    }

    [Fact]
    public void NeoXUpdatesSumToTheFinalResidualStream()
    {
        // Parallel residual: x_L = x_0 + Σ_l (ATT_l + MLP_l), x_0 = embed_in[token] (no positions in NeoX).
        var (model, inputs, targets) = Tiny(ModelFlavour.NeoX);
        var capture = new ActivationCapture(model.Config, Batch * T);
        var final = new FinalHidden(capture);
        model.Capture = final;
        model.Forward(inputs, targets, Batch);
        int C = model.Config.DModel;
        var embed = model.Param("embed_in.weight");
        for (int r = 0; r < Batch * T; r++)
            for (int j = 0; j < C; j++)
            {
                double sum = model.Parameters[embed.Offset + inputs[r] * C + j];
                for (int l = 0; l < 2; l++) sum += capture.Updates[Site.Att][l][r * C + j] + capture.Updates[Site.Mlp][l][r * C + j];
                Assert.Equal(final.Hidden![r * C + j], sum, 1e-4);
            }
        Assert.Contains("layers.1.mlp.dense_4h_to_h.weight", capture.WantedGradients);
        Assert.Equal([8, 16], capture.GradShapes[Site.Mlp][1]);
    }

    [Fact]
    public void MissingLayerIsAUserError()
    {
        var config = new ModelConfig { NLayer = 2, DModel = 8, NHead = 2, DFf = 16, NCtx = 8, VocabSize = 11 };
        var e = Assert.Throws<UserError>(() => new ActivationCapture(config, 10, layers: [0, 2]));
        Assert.Contains("layer 2 does not exist", e.Message);
    }

    /// <summary>Passes everything to the capture and keeps the final hidden state too.</summary>
    private sealed class FinalHidden(ActivationCapture inner) : ICaptureSink
    {
        public float[]? Hidden;
        public void OnAttentionUpdate(int layer, ReadOnlySpan<float> update, int rows, int dModel) => inner.OnAttentionUpdate(layer, update, rows, dModel);
        public void OnMlpUpdate(int layer, ReadOnlySpan<float> update, int rows, int dModel) => inner.OnMlpUpdate(layer, update, rows, dModel);
        public void OnFinalHidden(ReadOnlySpan<float> hidden, int rows, int dModel) => Hidden = hidden.ToArray();
        public IReadOnlyCollection<string> WantedGradients => inner.WantedGradients;
        public void OnGradient(string name, ReadOnlySpan<float> grad, int[] shape) => inner.OnGradient(name, grad, shape);
    }
}
