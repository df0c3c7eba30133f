using ScalingLab.Model;

namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab train`: trains one model in a run folder, or resumes one.</summary>
public static class TrainCommand
{
    /// <summary>The `train` verb.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model shape LAYERSxWIDTH (d_ff = 4·width, heads of 64), e.g. 4x256", DefaultValueFactory = _ => "2x128" };
        var flavour = new Option<string>("--flavour") { Description = "Architecture: gpt2 or neox", DefaultValueFactory = _ => "gpt2" };
        var data = new Option<string?>("--data") { Description = "Data folder (manifest.json, tokenizer.json, shards), e.g. from `scalinglab data`" };
        var tokens = new Option<string>("--tokens") { Description = "Training tokens: 1000000, 500K, 20M, 1.5B", DefaultValueFactory = _ => "1M" };
        var batch = new Option<int>("--batch") { Description = "Sequences per micro-batch", DefaultValueFactory = _ => 32 };
        var seq = new Option<int>("--seq") { Description = "Tokens per sequence (the context n_ctx)", DefaultValueFactory = _ => 128 };
        var accum = new Option<int>("--accum") { Description = "Micro-batches per update (gradient accumulation)", DefaultValueFactory = _ => 1 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => 1e-3 };
        var warmup = new Option<long>("--warmup") { Description = "Warmup steps (-1: 5% of the steps)", DefaultValueFactory = _ => -1 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialisation and data order", DefaultValueFactory = _ => 1 };
        var evalEvery = new Option<long>("--eval-every") { Description = "Evaluate every k steps (-1: 20 times per run)", DefaultValueFactory = _ => -1 };
        var ckptEvery = new Option<long>("--ckpt-every") { Description = "Checkpoint every k steps after the powers of two (-1: 10 per run, 0: none)", DefaultValueFactory = _ => -1 };
        var threads = SharedOptions.Threads("Threads (results are bit-reproducible for a given count)", 2);
        var gemm = SharedOptions.Gemm();
        var windows = new Option<string>("--windows") { Description = "Training windows: auto (aligned for line-structured data such as Question-Formation), stream (a grid over the token stream) or aligned (start on a separator, whole documents)", DefaultValueFactory = _ => "auto" };
        var precision = new Option<string>("--precision")
        {
            Description = "Layer-product arithmetic: fp32, bf16 (mixed precision through oneDNN), auto (bf16 only on CPUs with AMX)",
            DefaultValueFactory = _ => "fp32",
        };
        var config = new Option<string?>("--config") { Description = "run.json: train.json keys plus \"model\" (a shape like \"4x256\" or a config.json object) and \"flavour\"" };
        var output = SharedOptions.Out("Run folder to create");
        var resume = new Option<string?>("--resume") { Description = "Run folder to continue from its newest complete checkpoint" };
        var force = new Option<bool>("--force") { Description = "Overwrite a run folder that already holds a run" };

        // cancel: SIGTERM or Ctrl-C (CliApp) = preemption: checkpoint at the next step boundary, say how to resume, exit 0.
        return Verb.Printing("train",
            Verb.Help("Train a GPT-style model on a data folder: AdamW, warmup + cosine, checkpoints on the Pythia schedule, metrics.jsonl.\n" +
            "Prints the minimum validation loss beside the unigram baseline of the data (a model must beat it).",
            "scalinglab train --model 4x256 --data DIR --tokens 20M --batch 32 --seq 128 --lr 1e-3 --out runs/a",
            "scalinglab train --config run.json --out runs/b      # options given on the line override the file",
            "scalinglab train --resume runs/a                     # continue from the newest checkpoint, bit-identically"),
            [model, flavour, data, tokens, batch, seq, accum, lr, warmup, seed, evalEvery, ckptEvery, threads, gemm, windows, precision, config, output, resume, force], (parse, cancel) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            bool Given(Option o) => parse.GetResult(o) is { Implicit: false };
            Trainer trainer;
            string? resumeDir = parse.GetValue(resume);
            TokenDataset? dataset = null;
            try
            {
            if (resumeDir is not null)
            {
                foreach (Option o in new Option[] { model, flavour, data, tokens, batch, seq, accum, lr, warmup, seed, evalEvery, ckptEvery, threads, gemm, windows, precision, config, output, force })
                    if (Given(o)) throw new UserError($"train: --resume takes its settings from {resumeDir}/train.json; drop {o.Name}");
                var (_, tc) = Trainer.ReadRunConfig(resumeDir);
                dataset = OpenData(tc.Data);
                trainer = Trainer.Resume(resumeDir, dataset.Train, dataset.Val, Gemm.ForPrecision(tc.Gemm, tc.Threads, tc.Precision), stderr.WriteLine);
                stderr.WriteLine($"train: resuming {resumeDir} at step {trainer.Step} of {trainer.Config.TotalSteps}");
            }
            else
            {
                string outDir = parse.GetValue(output) ?? throw new UserError("train: give --out RUN_DIR (the run folder to create), or --resume RUN_DIR");
                JsonElement? file = null;
                string? cfgPath = parse.GetValue(config);
                if (cfgPath is not null) file = ReadRunJson(cfgPath);
                var tc = file is { } f ? TrainConfig.FromJson(f.GetRawText()) : new TrainConfig();
                // Options given on the command line override the file; the file overrides the defaults (the same in both).
                if (Given(data)) tc = tc with { Data = parse.GetValue(data) };
                if (Given(tokens)) tc = tc with { Tokens = ParseCount(parse.GetValue(tokens)!) };
                if (Given(batch)) tc = tc with { Batch = parse.GetValue(batch) };
                if (Given(seq)) tc = tc with { Seq = parse.GetValue(seq) };
                if (Given(accum)) tc = tc with { Accum = parse.GetValue(accum) };
                if (Given(lr)) tc = tc with { Lr = parse.GetValue(lr) };
                if (Given(warmup)) tc = tc with { Warmup = parse.GetValue(warmup) };
                if (Given(seed)) tc = tc with { Seed = parse.GetValue(seed) };
                if (Given(evalEvery)) tc = tc with { EvalEvery = parse.GetValue(evalEvery) };
                if (Given(ckptEvery)) tc = tc with { CkptEvery = parse.GetValue(ckptEvery) };
                if (Given(threads)) tc = tc with { Threads = parse.GetValue(threads) };
                if (Given(gemm)) tc = tc with { Gemm = parse.GetValue(gemm)! };
                if (Given(windows)) tc = tc with { Windows = parse.GetValue(windows) };
                if (Given(precision)) tc = tc with { Precision = parse.GetValue(precision)! };
                tc.Validate(); // a bad setting is named as the flag the user typed (--seq), before any data is read
                if (tc.Data is null) throw new UserError("train: give --data DIR (a data folder made by `scalinglab data`)");
                tc = tc with { Data = Path.GetFullPath(tc.Data) };
                dataset = OpenData(tc.Data);
                tc = tc.ForData(dataset.Manifest, dataset.Tokenizer);

                string flav = !Given(flavour) && file is { } f1 && f1.TryGetProperty("flavour", out var fv) ? fv.GetString() ?? "" : parse.GetValue(flavour)!;
                var fl = flav.ToLowerInvariant() switch
                {
                    "gpt2" => ModelFlavour.Gpt2,
                    "neox" => ModelFlavour.NeoX,
                    _ => throw new UserError($"train: --flavour '{flav}' is not gpt2 or neox"),
                };
                ModelConfig mc;
                if (!Given(model) && file is { } ff && ff.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.Object)
                    mc = ModelConfig.FromJson(m.GetRawText());
                else
                {
                    string shape = !Given(model) && file is { } f2 && f2.TryGetProperty("model", out var s) && s.ValueKind == JsonValueKind.String
                        ? s.GetString()! : parse.GetValue(model)!;
                    mc = ModelConfig.FromShape(shape, dataset.VocabSize, tc.Seq, fl);
                }
                // "auto" is resolved here and the choice recorded, so a resumed run uses the same kernel (same bits).
                var g = Gemm.Create(tc.Gemm, tc.Threads);
                tc = tc with { Gemm = g.Name, Precision = Precision.Resolve(tc.Precision, "train: --precision") };
                if (tc.Precision == "bf16") g = Gemm.ForPrecision(tc.Gemm, tc.Threads, "bf16");
                trainer = Trainer.Start(outDir, mc, tc, dataset.Train, dataset.Val, g, parse.GetValue(force));
                stderr.WriteLine($"train: {mc.NLayer}x{mc.DModel} {mc.Flavour.ToString().ToLowerInvariant()}, " +
                                 $"{ModelAccounting.NonEmbeddingParams(mc):N0} non-embedding params, {trainer.Config.TotalSteps} steps of " +
                                 $"{trainer.Config.TokensPerStep} tokens → {outDir}");
            }

            var progress = new ProgressPrinter(stderr, ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected, trainer.Config.TotalSteps);
            try
            {
                var result = trainer.Run(progress.Report, preempt: cancel);
                if (result.Preempted)
                {
                    progress.Finish();
                    string run = resumeDir ?? parse.GetValue(output)!;
                    stderr.WriteLine($"train: preempted at step {result.Step} of {result.TotalSteps}; checkpoint {Checkpoints.DirName(result.Step)} saved; " +
                                     $"continue with: scalinglab train --resume {run}");
                    return 0;
                }
                Print(stdout, result, Verb.WantsJson(parse));
            }
            finally
            {
                progress.Finish();
            }
            return 0;
            }
            finally
            {
                dataset?.Dispose();
            }
        });
    }

    private static TokenDataset OpenData(string? dir)
    {
        if (dir is null) throw new UserError("train: the run has no data folder; it was trained from arrays in code and cannot be resumed from the CLI");
        if (!Directory.Exists(dir)) throw new UserError($"train: data folder {dir} does not exist; make one with `scalinglab data`");
        return TokenDataset.Open(dir);
    }

    private static JsonElement ReadRunJson(string path)
    {
        if (!File.Exists(path)) throw new UserError($"train: --config {path} does not exist");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new UserError($"train: {path} is not a JSON object");
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new UserError($"train: {path} is not valid JSON ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>"20M" → 20 000 000; suffixes K, M, B (or G), decimals allowed ("1.5M").</summary>
    internal static long ParseCount(string text)
    {
        string t = text.Trim().Replace("_", "");
        double mult = 1;
        if (t.Length > 0)
        {
            switch (char.ToUpperInvariant(t[^1]))
            {
                case 'K': mult = 1e3; t = t[..^1]; break;
                case 'M': mult = 1e6; t = t[..^1]; break;
                case 'B': case 'G': mult = 1e9; t = t[..^1]; break;
            }
        }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v > 0) || v * mult > 1e15)
            throw new UserError($"train: '{text}' is not a token count; write e.g. 1000000, 500K, 20M or 1.5B");
        return (long)Math.Round(v * mult);
    }

    private static void Print(TextWriter stdout, TrainResult r, bool json)
    {
        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["step"] = r.Step, ["total_steps"] = r.TotalSteps, ["tokens"] = r.Tokens, ["completed"] = r.Completed,
                ["min_val_loss"] = r.MinValLoss, ["min_val_step"] = r.MinValStep, ["final_val_loss"] = r.FinalValLoss,
                ["final_train_loss"] = r.FinalTrainLoss, ["min_train_loss"] = r.MinTrainLoss,
                ["unigram_entropy"] = r.UnigramEntropy, ["unigram_val_loss"] = r.UnigramValLoss,
                ["beats_unigram"] = r.MinValLoss < r.UnigramValLoss,
                ["beat_unigram_step"] = r.BeatUnigramStep, ["beat_unigram_s"] = r.BeatUnigramSeconds,
            }));
            return;
        }
        var ci = CultureInfo.InvariantCulture;
        stdout.WriteLine(string.Format(ci, "step {0}/{1}, {2:N0} tokens", r.Step, r.TotalSteps, r.Tokens));
        stdout.WriteLine(string.Format(ci, "min val loss   {0:F4} nats (step {1}); final {2:F4}", r.MinValLoss, r.MinValStep, r.FinalValLoss));
        stdout.WriteLine(string.Format(ci, "train loss     {0:F4} nats final, {1:F4} min (fixed training windows)", r.FinalTrainLoss, r.MinTrainLoss));
        stdout.WriteLine(string.Format(ci, "unigram        {0:F4} nats entropy of the training data; {1:F4} val loss of the unigram model", r.UnigramEntropy, r.UnigramValLoss));
        stdout.WriteLine(r.MinValLoss < r.UnigramValLoss
            ? string.Format(ci, "the model beats the unigram baseline by {0:F4} nats (first at step {1}, after {2:F1} s of training)",
                            r.UnigramValLoss - r.MinValLoss, r.BeatUnigramStep, r.BeatUnigramSeconds)
            : "the model does NOT beat the unigram baseline: train longer, or check the data and the learning rate");
    }

    /// <summary>A live line on a terminal (rewritten in place); plain lines, about 40 per run, otherwise.</summary>
    private sealed class ProgressPrinter(TextWriter err, bool live, long totalSteps)
    {
        private readonly long _every = Math.Max(1, totalSteps / 40);
        private bool _open;

        public void Report(StepReport r)
        {
            var ci = CultureInfo.InvariantCulture;
            string val = r.ValLoss is { } v ? string.Format(ci, " val {0:F4}", v) : "";
            string line = string.Format(ci, "step {0}/{1} loss {2:F4}{3} lr {4:E2} |g| {5:F3} {6:N0} tok/s ETA {7:hh\\:mm\\:ss}",
                                        r.Step, r.TotalSteps, r.TrainLoss, val, r.Lr, r.GradNorm, r.TokensPerS, r.Eta);
            if (live)
            {
                err.Write("\r" + line.PadRight(100));
                _open = true;
                if (r.ValLoss is not null) { err.WriteLine(); _open = false; }
            }
            else if (r.Step % _every == 0 || r.ValLoss is not null || r.Step == r.TotalSteps)
            {
                err.WriteLine(line + (r.Checkpoint is null ? "" : "  [checkpoint]"));
            }
        }

        public void Finish()
        {
            if (_open) err.WriteLine();
            _open = false;
        }
    }
}
