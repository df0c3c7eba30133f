using ScalingLab.Model;
using ScalingLab.Tests.Tensors.Kernels;

namespace ScalingLab.Tests.Model;

/// <summary>
/// An independent float64 transformer written as plainly as possible (index loops, no kernels of ours), used
/// as the oracle for the model tests: its loss gives finite-difference gradients, its intermediate values check
/// the capture sink. Parameters are read by Hugging Face name from a flat double array using the model's views.
/// </summary>
internal sealed class ReferenceLm(ModelConfig cfg, IReadOnlyList<ParamView> views)
{
    public readonly List<double[]> AttnUpdates = new(), MlpUpdates = new();
    public double[] FinalHidden = [];
    /// <summary>If set, the LM head reads this instead of wte (to separate the two uses of a tied embedding).</summary>
    public double[]? UntiedHead;

    private readonly Dictionary<string, ParamView> _views = views.ToDictionary(v => v.Name);

    private double[] Get(double[] theta, string name)
    {
        var v = _views[name];
        return theta.AsSpan(v.Offset, v.Length).ToArray();
    }

    private static double[] LayerNorm(double[] x, double[] g, double[] b, int rows, int dim, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double m = 0, v = 0;
            for (int i = 0; i < dim; i++) m += x[r * dim + i];
            m /= dim;
            for (int i = 0; i < dim; i++) v += (x[r * dim + i] - m) * (x[r * dim + i] - m);
            v /= dim;
            for (int i = 0; i < dim; i++) y[r * dim + i] = (x[r * dim + i] - m) / Math.Sqrt(v + eps) * g[i] + b[i];
        }
        return y;
    }

    /// <summary>y = x·W + b with W stored [in, out] (Conv1D) or [out, in] (Linear).</summary>
    private static double[] Dense(double[] x, double[] w, double[] b, int rows, int inDim, int outDim, bool outIn)
    {
        var y = new double[rows * outDim];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < outDim; j++)
            {
                double s = b.Length > 0 ? b[j] : 0;
                for (int i = 0; i < inDim; i++) s += x[r * inDim + i] * (outIn ? w[j * inDim + i] : w[i * outDim + j]);
                y[r * outDim + j] = s;
            }
        return y;
    }

    private static double Gelu(double x, bool exact) => exact
        ? 0.5 * x * (1 + ErfTests.SeriesErf(x / Math.Sqrt(2)))
        : 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    /// <summary>Mean cross-entropy (nats) of the batch over the targets that are not negative (ignored); records the sublayer updates and final hidden state.</summary>
    public double Loss(double[] theta, int[] inputs, int[] targets, int batch, int T)
    {
        AttnUpdates.Clear(); MlpUpdates.Clear();
        bool neox = cfg.Flavour == ModelFlavour.NeoX;
        int C = cfg.DModel, H = cfg.NHead, hs = C / H, F = cfg.DFf, V = cfg.VocabSize, N = batch * T;
        double eps = cfg.LayerNormEps;
        var wte = Get(theta, neox ? "embed_in.weight" : "wte.weight");
        var wpe = neox ? null : Get(theta, "wpe.weight");
        var x = new double[N * C];
        for (int r = 0; r < N; r++)
            for (int i = 0; i < C; i++)
                x[r * C + i] = wte[inputs[r] * C + i] + (wpe is null ? 0 : wpe[(r % T) * C + i]);

        for (int l = 0; l < cfg.NLayer; l++)
        {
            string p = neox ? $"layers.{l}." : $"h.{l}.";
            string ln1 = neox ? "input_layernorm" : "ln_1", ln2 = neox ? "post_attention_layernorm" : "ln_2";
            string qkvN = neox ? "attention.query_key_value" : "attn.c_attn", projN = neox ? "attention.dense" : "attn.c_proj";
            string fcN = neox ? "mlp.dense_h_to_4h" : "mlp.c_fc", outN = neox ? "mlp.dense_4h_to_h" : "mlp.c_proj";

            var h1 = LayerNorm(x, Get(theta, p + ln1 + ".weight"), Get(theta, p + ln1 + ".bias"), N, C, eps);
            var qkv = Dense(h1, Get(theta, p + qkvN + ".weight"), Get(theta, p + qkvN + ".bias"), N, C, 3 * C, neox);
            var y = new double[N * C];
            for (int b = 0; b < batch; b++)
                for (int h = 0; h < H; h++)
                {
                    double[,] q = new double[T, hs], k = new double[T, hs], v = new double[T, hs];
                    for (int t = 0; t < T; t++)
                        for (int d = 0; d < hs; d++)
                        {
                            int row = (b * T + t) * 3 * C;
                            q[t, d] = qkv[row + (neox ? h * 3 * hs + d : h * hs + d)];
                            k[t, d] = qkv[row + (neox ? h * 3 * hs + hs + d : C + h * hs + d)];
                            v[t, d] = qkv[row + (neox ? h * 3 * hs + 2 * hs + d : 2 * C + h * hs + d)];
                        }
                    if (neox) { Rotate(q, T, hs); Rotate(k, T, hs); }
                    for (int t = 0; t < T; t++)
                    {
                        var sc = new double[t + 1];
                        for (int s = 0; s <= t; s++)
                        {
                            for (int d = 0; d < hs; d++) sc[s] += q[t, d] * k[s, d];
                            sc[s] /= Math.Sqrt(hs);
                        }
                        double mx = sc.Max(), z = 0;
                        for (int s = 0; s <= t; s++) { sc[s] = Math.Exp(sc[s] - mx); z += sc[s]; }
                        for (int s = 0; s <= t; s++)
                            for (int d = 0; d < hs; d++) y[(b * T + t) * C + h * hs + d] += sc[s] / z * v[s, d];
                    }
                }
            var a = Dense(y, Get(theta, p + projN + ".weight"), Get(theta, p + projN + ".bias"), N, C, C, neox);
            AttnUpdates.Add(a);
            var mid = neox ? x : x.Zip(a, (u, w) => u + w).ToArray();
            var h2 = LayerNorm(mid, Get(theta, p + ln2 + ".weight"), Get(theta, p + ln2 + ".bias"), N, C, eps);
            var f = Dense(h2, Get(theta, p + fcN + ".weight"), Get(theta, p + fcN + ".bias"), N, C, F, neox);
            for (int i = 0; i < f.Length; i++) f[i] = Gelu(f[i], neox);
            var m = Dense(f, Get(theta, p + outN + ".weight"), Get(theta, p + outN + ".bias"), N, F, C, neox);
            MlpUpdates.Add(m);
            var nx = new double[N * C];
            for (int i = 0; i < nx.Length; i++) nx[i] = mid[i] + m[i] + (neox ? a[i] : 0);
            x = nx;
        }
        FinalHidden = x;
        string lnf = neox ? "final_layer_norm" : "ln_f";
        var hf = LayerNorm(x, Get(theta, lnf + ".weight"), Get(theta, lnf + ".bias"), N, C, eps);
        var head = UntiedHead ?? Get(theta, neox ? "embed_out.weight" : "wte.weight");
        var logits = Dense(hf, head, [], N, C, V, outIn: true);
        double loss = 0;
        int counted = 0;
        for (int r = 0; r < N; r++)
        {
            if (targets[r] < 0) continue; // an ignored target: no loss
            counted++;
            double mx = double.MinValue;
            for (int j = 0; j < V; j++) mx = Math.Max(mx, logits[r * V + j]);
            double z = 0;
            for (int j = 0; j < V; j++) z += Math.Exp(logits[r * V + j] - mx);
            loss += mx + Math.Log(z) - logits[r * V + targets[r]];
        }
        return counted == 0 ? 0 : loss / counted;
    }

    /// <summary>GPT-NeoX rotary: rotate_half pairing over the first rot dims, θ = t·10000^(−2i/rot).</summary>
    private void Rotate(double[,] m, int T, int hs)
    {
        int rot = (int)(hs * cfg.RotaryPct), half = rot / 2;
        for (int t = 0; t < T; t++)
        {
            var orig = new double[rot];
            for (int d = 0; d < rot; d++) orig[d] = m[t, d];
            for (int d = 0; d < rot; d++)
            {
                int i = d % half;
                double th = t * Math.Pow(10000, -2.0 * i / rot);
                double rh = d < half ? -orig[d + half] : orig[d - half];
                m[t, d] = orig[d] * Math.Cos(th) + rh * Math.Sin(th);
            }
        }
    }
}
