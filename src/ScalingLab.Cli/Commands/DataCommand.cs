using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ScalingLab.Common;
using ScalingLab.Data;

namespace ScalingLab.Cli.Commands;

/// <summary>
/// `scalinglab data`: corpora → token shards, generated data sets (Question-Formation, Markov chains with
/// a known entropy rate, memorisable sequences), and inspection (encode, decode, stats).
/// </summary>
public static class DataCommand
{
    // The generators' defaults live once, in their option records.
    private static readonly MarkovOptions Markov0 = new();
    private static readonly MemorizeOptions Memorize0 = new();
    private static readonly QfOptions Qf0 = new();
    private static readonly ZipfOptions Zipf0 = new();

    /// <summary>The `data` verb and its sub-verbs.</summary>
    public static Command Create()
    {
        var cmd = new Command("data",
            "Make and inspect data folders (manifest.json, tokenizer.json, token shards) for training.\n\n" +
            "Examples:\n" +
            "  scalinglab data tokenize --input corpus.txt --vocab 4096 --out data/corpus\n" +
            "  scalinglab data qf --out data/qf\n" +
            "  scalinglab data markov --order 2 --vocab 64 --tokens 5000000 --out data/markov\n" +
            "  scalinglab data stats data/corpus");
        cmd.Subcommands.Add(Tokenize());
        cmd.Subcommands.Add(Encode());
        cmd.Subcommands.Add(Decode());
        cmd.Subcommands.Add(Stats());
        cmd.Subcommands.Add(Qf());
        cmd.Subcommands.Add(Markov());
        cmd.Subcommands.Add(Zipf());
        cmd.Subcommands.Add(Memorize());
        cmd.Subcommands.Add(DataEnglishCommand.Create());
        return cmd;
    }

    private static Command Tokenize()
    {
        var input = new Option<string>("--input") { Description = "a UTF-8 text file, a folder of text files, or a JSONL file (with --field)", Required = true };
        var output = SharedOptions.DataOut();
        var tokenizer = new Option<string>("--tokenizer") { Description = "bpe (train byte-level BPE here), char, word, or a tokenizer.json to reuse", DefaultValueFactory = _ => "bpe" };
        var vocab = new Option<int>("--vocab") { Description = "BPE vocabulary size: 256 bytes + merges + end-of-text (at least 257)", DefaultValueFactory = _ => 4096 };
        var gpt2Vocab = new Option<string?>("--gpt2-vocab") { Description = "use Hugging Face GPT-2 files: vocab.json (with --gpt2-merges)" };
        var gpt2Merges = new Option<string?>("--gpt2-merges") { Description = "Hugging Face GPT-2 merges.txt (with --gpt2-vocab)" };
        var field = new Option<string?>("--field") { Description = "read JSONL: one JSON object per line, the document text in this field" };
        var unit = new Option<string?>("--unit") { Description = "documents in plain text: line, paragraph (blank-line separated) or file; default paragraph for a file, file for a folder" };
        var valFraction = new Option<double>("--val-fraction") { Description = "fraction of documents for validation (split by a seeded hash of each document)", DefaultValueFactory = _ => 0.05 };
        var seed = new Option<ulong>("--seed") { Description = "seed of the train/val split", DefaultValueFactory = _ => 1UL };
        var percent = new Option<double>("--train-percent") { Description = "keep the first p% of training documents (e.g. 1, 10, 100)", DefaultValueFactory = _ => 100.0 };
        var tokens = new Option<long?>("--train-tokens") { Description = "keep exactly D training tokens (the last document is cut)" };
        var threads = SharedOptions.Threads("threads for BPE training and tokenising", 2);
        var json = SharedOptions.Json("the data manifest");
        var cmd = new Command("tokenize",
            "Corpus → data folder: split documents train/val by a seeded hash, train (or load) a tokenizer on the\n" +
            "training documents, tokenise in parallel, write uint16/uint32 shards and manifest.json.\n\n" +
            "Examples:\n" +
            "  scalinglab data tokenize --input corpus.txt --vocab 4096 --out data/corpus\n" +
            "  scalinglab data tokenize --input docs.jsonl --field text --train-percent 10 --out data/ten\n" +
            "  scalinglab data tokenize --input corpus.txt --tokenizer data/corpus/tokenizer.json --train-tokens 1000000 --out data/d1m\n" +
            "  scalinglab data tokenize --input corpus.txt --gpt2-vocab vocab.json --gpt2-merges merges.txt --out data/gpt2");
        foreach (var o in new Option[] { input, output, tokenizer, vocab, gpt2Vocab, gpt2Merges, field, unit, valFraction, seed, percent, tokens, threads, json })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
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
                }, Progress(err, "tokenize"));
                Report(parse, m, outDir, sw.Elapsed.TotalSeconds, parse.GetValue(json));
            }
            finally
            {
                if (tmpTok is not null) File.Delete(tmpTok);
            }
            return 0;
        });
        return cmd;
    }

    private static Command Encode()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer.json (from a data folder)", Required = true };
        var input = new Option<string>("--input") { Description = "UTF-8 text file", Required = true };
        var output = new Option<string?>("--out") { Description = "write ids here instead of stdout" };
        var cmd = new Command("encode",
            "Text → token ids: one line of space-separated ids per input line ('data decode' inverts it byte for byte).\n\n" +
            "Examples:\n" +
            "  scalinglab data encode --tokenizer data/corpus/tokenizer.json --input sample.txt\n" +
            "  scalinglab data encode --tokenizer data/corpus/tokenizer.json --input sample.txt --out ids.txt");
        cmd.Options.Add(tokenizer);
        cmd.Options.Add(input);
        cmd.Options.Add(output);
        cmd.SetAction(parse =>
        {
            var tok = TokenizerFile.Load(parse.GetValue(tokenizer)!);
            string path = parse.GetValue(input)!;
            if (!File.Exists(path)) throw new UserError($"input not found: {path}");
            string text = CorpusReader.ReadUtf8(path);
            var sb = new StringBuilder();
            string[] lines = text.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                if (i > 0) sb.Append('\n');
                sb.AppendJoin(' ', tok.Encode(lines[i]));
            }
            Emit(parse, parse.GetValue(output), sb.ToString());
            return 0;
        });
        return cmd;
    }

    private static Command Decode()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer.json (from a data folder)", Required = true };
        var input = new Option<string>("--input") { Description = "ids file: one line of space-separated ids per text line", Required = true };
        var output = new Option<string?>("--out") { Description = "write the text here instead of stdout" };
        var cmd = new Command("decode",
            "Token ids → text: the inverse of 'data encode' (lines of space-separated ids; the text is written back byte for byte).\n\n" +
            "Examples:\n" +
            "  scalinglab data decode --tokenizer data/corpus/tokenizer.json --input ids.txt\n" +
            "  scalinglab data decode --tokenizer data/corpus/tokenizer.json --input ids.txt --out sample.txt");
        cmd.Options.Add(tokenizer);
        cmd.Options.Add(input);
        cmd.Options.Add(output);
        cmd.SetAction(parse =>
        {
            var tok = TokenizerFile.Load(parse.GetValue(tokenizer)!);
            string path = parse.GetValue(input)!;
            if (!File.Exists(path)) throw new UserError($"input not found: {path}");
            string[] lines = CorpusReader.ReadUtf8(path).Split('\n');
            var sb = new StringBuilder();
            for (int i = 0; i < lines.Length; i++)
            {
                if (i > 0) sb.Append('\n');
                var parts = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var ids = new int[parts.Length];
                for (int k = 0; k < parts.Length; k++)
                    if (!int.TryParse(parts[k], NumberStyles.None, CultureInfo.InvariantCulture, out ids[k]) || ids[k] >= tok.VocabSize)
                        throw new UserError($"{path} line {i + 1}: '{parts[k]}' is not a token id in [0, {tok.VocabSize})");
                sb.Append(tok.Decode(ids));
            }
            Emit(parse, parse.GetValue(output), sb.ToString());
            return 0;
        });
        return cmd;
    }

    private static Command Stats()
    {
        var dir = new Argument<string>("dir") { Description = "a data folder" };
        var json = SharedOptions.Json("the data manifest");
        var cmd = new Command("stats",
            "Show a data folder: kind, source, vocabulary, documents and tokens per split, entropy rate when known.\n" +
            "The shards are opened and checked (headers, lengths, tokenizer hash).\n\n" +
            "Examples:\n" +
            "  scalinglab data stats data/corpus\n" +
            "  scalinglab data stats data/markov --json");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(json);
        cmd.SetAction(parse =>
        {
            string d = parse.GetValue(dir)!;
            using var ds = TokenDataset.Open(d);
            Report(parse, ds.Manifest, d, null, parse.GetValue(json));
            return 0;
        });
        return cmd;
    }

    private static Command Qf()
    {
        var from = new Option<string?>("--from") { Description = "read the original files (question.train/dev/test/gen) from this folder instead of generating" };
        var seed = new Option<ulong>("--seed") { Description = "generator seed", DefaultValueFactory = _ => Qf0.Seed };
        var train = new Option<int>("--train") { Description = "training lines", DefaultValueFactory = _ => Qf0.Train };
        var dev = new Option<int>("--dev") { Description = "dev lines (the 'val' split)", DefaultValueFactory = _ => Qf0.Dev };
        var test = new Option<int>("--test") { Description = "test lines", DefaultValueFactory = _ => Qf0.Test };
        var gen = new Option<int>("--gen") { Description = "generalisation lines (subject relative clauses)", DefaultValueFactory = _ => Qf0.Gen };
        var grammar = new Option<string?>("--grammar") { Description = "a .gr grammar file (default: McCoy et al.'s question.gr, built in)" };
        return GeneratorCommand("qf",
            "Question formation (McCoy, Frank & Linzen 2020): generate decl/quest lines from the grammar, or read the\n" +
            "original files, and write them as they are plus word-level token shards (TAB → space, one line per\n" +
            "sequence) with splits train, val (= dev), test and gen.\n\n" +
            "Examples:\n" +
            "  scalinglab data qf --out data/qf\n" +
            "  scalinglab data qf --train 20000 --seed 7 --out data/qf20k\n" +
            "  scalinglab data qf --from /work/shared/data/question_formation --out data/qf-real", [from, seed, train, dev, test, gen, grammar],
            (parse, dir, progress) => GeneratedData.Write(dir, new QfOptions
            {
                Seed = parse.GetValue(seed), Train = parse.GetValue(train), Dev = parse.GetValue(dev), Test = parse.GetValue(test),
                Gen = parse.GetValue(gen), Grammar = parse.GetValue(grammar), From = parse.GetValue(from),
            }));
    }

    private static Command Markov()
    {
        var order = new Option<int>("--order") { Description = "symbols of context k", DefaultValueFactory = _ => Markov0.Order };
        var vocab = new Option<int>("--vocab") { Description = "number of symbols V", DefaultValueFactory = _ => Markov0.Vocab };
        var tokens = new Option<long>("--tokens") { Description = "training tokens", DefaultValueFactory = _ => Markov0.Tokens };
        var valTokens = ValTokens();
        var alpha = new Option<double>("--concentration") { Description = "Dirichlet α of each transition row (small: predictable, large: near uniform)", DefaultValueFactory = _ => Markov0.Concentration };
        var seed = new Option<ulong>("--seed") { Description = "seed of the chain and the samples", DefaultValueFactory = _ => Markov0.Seed };
        return GeneratorCommand("markov",
            "Known-entropy corpus: a random order-k Markov chain over V symbols (Dirichlet rows), sampled; its exact\n" +
            "entropy rate Σ π(s)·H(P(·|s)) (nats/token) goes into the manifest as the true irreducible loss.\n\n" +
            "Examples:\n" +
            "  scalinglab data markov --order 2 --vocab 64 --tokens 5000000 --out data/markov\n" +
            "  scalinglab data markov --order 1 --vocab 16 --concentration 1 --tokens 100000 --out data/m1 --json", [order, vocab, tokens, valTokens, alpha, seed],
            (parse, dir, progress) => GeneratedData.Write(dir, new MarkovOptions
            {
                Order = parse.GetValue(order), Vocab = parse.GetValue(vocab), Concentration = parse.GetValue(alpha), Tokens = parse.GetValue(tokens),
                ValTokens = parse.GetValue(valTokens), Seed = parse.GetValue(seed),
            }, progress));
    }

    private static Command Zipf()
    {
        var keys = new Option<int>("--keys") { Description = "number of keys K (Zipf ranks)", DefaultValueFactory = _ => Zipf0.Keys };
        var exponent = new Option<double>("--exponent") { Description = "Zipf exponent a of the key frequencies p_i ∝ i^-a", DefaultValueFactory = _ => Zipf0.Exponent };
        var symbols = new Option<int>("--symbols") { Description = "symbols V of codes and values", DefaultValueFactory = _ => Zipf0.Symbols };
        var keyLength = new Option<int>("--key-length") { Description = "symbols per key code", DefaultValueFactory = _ => Zipf0.KeyLength };
        var valueLength = new Option<int>("--value-length") { Description = "symbols per value", DefaultValueFactory = _ => Zipf0.ValueLength };
        var tokens = new Option<long>("--tokens") { Description = "training tokens (rounded down to whole records)", DefaultValueFactory = _ => Zipf0.Tokens };
        var valTokens = ValTokens();
        var seed = new Option<ulong>("--seed") { Description = "seed of the codes, values and samples", DefaultValueFactory = _ => Zipf0.Seed };
        return GeneratorCommand("zipf",
            "Known-entropy corpus whose loss follows power laws in N and D: records 'code value\\n' of K keys drawn with\n" +
            "Zipf frequencies (Michaud et al. 2023; Hutter 2021); the exact entropy rate H(p)/R goes into the manifest.\n\n" +
            "Examples:\n" +
            "  scalinglab data zipf --keys 8192 --exponent 1.3 --tokens 5000000 --out data/zipf\n" +
            "  scalinglab data zipf --keys 256 --symbols 16 --tokens 100000 --out data/z --json", [keys, exponent, symbols, keyLength, valueLength, tokens, valTokens, seed],
            (parse, dir, progress) => GeneratedData.Write(dir, new ZipfOptions
            {
                Keys = parse.GetValue(keys), Exponent = parse.GetValue(exponent), Symbols = parse.GetValue(symbols),
                KeyLength = parse.GetValue(keyLength), ValueLength = parse.GetValue(valueLength), Tokens = parse.GetValue(tokens),
                ValTokens = parse.GetValue(valTokens), Seed = parse.GetValue(seed),
            }, progress));
    }

    private static Command Memorize()
    {
        var sequences = new Option<int>("--sequences") { Description = "number d of distinct sequences", DefaultValueFactory = _ => Memorize0.Sequences };
        var length = new Option<int>("--length") { Description = "symbols per sequence L (a newline follows each)", DefaultValueFactory = _ => Memorize0.Length };
        var vocab = new Option<int>("--vocab") { Description = "number of symbols V", DefaultValueFactory = _ => Memorize0.Vocab };
        var distance = new Option<int>("--min-distance") { Description = "separation: every two sequences differ in at least this many positions", DefaultValueFactory = _ => Memorize0.MinDistance };
        var tokens = new Option<long>("--tokens") { Description = "training tokens (whole sequences)", DefaultValueFactory = _ => Memorize0.Tokens };
        var valTokens = ValTokens();
        var seed = new Option<ulong>("--seed") { Description = "seed", DefaultValueFactory = _ => Memorize0.Seed };
        return GeneratorCommand("memorize",
            "Memorisation regime (Niu et al.): d distinct random sequences drawn again and again; true entropy rate\n" +
            "ln d / (L + 1) nats/token in the manifest.\n\n" +
            "Examples:\n" +
            "  scalinglab data memorize --sequences 1000 --length 31 --vocab 64 --out data/mem\n" +
            "  scalinglab data memorize --sequences 200 --length 15 --min-distance 8 --tokens 200000 --out data/mem-sep", [sequences, length, vocab, distance, tokens, valTokens, seed],
            (parse, dir, progress) => GeneratedData.Write(dir, new MemorizeOptions
            {
                Sequences = parse.GetValue(sequences), Length = parse.GetValue(length), Vocab = parse.GetValue(vocab),
                MinDistance = parse.GetValue(distance), Tokens = parse.GetValue(tokens), ValTokens = parse.GetValue(valTokens), Seed = parse.GetValue(seed),
            }, progress));
    }

    /// <summary>--val-tokens of the corpus generators.</summary>
    private static Option<long?> ValTokens() => new("--val-tokens") { Description = "validation tokens (default: a tenth of --tokens)" };

    /// <summary>
    /// A generator verb: its own options plus --out and --json; the action writes the folder through the library
    /// (<paramref name="write"/>: parse result, folder, progress) and prints the manifest.
    /// </summary>
    private static Command GeneratorCommand(string name, string help, Option[] options,
                                            Func<ParseResult, string, Action<string>, DataManifest> write)
    {
        var output = SharedOptions.DataOut();
        var json = SharedOptions.Json("the data manifest");
        var cmd = new Command(name, help);
        foreach (var o in options.Prepend(output).Append(json)) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var sw = Stopwatch.StartNew();
            string outDir = parse.GetValue(output)!;
            var m = write(parse, outDir, Progress(parse.InvocationConfiguration.Error, name));
            Report(parse, m, outDir, sw.Elapsed.TotalSeconds, parse.GetValue(json));
            return 0;
        });
        return cmd;
    }

    /// <summary>Prints a manifest: the JSON object, or a short table.</summary>
    internal static void Report(ParseResult parse, DataManifest m, string dir, double? seconds, bool json)
    {
        var o = parse.InvocationConfiguration.Output;
        if (json)
        {
            o.WriteLine(JsonSerializer.Serialize(m, new JsonSerializerOptions(DataManifest.Json) { WriteIndented = false }));
            return;
        }
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(inv, $"{dir}: {m.Kind} from {m.Source}"));
        o.WriteLine(string.Create(inv, $"  vocabulary {m.VocabSize} ({m.BytesPerToken * 8}-bit ids), tokenizer sha256 {m.TokenizerSha256[..12]}…"));
        if (m.EntropyRateNats is double h) o.WriteLine(string.Create(inv, $"  true entropy rate {h:F6} nats/token"));
        o.WriteLine($"  {"split",-6} {"documents",12} {"tokens",14} {"shards",7}");
        foreach (var (name, s) in m.Splits)
            o.WriteLine(string.Create(inv, $"  {name,-6} {s.Documents,12:N0} {s.Tokens,14:N0} {s.Shards.Count,7}"));
        if (seconds is double sec) o.WriteLine(string.Create(inv, $"  done in {sec:F1} s"));
    }

    /// <summary>Progress lines on stderr, at most a few per second.</summary>
    internal static Action<string> Progress(TextWriter err, string what)
    {
        var sw = Stopwatch.StartNew();
        double last = -1;
        return line =>
        {
            double t = sw.Elapsed.TotalSeconds;
            if (t - last < 0.5 && !line.Contains("100%")) return;
            last = t;
            lock (err) err.WriteLine($"{what}: {line}");
        };
    }

    private static void Emit(ParseResult parse, string? outPath, string text)
    {
        if (outPath is null) parse.InvocationConfiguration.Output.Write(text);
        else AtomicFile.Write(outPath, s => s.Write(Wtf8.GetBytes(text)));
    }
}
