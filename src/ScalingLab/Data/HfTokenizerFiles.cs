using System.Text;
using System.Text.Json;
using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>
/// The tokenizer inside a model folder. Byte-level BPE is saved as Hugging Face's GPT2Tokenizer files: vocab.json
/// (spelling → id), merges.txt ("#version: 0.2", then "left right" in rank order) and tokenizer_config.json, which
/// <c>AutoTokenizer.from_pretrained(folder)</c> loads; the character and word tokenizers, which have no Hugging Face
/// equivalent, as tokenizer.scalinglab.json (our <see cref="TokenizerFile"/> format).
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

    /// <summary>The tokenizer saved in <paramref name="dir"/> (vocab.json + merges.txt, or ours), or null when it holds none.</summary>
    public static ITokenizer? Read(string dir)
    {
        string vocab = Path.Combine(dir, "vocab.json"), merges = Path.Combine(dir, "merges.txt");
        if (File.Exists(vocab) && File.Exists(merges)) return TokenizerFile.LoadGpt2(vocab, merges);
        string own = Path.Combine(dir, OwnFile);
        if (File.Exists(own)) return TokenizerFile.Load(own);
        return null;
    }

    /// <summary>
    /// The tokenizer of <paramref name="dir"/>; one line naming what to do when it has none (e.g. a Pythia folder,
    /// whose tokenizer.json is not read here: tokenize with GPT-2-format files, or give a data folder).
    /// </summary>
    public static ITokenizer Require(string dir, string what) =>
        Read(dir) ?? throw new UserError(
            $"{what}: {dir} holds no tokenizer ScalingLab reads (vocab.json + merges.txt, or {OwnFile}){(File.Exists(Path.Combine(dir, "tokenizer.json")) ? "; its tokenizer.json (Hugging Face tokenizers format) is not read here" : "")}: tokenize the text into a data folder first (`scalinglab data tokenize`) and give that instead");
}
