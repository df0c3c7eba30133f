using System.Text;
using System.Text.Json;
using ScalingLab.Data;
using ScalingLab.Tests.Cli;

namespace ScalingLab.Tests.Data;

public class DataCliTests
{
    private static string Corpus(string dir, int paragraphs = 300)
    {
        var sb = new StringBuilder();
        foreach (string p in BpeTests.RandomText(new ScalingLab.Tensors.Rng(4), paragraphs, 40)) sb.Append(p.Replace('\n', ' ')).Append("\n\n");
        string path = Path.Combine(dir, "corpus.txt");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    [Fact]
    public void TokenizeWritesShardsAndManifest_StatsReadsThem()
    {
        string tmp = Directory.CreateTempSubdirectory().FullName;
        string corpus = Corpus(tmp);
        string outDir = Path.Combine(tmp, "out");
        var (code, stdout, err) = CliRunner.Run("data", "tokenize", "--input", corpus, "--vocab", "300", "--out", outDir, "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(300, doc.RootElement.GetProperty("vocab_size").GetInt32());
        long docs = doc.RootElement.GetProperty("splits").GetProperty("train").GetProperty("documents").GetInt64()
                  + doc.RootElement.GetProperty("splits").GetProperty("val").GetProperty("documents").GetInt64();
        Assert.Equal(300, docs);

        using var ds = TokenDataset.Open(outDir);
        Assert.Equal(300, ds.VocabSize);
        var first = new int[50];
        ds.Train.Read(0, first);
        Assert.StartsWith(ds.Tokenizer.Decode(first).Split("<|endoftext|>")[0][..10], File.ReadAllText(corpus));

        (code, stdout, _) = CliRunner.Run("data", "stats", outDir);
        Assert.Equal(0, code);
        Assert.Contains("train", stdout);

        // Subsets: exactly D tokens; the first 10% of training documents, same tokenizer.
        string tokPath = Path.Combine(outDir, "tokenizer.json");
        string d = Path.Combine(tmp, "d");
        Assert.Equal(0, CliRunner.Run("data", "tokenize", "--input", corpus, "--tokenizer", tokPath, "--train-tokens", "1234", "--out", d).Code);
        using (var dd = TokenDataset.Open(d)) Assert.Equal(1234, dd.Train.Count);
        string p10 = Path.Combine(tmp, "p10");
        Assert.Equal(0, CliRunner.Run("data", "tokenize", "--input", corpus, "--tokenizer", tokPath, "--train-percent", "10", "--out", p10).Code);
        using (var dp = TokenDataset.Open(p10))
        {
            Assert.Equal((long)Math.Floor(ds.Manifest.Splits["train"].Documents * 0.1), dp.Manifest.Splits["train"].Documents);
            Assert.Equal(ds.Val.Count, dp.Val.Count); // validation untouched
            var a = new int[dp.Train.Count];
            var b = new int[dp.Train.Count];
            dp.Train.Read(0, a);
            ds.Train.Read(0, b);
            Assert.Equal(b, a); // a prefix of the full training stream
        }
    }

    [Fact]
    public void SplitIsStableWhenDocumentsAreAdded()
    {
        string tmp = Directory.CreateTempSubdirectory().FullName;
        var docs = BpeTests.RandomText(new ScalingLab.Tensors.Rng(8), 400, 30).Select(x => x.Replace('\n', ' ')).Distinct().ToList();
        var before = docs.Take(200).Where(x => DocumentSplit.IsValidation(x, 5, 0.2)).ToHashSet();
        var after = docs.Where(x => DocumentSplit.IsValidation(x, 5, 0.2)).ToHashSet();
        Assert.Subset(after, before);
        Assert.InRange(after.Count / (double)docs.Count, 0.12, 0.28); // binomial(≈400, 0.2): ±4 sd
        Assert.NotEqual(after, docs.Where(x => DocumentSplit.IsValidation(x, 6, 0.2)).ToHashSet());
    }

    [Fact]
    public void EncodeDecodeRoundTripsAFileByteForByte()
    {
        string tmp = Directory.CreateTempSubdirectory().FullName;
        string corpus = Corpus(tmp, 50);
        string outDir = Path.Combine(tmp, "out");
        Assert.Equal(0, CliRunner.Run("data", "tokenize", "--input", corpus, "--vocab", "300", "--out", outDir).Code);
        string text = Path.Combine(tmp, "sample.txt");
        byte[] original = Encoding.UTF8.GetBytes("héllo wörld 😀\r\n\n  two  spaces\t漢字\n");
        File.WriteAllBytes(text, original);
        string tok = Path.Combine(outDir, "tokenizer.json");
        string ids = Path.Combine(tmp, "ids.txt");
        Assert.Equal(0, CliRunner.Run("data", "encode", "--tokenizer", tok, "--input", text, "--out", ids).Code);
        Assert.Equal(4, File.ReadAllText(ids).Split('\n').Length);
        string back = Path.Combine(tmp, "back.txt");
        Assert.Equal(0, CliRunner.Run("data", "decode", "--tokenizer", tok, "--input", ids, "--out", back).Code);
        Assert.Equal(original, File.ReadAllBytes(back));
    }

    [Fact]
    public void BadInputIsOneLineAndLeavesNothing()
    {
        string tmp = Directory.CreateTempSubdirectory().FullName;
        string outDir = Path.Combine(tmp, "out");
        void Fails(string expect, params string[] args)
        {
            var (code, _, err) = CliRunner.Run(args);
            Assert.NotEqual(0, code);
            var errors = err.Split('\n').Where(l => l.StartsWith("scalinglab:")).ToList(); // other lines are progress
            Assert.Single(errors);
            Assert.Contains(expect, errors[0]);
            Assert.False(Directory.Exists(outDir));
            Assert.Empty(Directory.GetDirectories(tmp));
        }
        Fails("not found", "data", "tokenize", "--input", Path.Combine(tmp, "nope.txt"), "--out", outDir);
        string bad = Path.Combine(tmp, "bad.txt");
        File.WriteAllBytes(bad, [.. "hello "u8.ToArray(), 0xC3, 0x28, .. " x"u8.ToArray()]);
        Fails("byte offset 6", "data", "tokenize", "--input", bad, "--out", outDir);
        string empty = Path.Combine(tmp, "empty.txt");
        File.WriteAllText(empty, "\n\n  \n");
        Fails("empty", "data", "tokenize", "--input", empty, "--out", outDir);
        string corpus = Corpus(tmp, 20);
        Fails("too small", "data", "tokenize", "--input", corpus, "--vocab", "255", "--out", outDir);
        Fails("more than", "data", "tokenize", "--input", corpus, "--vocab", "300", "--train-tokens", "99999999", "--out", outDir);
    }

    [Fact]
    public void HelpShowsAnExampleForEverySubcommand()
    {
        foreach (string sub in new[] { "tokenize", "encode", "decode", "stats", "qf", "markov", "memorize" })
        {
            var (code, stdout, _) = CliRunner.Run("data", sub, "--help");
            Assert.Equal(0, code);
            Assert.Contains("Example", stdout);
            Assert.Contains("scalinglab data " + sub, stdout);
        }
    }

    [Fact]
    public void TokenizingIsTheSameBitsOnOneAndTwoThreads()
    {
        string tmp = Directory.CreateTempSubdirectory().FullName;
        string corpus = Corpus(tmp, 120);
        foreach (string t in new[] { "1", "2" })
            Assert.Equal(0, CliRunner.Run("data", "tokenize", "--input", corpus, "--vocab", "320", "--threads", t, "--out", Path.Combine(tmp, "t" + t)).Code);
        foreach (string f in new[] { "tokenizer.json", "manifest.json", "train-000000.bin", "val-000000.bin" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(tmp, "t1", f)), File.ReadAllBytes(Path.Combine(tmp, "t2", f)));
    }

    [Fact]
    public void JsonlAndFoldersAreDocumentSources()
    {
        string tmp = Directory.CreateTempSubdirectory().FullName;
        string jsonl = Path.Combine(tmp, "docs.jsonl");
        File.WriteAllText(jsonl, "{\"text\": \"first doc\", \"id\": 1}\n\n{\"text\": \"second\\ndoc \\u00e9\"}\n");
        var docs = CorpusReader.Read(jsonl, DocumentUnit.Paragraph, "text");
        Assert.Equal(["first doc", "second\ndoc é"], docs);
        Assert.Contains("no field 'body'", Assert.Throws<ScalingLab.Common.UserError>(() => CorpusReader.Read(jsonl, DocumentUnit.Paragraph, "body")).Message);

        string folder = Path.Combine(tmp, "folder");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.WriteAllText(Path.Combine(folder, "b.txt"), "bee\n\nbee two");
        File.WriteAllText(Path.Combine(folder, "sub", "a.txt"), "ay");
        File.WriteAllText(Path.Combine(folder, ".hidden"), "no");
        Assert.Equal(["bee\n\nbee two", "ay"], CorpusReader.Read(folder, DocumentUnit.File)); // ordinal path order: b.txt < sub/a.txt
        Assert.Equal(["bee", "bee two", "ay"], CorpusReader.Read(folder, DocumentUnit.Paragraph));
        Assert.Equal(["bee", "bee two", "ay"], CorpusReader.Read(folder, DocumentUnit.Line));
    }
}
