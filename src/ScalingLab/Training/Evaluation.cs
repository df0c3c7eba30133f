using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Model;
using ScalingLab.Tensors;

namespace ScalingLab.Training;

/// <summary>What `scalinglab eval` asks for: one model source and one token source.</summary>
public sealed record EvalOptions
{
    /// <summary>A checkpoint or Hugging Face model folder.</summary>
    public string? Checkpoint { get; init; }
    /// <summary>An llm.c GPT-2 checkpoint file (gpt2_*.bin).</summary>
    public string? Llmc { get; init; }
    /// <summary>A data folder (made by `scalinglab data`), evaluated on <see cref="Split"/>.</summary>
    public string? Data { get; init; }
    /// <summary>Split of <see cref="Data"/>.</summary>
    public string Split { get; init; } = "val";
    /// <summary>A UTF-8 text file, tokenized with the checkpoint's own tokenizer.</summary>
    public string? Text { get; init; }
    /// <summary>A raw little-endian int32 token stream.</summary>
    public string? Tokens { get; init; }
    /// <summary>Tokens per window (default: the model's context, at most 1024).</summary>
    public int? Seq { get; init; }
    /// <summary>Windows per forward pass.</summary>
    public int Batch { get; init; } = 4;
    /// <summary>At most this many windows (0 = all).</summary>
    public int MaxWindows { get; init; }
    /// <summary>Threads (0 = all processors).</summary>
    public int Threads { get; init; }
    /// <summary>GEMM backend.</summary>
    public string Gemm { get; init; } = "auto";
}

/// <summary>The loss of a model on a token sequence: mean next-token cross-entropy over consecutive windows.</summary>
public sealed record EvalResult
{
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("architecture")] public required string Architecture { get; init; }
    [JsonPropertyName("source")] public required string Source { get; init; }
    [JsonPropertyName("seq")] public int Seq { get; init; }
    [JsonPropertyName("windows")] public int Windows { get; init; }
    [JsonPropertyName("tokens_scored")] public long TokensScored { get; init; }
    /// <summary>Mean cross-entropy, nats per token.</summary>
    [JsonPropertyName("loss")] public double Loss { get; init; }
    [JsonPropertyName("perplexity")] public double Perplexity => Math.Exp(Loss);

    /// <summary>One JSON object.</summary>
    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>A few aligned lines for a terminal.</summary>
    public string Table() => string.Create(CultureInfo.InvariantCulture,
        $"model       {Model} ({Architecture})\ntokens      {Source}\nwindows     {Windows} × {Seq} tokens ({TokensScored} scored)\nloss        {Loss:0.000000} nats/token (perplexity {Perplexity:0.###})\n");
}

/// <summary>
/// Scores a checkpoint — ours, a Hugging Face GPT-2/GPT-NeoX folder, or an llm.c file — on a data folder's split,
/// a text file, or a raw token stream: consecutive windows of T + 1 tokens (stride T, so every token after the
/// first is predicted once), the mean cross-entropy over all of them, summed in float64 in window order.
/// </summary>
public static class Evaluation
{
    /// <summary>Resolves the options and scores the model.</summary>
    public static EvalResult Run(EvalOptions o)
    {
        if ((o.Checkpoint is null) == (o.Llmc is null)) throw new UserError("eval: give the model with --checkpoint DIR or --llmc FILE (one of them)");
        int given = (o.Data is null ? 0 : 1) + (o.Text is null ? 0 : 1) + (o.Tokens is null ? 0 : 1);
        if (given != 1) throw new UserError("eval: give the tokens with one of --data DIR, --text FILE or --tokens FILE");
        if (o.Batch < 1) throw new UserError($"eval: --batch must be ≥ 1 (got {o.Batch})");
        if (o.MaxWindows < 0) throw new UserError($"eval: --max-windows must be ≥ 0 (got {o.MaxWindows})");
        if (o.Threads < 0) throw new UserError($"eval: --threads must be ≥ 0 (got {o.Threads})");
        int threads = o.Threads == 0 ? Environment.ProcessorCount : o.Threads;

        ModelConfig config = o.Llmc is not null ? LlmcCheckpoint.Config(LlmcCheckpoint.ReadHeader(o.Llmc)) : ModelFolder.ReadConfig(o.Checkpoint!);
        int seq = o.Seq ?? Math.Min(config.NCtx, 1024);
        if (seq < 1 || seq > config.NCtx) throw new UserError($"eval: --seq {seq} must be in [1, {config.NCtx}] (the model's context)");

        ITokenSequence tokens;
        string source;
        TokenDataset? data = null;
        try
        {
            if (o.Data is not null)
            {
                data = TokenDataset.Open(o.Data);
                if (!data.SplitNames.Contains(o.Split))
                    throw new UserError($"eval: data folder {o.Data} has no split '{o.Split}'; it has {string.Join(", ", data.SplitNames)}");
                tokens = data.Split(o.Split);
                source = $"{o.Data} ({o.Split} split)";
            }
            else if (o.Text is not null)
            {
                if (o.Checkpoint is null) throw new UserError("eval: --text needs a checkpoint folder with a tokenizer; an llm.c file has none (use --tokens FILE)");
                if (!File.Exists(o.Text)) throw new UserError($"eval: text file {o.Text} not found");
                var tok = HfTokenizerFiles.Require(o.Checkpoint, "eval");
                tokens = new ArrayTokens(tok.Encode(File.ReadAllText(o.Text)), Math.Max(tok.VocabSize, config.VocabSize));
                source = $"{o.Text} (tokenized with the checkpoint's tokenizer)";
            }
            else
            {
                tokens = new ArrayTokens(ReadInt32s(o.Tokens!), int.MaxValue);
                source = $"{o.Tokens} (int32 token ids)";
            }
            if (tokens.Count < seq + 1)
                throw new UserError($"eval: {source} has {tokens.Count} tokens; one window of --seq {seq} needs {seq + 1}; lower --seq");
            var gemm = Tensors.Gemm.Create(o.Gemm, threads);
            long available = (tokens.Count - 1) / seq;
            int windows = (int)Math.Min(available, o.MaxWindows > 0 ? o.MaxWindows : int.MaxValue);
            int batch = Math.Min(o.Batch, windows);
            var model = o.Llmc is not null ? LlmcCheckpoint.Load(o.Llmc, batch, seq, gemm, threads) : ModelFolder.Load(o.Checkpoint!, batch, seq, gemm, threads);
            double loss = Score(model, tokens, windows);
            return new EvalResult
            {
                Model = o.Llmc ?? o.Checkpoint!, Architecture = ModelFolder.Describe(config), Source = source, Seq = seq,
                Windows = windows, TokensScored = (long)windows * seq, Loss = loss,
            };
        }
        finally
        {
            data?.Dispose();
        }
    }

    /// <summary>
    /// Mean cross-entropy of <paramref name="model"/> over the first <paramref name="windows"/> windows of
    /// <paramref name="tokens"/> (window w: inputs [wT, wT + T), targets one later), in batches of the model's size.
    /// </summary>
    public static double Score(TransformerLm model, ITokenSequence tokens, int windows)
    {
        int T = model.SeqLen, bMax = model.MaxBatch;
        var window = new int[T + 1];
        var inputs = new int[bMax * T];
        var targets = new int[bMax * T];
        double sum = 0;
        for (int w0 = 0; w0 < windows; w0 += bMax)
        {
            int b = Math.Min(bMax, windows - w0);
            for (int i = 0; i < b; i++)
            {
                tokens.Read((long)(w0 + i) * T, window);
                window.AsSpan(0, T).CopyTo(inputs.AsSpan(i * T));
                window.AsSpan(1, T).CopyTo(targets.AsSpan(i * T));
            }
            sum += (double)model.Forward(inputs.AsSpan(0, b * T), targets.AsSpan(0, b * T), b) * b;
        }
        return sum / windows;
    }

    private static int[] ReadInt32s(string path)
    {
        if (!File.Exists(path)) throw new UserError($"eval: token file {path} not found");
        long length = new FileInfo(path).Length;
        if (length % 4 != 0) throw new UserError($"eval: {path} has {length} bytes, not a whole number of int32 token ids");
        if (length / 4 > Array.MaxLength) throw new UserError($"eval: {path} holds more tokens than one array can; cut it");
        var ids = new int[length / 4];
        using var fs = File.OpenRead(path);
        fs.ReadExactly(MemoryMarshal.AsBytes(ids.AsSpan()));
        int bad = Array.FindIndex(ids, t => t < 0);
        if (bad >= 0) throw new UserError($"eval: {path} holds a negative token id ({ids[bad]} at position {bad})");
        return ids;
    }
}
