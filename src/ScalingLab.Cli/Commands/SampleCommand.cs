namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab sample`: generates text from a trained run so a person can see what the model learnt.</summary>
public static class SampleCommand
{
    /// <summary>The `sample` verb.</summary>
    public static Command Create()
    {
        var run = new Option<string?>("--run") { Description = "Run folder (made by `scalinglab train`)" };
        var ckpt = new Option<string?>("--checkpoint") { Description = "A checkpoint folder RUN/ckpt-NNNNNNNN (default: the run's newest), or a Hugging Face GPT-2 / GPT-NeoX folder with vocab.json + merges.txt" };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue", DefaultValueFactory = _ => "" };
        var tokens = new Option<int>("--tokens") { Description = "Tokens to generate", DefaultValueFactory = _ => 100 };
        var temperature = new Option<float>("--temperature") { Description = "Softmax temperature; 0 = greedy", DefaultValueFactory = _ => 0.8f };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens (0 = all)", DefaultValueFactory = _ => 40 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the sampling", DefaultValueFactory = _ => 1 };

        return Verb.Printing("sample",
            Verb.Help("Generate text from a run's newest checkpoint (or --checkpoint DIR): greedy at temperature 0, else tempered top-k sampling.",
            "scalinglab sample --run runs/a --prompt \"Once upon a time\"",
            "scalinglab sample --run runs/a --prompt \"is the\" --temperature 0     # greedy",
            "scalinglab sample --run runs/a --prompt \"the\" --tokens 200 --top-k 10 --seed 3 --json"),
            [run, ckpt, prompt, tokens, temperature, topK, seed], parse =>
        {
            string? runDir = parse.GetValue(run);
            string? ckptDir = parse.GetValue(ckpt);
            if (runDir is null && ckptDir is null) throw new UserError("sample: give --run RUN_DIR (or --checkpoint RUN/ckpt-NNNNNNNN)");
            runDir ??= Path.GetDirectoryName(Path.GetFullPath(ckptDir!.TrimEnd('/')))!;
            if (ckptDir is null)
            {
                var list = Checkpoints.List(runDir);
                if (list.Count == 0) throw new UserError($"sample: {runDir} has no complete checkpoint; train it first");
                ckptDir = list[^1].Path;
            }
            int count = parse.GetValue(tokens);
            if (count < 0) throw new UserError($"sample: --tokens must be ≥ 0 (got {count})");
            ITokenizer tokenizer;
            int[] ids, output;
            if (parse.GetValue(run) is null && !File.Exists(Path.Combine(runDir, "train.json")))
            {
                // A folder outside a run (e.g. a downloaded Hugging Face model): its own tokenizer and context.
                (tokenizer, ids, output) = Generator.FromFolder(ckptDir, parse.GetValue(prompt)!, count, parse.GetValue(temperature),
                                                                parse.GetValue(topK), parse.GetValue(seed));
            }
            else
            {
                var (_, tc) = Trainer.ReadRunConfig(runDir);
                if (tc.Data is null || !Directory.Exists(tc.Data))
                    throw new UserError($"sample: the run's data folder ({tc.Data ?? "none"}) is gone; its tokenizer is needed to read the prompt");
                using var data = TokenDataset.Open(tc.Data);
                var model = Checkpoints.Load(ckptDir, 1, tc.Seq, Gemm.Create(tc.Gemm, tc.Threads), tc.Threads);
                tokenizer = data.Tokenizer;
                ids = tokenizer.Encode(parse.GetValue(prompt)!);
                output = Generator.Generate(model, ids, count, parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(seed), tc.Seq);
            }
            string text = tokenizer.Decode(output);
            var stdout = parse.InvocationConfiguration.Output;
            if (Verb.WantsJson(parse))
                stdout.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["checkpoint"] = ckptDir, ["prompt"] = parse.GetValue(prompt)!, ["completion"] = text, ["ids"] = output,
                }));
            else
                stdout.WriteLine(tokenizer.Decode([.. ids, .. output])); // decoded whole, so the tokenizer places the joins
            return 0;
        }, json: "prompt, completion, ids");
    }
}
