using ScalingLab.Model;
using ScalingLab.Tensors;

namespace ScalingLab.Training;

/// <summary>
/// Text generation from a trained model, one token at a time: the last n_ctx tokens go through the model, and the
/// next token is the argmax of the last position's logits (temperature 0) or a draw from
/// softmax(logits / temperature) restricted to the top-k logits (as in GPT-2's sampling script).
/// </summary>
public static class Generator
{
    /// <summary>
    /// Continues <paramref name="prompt"/> with the model and tokenizer of the folder <paramref name="dir"/> (a checkpoint or
    /// a Hugging Face folder); the window is the prompt plus the new tokens, at most the model's context.
    /// </summary>
    public static (Data.ITokenizer Tokenizer, int[] Prompt, int[] Output) FromFolder(string dir, string prompt, int count, float temperature,
                                                                                    int topK, ulong seed)
    {
        var tokenizer = Data.HfTokenizerFiles.Require(dir, "sample");
        var config = ModelFolder.ReadConfig(dir);
        int[] ids = tokenizer.Encode(prompt);
        int seq = Math.Clamp(ids.Length + count, 1, config.NCtx);
        int threads = Environment.ProcessorCount;
        var model = ModelFolder.Load(dir, 1, seq, Tensors.Gemm.Create("auto", threads), threads);
        return (tokenizer, ids, Generate(model, ids, count, temperature, topK, seed, seq));
    }

    /// <summary>
    /// Continues <paramref name="prompt"/> by <paramref name="count"/> tokens. The model must have been built for
    /// batch 1; its sequence length is the context window. Same seed → same text.
    /// </summary>
    public static int[] Generate(TransformerLm model, ReadOnlySpan<int> prompt, int count, float temperature, int topK, ulong seed,
                                 int seqLen)
    {
        if (prompt.Length == 0) throw new Common.UserError("sample: the prompt encodes to no tokens; give a non-empty --prompt");
        int vocab = model.Config.VocabSize;
        foreach (int id in prompt)
            if ((uint)id >= (uint)vocab) throw new Common.UserError($"sample: prompt token {id} is outside the model's vocabulary ({vocab})");
        var tokens = new List<int>(prompt.ToArray());
        var input = new int[seqLen];
        var scratch = new float[vocab];
        var rng = new Rng(seed, stream: 0x53414D50); // "SAMP"
        for (int n = 0; n < count; n++)
        {
            int len = Math.Min(tokens.Count, seqLen);
            Array.Clear(input);
            // Causal attention: positions after len−1 cannot affect its logits, so the padding is harmless.
            for (int i = 0; i < len; i++) input[i] = tokens[tokens.Count - len + i];
            model.Forward(input, ReadOnlySpan<int>.Empty, 1);
            var logits = model.Logits.Slice((len - 1) * vocab, vocab);
            tokens.Add(SampleNext(logits, temperature, topK, ref rng, scratch));
        }
        return tokens.Skip(prompt.Length).ToArray();
    }

    /// <summary>
    /// The next token from one position's <paramref name="logits"/>: argmax when <paramref name="temperature"/> ≤ 0,
    /// else a draw from softmax(logits/temperature) over the <paramref name="topK"/> largest (all when topK ≤ 0).
    /// </summary>
    public static int SampleNext(ReadOnlySpan<float> logits, float temperature, int topK, ref Rng rng, Span<float> scratch)
    {
        int v = logits.Length;
        if (temperature <= 0)
        {
            int best = 0;
            for (int i = 1; i < v; i++) if (logits[i] > logits[best]) best = i;
            return best;
        }
        // The k-th largest logit is the cut; ties at the cut are all kept.
        float cut = float.NegativeInfinity;
        if (topK > 0 && topK < v)
        {
            logits.CopyTo(scratch);
            scratch[..v].Sort();
            cut = scratch[v - topK];
        }
        float max = float.NegativeInfinity;
        foreach (float x in logits) max = Math.Max(max, x);
        double total = 0;
        for (int i = 0; i < v; i++)
        {
            scratch[i] = logits[i] >= cut ? (float)Math.Exp((logits[i] - max) / temperature) : 0f;
            total += scratch[i];
        }
        double u = rng.NextDouble() * total, acc = 0;
        int last = 0;
        for (int i = 0; i < v; i++)
        {
            if (scratch[i] == 0) continue;
            acc += scratch[i];
            last = i;
            if (u < acc) return i;
        }
        return last;
    }
}
