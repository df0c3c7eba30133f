namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab eval`: the loss of a checkpoint (ours, Hugging Face, or llm.c) on a data folder, a text file or token ids.</summary>
public static class EvalCommand
{
    /// <summary>The `eval` verb.</summary>
    public static Command Create()
    {
        var ckpt = new Option<string?>("--checkpoint") { Description = "checkpoint folder RUN/ckpt-NNNNNNNN, or a Hugging Face GPT-2 / GPT-NeoX folder (config.json + model.safetensors)" };
        var llmc = new Option<string?>("--llmc") { Description = "llm.c GPT-2 checkpoint file (gpt2_*.bin, float32 or bfloat16)" };
        var data = new Option<string?>("--data") { Description = "data folder made by `scalinglab data`" };
        var split = new Option<string>("--split") { Description = "split of --data", DefaultValueFactory = _ => "val" };
        var text = new Option<string?>("--text") { Description = "UTF-8 text file, tokenized with the checkpoint's tokenizer" };
        var tokens = new Option<string?>("--tokens") { Description = "raw little-endian int32 token ids" };
        var seq = new Option<int?>("--seq") { Description = "tokens per window (default: the model's context, at most 1024)" };
        var batch = new Option<int>("--batch") { Description = "windows per forward pass", DefaultValueFactory = _ => 4 };
        var maxWindows = new Option<int>("--max-windows") { Description = "score at most this many windows (0 = all)", DefaultValueFactory = _ => 0 };
        var threads = SharedOptions.Threads("threads");
        var gemm = SharedOptions.Gemm();
        return Verb.Printing("eval",
            Verb.Help("Mean next-token loss (nats/token) of a checkpoint on consecutive windows of a data folder's split, a text file\n" +
            "(tokenized with the checkpoint's tokenizer) or a raw int32 token stream.",
            "scalinglab eval --checkpoint runs/a/ckpt-00001000 --data data/tiny --split val",
            "scalinglab eval --checkpoint ~/models/gpt2 --text book.txt --seq 1024 --max-windows 50",
            "scalinglab eval --llmc gpt2_124M.bin --tokens ids.bin --seq 64 --json"),
            [ckpt, llmc, data, split, text, tokens, seq, batch, maxWindows, threads, gemm], parse =>
        {
            var result = Evaluation.Run(new EvalOptions
            {
                Checkpoint = parse.GetValue(ckpt), Llmc = parse.GetValue(llmc), Data = parse.GetValue(data), Split = parse.GetValue(split)!,
                Text = parse.GetValue(text), Tokens = parse.GetValue(tokens), Seq = parse.GetValue(seq), Batch = parse.GetValue(batch),
                MaxWindows = parse.GetValue(maxWindows), Threads = parse.GetValue(threads), Gemm = parse.GetValue(gemm)!,
            });
            return Verb.Print(parse, () => result.ToJson(), o => o.Write(result.Table()));
        }, json: "loss, perplexity, windows, tokens_scored, ...");
    }
}
