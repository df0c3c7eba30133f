using System.Text;
using System.Text.Json;
using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>
/// The tokenizer inside a model folder. Byte-level BPE is saved as Hugging Face's GPT2Tokenizer files: vocab.json
/// (spelling → id), merges.txt ("#version: 0.2", then "left right" in rank order) and tokenizer_config.json, which
/// <c>AutoTokenizer.from_pretrained(folder)</c> loads; the character and word tokenizers, which have no Hugging Face
/// equivalent, as tokenizer.scalinglab.json (our <see cref="TokenizerFile"/> format). Reading also takes a Hugging Face
/// tokenizer.json whose model is byte-level BPE (Pythia's).
/// </summary>
public static class HfTokenizerFiles
{
    /// <summary>Our own tokenizer file, for tokenizers Hugging Face has no class for.</summary>
    public const string OwnFile = "tokenizer.scalinglab.json";

    /// <summary>Writes the files of <paramref name="tok"/> into <paramref name="dir"/> (the model's context: <paramref name="modelMaxLength"/>).</summary>
    public static void Write(string dir, ITokenizer tok, int modelMaxLength)
    {
        if (tok is not BpeTokenizer bpe)
        {
            TokenizerFile.Save(tok, Path.Combine(dir, OwnFile));
            return;
        }
        var vocab = new StringBuilder();
        using (var ms = new MemoryStream())
        {
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                for (int i = 0; i < bpe.Vocab.Count; i++) w.WriteNumber(bpe.Vocab[i], i);
                w.WriteEndObject();
            }
            vocab.Append(Encoding.UTF8.GetString(ms.ToArray()));
        }
        AtomicFile.WriteAllText(Path.Combine(dir, "vocab.json"), vocab.ToString());
        var merges = new StringBuilder("#version: 0.2\n");
        foreach (var (l, r) in bpe.Merges) merges.Append(l).Append(' ').Append(r).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(dir, "merges.txt"), merges.ToString());
        string? eot = bpe.EndOfTextId >= 0 ? bpe.Vocab[bpe.EndOfTextId] : null;
        var cfg = new Dictionary<string, object?>
        {
            ["tokenizer_class"] = "GPT2Tokenizer",
            ["model_max_length"] = modelMaxLength,
            ["add_prefix_space"] = false,
        };
        if (eot is not null) cfg["bos_token"] = cfg["eos_token"] = cfg["unk_token"] = eot;
        AtomicFile.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
            JsonSerializer.Serialize(cfg, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>The tokenizer saved in <paramref name="dir"/> (vocab.json + merges.txt, ours, or a byte-level BPE tokenizer.json), or null when it holds none.</summary>
    public static ITokenizer? Read(string dir)
    {
        string vocab = Path.Combine(dir, "vocab.json"), merges = Path.Combine(dir, "merges.txt");
        if (File.Exists(vocab) && File.Exists(merges)) return TokenizerFile.LoadGpt2(vocab, merges);
        string own = Path.Combine(dir, OwnFile);
        if (File.Exists(own)) return TokenizerFile.Load(own);
        string hf = Path.Combine(dir, "tokenizer.json");
        if (File.Exists(hf)) return FromTokenizerJson(hf);
        return null;
    }

    /// <summary>
    /// A Hugging Face tokenizers file (tokenizer.json, as Pythia ships) whose model is byte-level BPE: model.vocab
    /// (ids 0..n−1) and model.merges ("a b" or ["a", "b"]), with a ByteLevel pre-tokenizer without a prefix space.
    /// Added tokens outside model.vocab are not produced (text is split by the GPT-2 pattern and merged, so a run of
    /// spaces that Pythia's 23 added whitespace tokens would take comes out as ordinary BPE tokens). Anything else is
    /// a one-line error naming the field.
    /// </summary>
    public static BpeTokenizer FromTokenizerJson(string path)
    {
        long size = new FileInfo(path).Length;
        if (size > 200_000_000) throw new UserError($"{path} has {size} bytes; too large for a tokenizer file");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw new UserError($"{path} has no \"model\" object; it is not a Hugging Face tokenizer.json");
            string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
            if (type != "BPE") throw new UserError($"{path}: model type '{type}' is not read here (only byte-level BPE, as GPT-2 and Pythia use)");
            bool byteLevel = root.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind == JsonValueKind.Object
                             && pre.TryGetProperty("type", out var pt) && pt.GetString() == "ByteLevel";
            if (!byteLevel) throw new UserError($"{path}: the pre_tokenizer is not ByteLevel; only byte-level BPE is read here");
            if (pre.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.True)
                throw new UserError($"{path}: add_prefix_space true is not supported (GPT-2's tokenization adds no space)");
            var vocab = TokenizerFile.VocabFromJson(model.GetProperty("vocab"), path);
            var merges = new List<(string, string)>();
            foreach (var m in model.GetProperty("merges").EnumerateArray())
                merges.Add(m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2
                    ? (m[0].GetString()!, m[1].GetString()!)
                    : TokenizerFile.SplitMerge(m.GetString() ?? "", path));
            string? eot = vocab.Contains(BpeTokenizer.EndOfTextText) ? BpeTokenizer.EndOfTextText : null;
            return new BpeTokenizer(vocab, merges, eot);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new UserError($"{path} is not a byte-level BPE tokenizer.json ScalingLab reads ({ex.Message.Split('\n')[0]})");
        }
    }

    /// <summary>The tokenizer of <paramref name="dir"/>; one line naming what to do when it has none.</summary>
    public static ITokenizer Require(string dir, string what) =>
        Read(dir) ?? throw new UserError(
            $"{what}: {dir} holds no tokenizer (vocab.json + merges.txt, tokenizer.json or {OwnFile}): tokenize the text into a data folder first (`scalinglab data tokenize`) and give that instead");
}
