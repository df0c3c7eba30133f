using ScalingLab.Data;
using ScalingLab.Memory;
using ScalingLab.Model;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Memory;

public class ActivationSamplerTests
{
    private static (TransformerLm Model, ArrayTokens Tokens) Setup(int maxBatch)
    {
        var cfg = new ModelConfig { NLayer = 2, DModel = 32, NHead = 2, DFf = 64, NCtx = 16, VocabSize = 50 };
        var model = new TransformerLm(cfg, maxBatch, 12, Gemm.Create("managed", 1), 1);
        model.InitializeWeights(5);
        var rng = new Rng(6);
        var ids = new int[500];
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.NextInt(50);
        return (model, new ArrayTokens(ids, 50));
    }

    private sealed class FullHidden : ICaptureSink
    {
        public float[] Hidden = [];
        public IReadOnlyCollection<string> WantedGradients { get; } = [];
        public void OnFinalHidden(ReadOnlySpan<float> hidden, int rows, int dModel) => Hidden = hidden.ToArray();
        public void OnAttentionUpdate(int layer, ReadOnlySpan<float> update, int rows, int dModel) { }
        public void OnMlpUpdate(int layer, ReadOnlySpan<float> update, int rows, int dModel) { }
        public void OnGradient(string name, ReadOnlySpan<float> grad, int[] shape) { }
    }

    [Fact]
    public void TakesTheLastPositionBeforeAndAfterTheFinalNorm()
    {
        var (model, tokens) = Setup(4);
        var before = ActivationSampler.FinalPositions(model, tokens, 7, seed: 3, afterFinalNorm: false);
        var after = ActivationSampler.FinalPositions(model, tokens, 7, seed: 3, afterFinalNorm: true);
        Assert.Equal(7 * 32, before.Length);
        Assert.Null(model.Capture);

        // each sampled vector is the last row of the model's final hidden state for some window of the data
        var single = new TransformerLm(model.Config, 1, 12, Gemm.Create("managed", 1), 1);
        model.Parameters.CopyTo(single.Parameters, 0);
        var sink = new FullHidden();
        single.Capture = sink;
        var ids = new int[500];
        tokens.Read(0, ids);
        for (int r = 0; r < 7; r++)
        {
            var row = before.AsSpan(r * 32, 32).ToArray();
            bool found = false;
            for (int start = 0; start + 12 <= 500 && !found; start++)
            {
                single.Forward(ids.AsSpan(start, 12), default, 1);
                var last = sink.Hidden.AsSpan(11 * 32, 32).ToArray();
                found = last.Zip(row, (a, b) => Math.Abs(a - b)).Max() < 1e-4f;
            }
            Assert.True(found, $"row {r} is not the last hidden state of any window");

            // after = LayerNorm(before) with ln_f (float64 reference)
            var w = model.Param("ln_f.weight"); var bias = model.Param("ln_f.bias");
            double mean = row.Average(v => (double)v);
            double var = row.Average(v => (v - mean) * (v - mean));
            for (int k = 0; k < 32; k++)
            {
                double expected = (row[k] - mean) / Math.Sqrt(var + model.Config.LayerNormEps)
                                  * model.Parameters[w.Offset + k] + model.Parameters[bias.Offset + k];
                Assert.Equal(expected, after[r * 32 + k], 1e-4);
            }
        }
    }

    [Fact]
    public void SameSeedSameVectorsWhateverTheBatch()
    {
        var (a, tokens) = Setup(4);
        var (b, _) = Setup(1);
        var x = ActivationSampler.FinalPositions(a, tokens, 9, seed: 11);
        var y = ActivationSampler.FinalPositions(b, tokens, 9, seed: 11);
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], y[i], 1e-4f);
        var z = ActivationSampler.FinalPositions(a, tokens, 9, seed: 12);
        Assert.NotEqual(x, z);
    }
}
