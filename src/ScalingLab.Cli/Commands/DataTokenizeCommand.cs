namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab data tokenize`: a corpus → a data folder (document split, tokenizer, shards, manifest).</summary>
public static class DataTokenizeCommand
{
    /// <summary>The `data tokenize` sub-verb.</summary>
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "a UTF-8 text file, a folder of text files, or a JSONL file (with --field)", Required = true };
        var output = SharedOptions.DataOut();
        var tokenizer = new Option<string>("--tokenizer") { Description = "bpe (train byte-level BPE here), char, word, or a tokenizer.json to reuse", DefaultValueFactory = _ => "bpe" };
        var vocab = DataCommand.BpeVocab();
        var gpt2Vocab = new Option<string?>("--gpt2-vocab") { Description = "use Hugging Face GPT-2 files: vocab.json (with --gpt2-merges)" };
        var gpt2Merges = new Option<string?>("--gpt2-merges") { Description = "Hugging Face GPT-2 merges.txt (with --gpt2-vocab)" };
        var field = new Option<string?>("--field") { Description = "read JSONL: one JSON object per line, the document text in this field" };
        var unit = new Option<string?>("--unit") { Description = "documents in plain text: line, paragraph (blank-line separated) or file; default paragraph for a file, file for a folder" };
        var valFraction = DataCommand.ValFraction(0.05);
        var seed = new Option<ulong>("--seed") { Description = "seed of the train/val split", DefaultValueFactory = _ => 1UL };
        var percent = new Option<double>("--train-percent") { Description = "keep the first p% of training documents (e.g. 1, 10, 100)", DefaultValueFactory = _ => 100.0 };
        var tokens = new Option<long?>("--train-tokens") { Description = "keep exactly D training tokens (the last document is cut)" };
        var threads = DataCommand.BpeThreads();
        return Verb.Printing("tokenize",
            Verb.Help("Corpus → data folder: split documents train/val by a seeded hash, train (or load) a tokenizer on the\n" +
            "training documents, tokenise in parallel, write uint16/uint32 shards and manifest.json.",
            "scalinglab data tokenize --input corpus.txt --vocab 4096 --out data/corpus",
            "scalinglab data tokenize --input docs.jsonl --field text --train-percent 10 --out data/ten",
            "scalinglab data tokenize --input corpus.txt --tokenizer data/corpus/tokenizer.json --train-tokens 1000000 --out data/d1m",
            "scalinglab data tokenize --input corpus.txt --gpt2-vocab vocab.json --gpt2-merges merges.txt --out data/gpt2"),
            [input, output, tokenizer, vocab, gpt2Vocab, gpt2Merges, field, unit, valFraction, seed, percent, tokens, threads], parse =>
        {
            var err = parse.InvocationConfiguration.Error;
            string inPath = parse.GetValue(input)!;
            string tok = parse.GetValue(tokenizer)!;
            string outDir = parse.GetValue(output)!;
            string? gv = parse.GetValue(gpt2Vocab), gm = parse.GetValue(gpt2Merges);
            if ((gv is null) != (gm is null)) throw new UserError("--gpt2-vocab and --gpt2-merges go together; give both");
            string? tmpTok = null;
            if (gv is not null)
            {
                // The GPT-2 pair becomes one tokenizer.json that the builder loads like any other.
                tmpTok = Path.Combine(Path.GetTempPath(), $"scalinglab-gpt2-{Guid.NewGuid():N}.json");
                TokenizerFile.Save(TokenizerFile.LoadGpt2(gv, gm!), tmpTok);
                tok = tmpTok;
            }
            DocumentUnit docUnit = parse.GetValue(unit) switch
            {
                null => Directory.Exists(inPath) ? DocumentUnit.File : DocumentUnit.Paragraph,
                "line" => DocumentUnit.Line,
                "paragraph" => DocumentUnit.Paragraph,
                "file" => DocumentUnit.File,
                var u => throw new UserError($"--unit {u} is not one of line, paragraph, file"),
            };
            var sw = Stopwatch.StartNew();
            try
            {
                var m = CorpusBuilder.Build(new CorpusOptions
                {
                    Input = inPath,
                    Output = outDir,
                    Tokenizer = tok,
                    VocabSize = parse.GetValue(vocab),
                    JsonlField = parse.GetValue(field),
                    Unit = docUnit,
                    ValFraction = parse.GetValue(valFraction),
                    Seed = parse.GetValue(seed),
                    TrainPercent = parse.GetValue(percent),
                    TrainTokens = parse.GetValue(tokens),
                    Threads = parse.GetValue(threads),
                }, DataCommand.Progress(err, "tokenize"));
                DataCommand.Report(parse, m, outDir, sw.Elapsed.TotalSeconds);
            }
            finally
            {
                if (tmpTok is not null) File.Delete(tmpTok);
            }
            return 0;
        }, json: DataCommand.ManifestJson);
    }
}
