using ScalingLab.Model;

namespace ScalingLab.Tests.Model;

public class AccountingTests
{
    // 2 layers, d_model 128, d_ff 512, n_ctx 128, vocab 256: Kaplan Table 1 worked by hand.
    private static readonly ModelConfig Small = new()
    {
        NLayer = 2, DModel = 128, NHead = 2, DFf = 512, NCtx = 128, VocabSize = 256, Flavour = ModelFlavour.Gpt2,
    };

    [Fact]
    public void SmallConfigMatchesTable1ByHand()
    {
        // N = 2·128·2·(2·128 + 512) = 393,216 (= 12·n_layer·d² at d_ff = 4d).
        Assert.Equal(393_216L, ModelAccounting.NonEmbeddingParams(Small));
        // embed (256 + 128)·128 = 49,152.
        Assert.Equal(49_152L, ModelAccounting.EmbeddingParams(Small));
        // forward: embed 512 + QKV 196,608 + mask 65,536 + proj 65,536 + FF 524,288 + de-embed 65,536.
        Assert.Equal(918_016.0, ModelAccounting.ForwardFlopsPerToken(Small));
        // per layer 512 + 49,536 + 16,512 + 66,048 + 65,664 = 198,272; ×2 + ln_f 256 + embeddings 49,152.
        Assert.Equal(445_952L, ModelAccounting.TrainableParams(Small));
        Assert.Equal(6.0 * 393_216 * 1000, ModelAccounting.TrainingFlops6N(Small, 1000));
        Assert.Equal(3.0 * 918_016 * 1000, ModelAccounting.TrainingFlopsExact(Small, 1000));
    }

    /// <summary>Sums the Hugging Face tensor shapes of a GPT-2 model, independently of the formula.</summary>
    private static long SumGpt2Tensors(int layers, int d, int ff, int ctx, int vocab)
    {
        var shapes = new List<long[]> { new long[] { vocab, d }, new long[] { ctx, d } };
        for (int i = 0; i < layers; i++)
        {
            shapes.Add([d]); shapes.Add([d]);                 // ln_1
            shapes.Add([d, 3 * d]); shapes.Add([3 * d]);      // attn.c_attn
            shapes.Add([d, d]); shapes.Add([d]);              // attn.c_proj
            shapes.Add([d]); shapes.Add([d]);                 // ln_2
            shapes.Add([d, ff]); shapes.Add([ff]);            // mlp.c_fc
            shapes.Add([ff, d]); shapes.Add([d]);             // mlp.c_proj
        }
        shapes.Add([d]); shapes.Add([d]);                     // ln_f
        return shapes.Sum(s => s.Aggregate(1L, (a, b) => a * b));
    }

    [Fact]
    public void Gpt2SmallHasItsPublishedParameterCount()
    {
        var gpt2 = new ModelConfig { NLayer = 12, DModel = 768, NHead = 12, DFf = 3072, NCtx = 1024, VocabSize = 50257 };
        Assert.Equal(124_439_808L, ModelAccounting.TrainableParams(gpt2));
        Assert.Equal(SumGpt2Tensors(12, 768, 3072, 1024, 50257), ModelAccounting.TrainableParams(gpt2));
        Assert.Equal(84_934_656L, ModelAccounting.NonEmbeddingParams(gpt2)); // 12·12·768²
        Assert.Equal(SumGpt2Tensors(2, 128, 512, 128, 256), ModelAccounting.TrainableParams(Small));
    }

    [Fact]
    public void Pythia70mHasItsPublishedParameterCount()
    {
        // EleutherAI/pythia-70m: 6 layers, d 512, vocab 50304, untied embed_in/embed_out, 70,426,624 parameters.
        var pythia = new ModelConfig
        {
            NLayer = 6, DModel = 512, NHead = 8, DFf = 2048, NCtx = 2048, VocabSize = 50304, Flavour = ModelFlavour.NeoX,
        };
        Assert.Equal(70_426_624L, ModelAccounting.TrainableParams(pythia));
        Assert.Equal(2L * 50304 * 512, ModelAccounting.EmbeddingParams(pythia));
    }

    [Fact]
    public void PfDayIs8p64e19Flops()
    {
        Assert.Equal(1.0, ModelAccounting.PfDays(8.64e19), 12);
        Assert.Equal(0.5, ModelAccounting.PfDays(4.32e19), 12);
    }
}
