using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>
/// tokenizer.json: one JSON object whose "type" is "bpe", "char" or "word".
/// bpe: {"type":"bpe","end_of_text":"&lt;|endoftext|&gt;","vocab":{spelling: id, ...},"merges":["a b", ...]}
/// with spellings in GPT-2's byte characters and merges in rank order (so the two halves are vocab.json
/// and merges.txt in one file); char: {"type":"char","code_units":[...]} (UTF-16 code units, so lone
/// surrogates survive JSON); word: {"type":"word","words":[...]} (id 0, the newline, not listed).
/// Also loads a Hugging Face GPT-2 pair: vocab.json + merges.txt.
/// </summary>
public static class TokenizerFile
{
    /// <summary>The JSON text of <paramref name="tok"/>.</summary>
    public static string ToJson(ITokenizer tok)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            switch (tok)
            {
                case BpeTokenizer bpe:
                    w.WriteString("type", "bpe");
                    if (bpe.EndOfTextId >= 0) w.WriteString("end_of_text", bpe.Vocab[bpe.EndOfTextId]);
                    w.WriteStartObject("vocab");
                    for (int i = 0; i < bpe.Vocab.Count; i++) w.WriteNumber(bpe.Vocab[i], i);
                    w.WriteEndObject();
                    w.WriteStartArray("merges");
                    foreach (var (l, r) in bpe.Merges) w.WriteStringValue(l + " " + r);
                    w.WriteEndArray();
                    break;
                case CharTokenizer ch:
                    w.WriteString("type", "char");
                    w.WriteStartArray("code_units");
                    foreach (char c in ch.Symbols) w.WriteNumberValue((int)c);
                    w.WriteEndArray();
                    break;
                case WordTokenizer wt:
                    w.WriteString("type", "word");
                    w.WriteStartArray("words");
                    foreach (string s in wt.Words.Skip(1)) w.WriteStringValue(s);
                    w.WriteEndArray();
                    break;
                default:
                    throw new ArgumentException($"cannot save a {tok.GetType().Name}");
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    /// <summary>Saves <paramref name="tok"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(ITokenizer tok, string path) => AtomicFile.WriteAllText(path, ToJson(tok));

    /// <summary>Lower-case hex SHA-256 of a file's bytes.</summary>
    public static string Sha256Hex(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Loads a tokenizer.json; a missing or malformed file is a <see cref="UserError"/>.</summary>
    public static ITokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new UserError($"tokenizer file not found: {path}");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            string type = root.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
            switch (type)
            {
                case "bpe":
                {
                    var vocab = VocabFromJson(root.GetProperty("vocab"), path);
                    var merges = root.GetProperty("merges").EnumerateArray().Select(m => SplitMerge(m.GetString()!, path)).ToList();
                    string? eot = root.TryGetProperty("end_of_text", out var e) ? e.GetString() : null;
                    return new BpeTokenizer(vocab, merges, eot);
                }
                case "char":
                    return new CharTokenizer(root.GetProperty("code_units").EnumerateArray().Select(x => (char)x.GetInt32()));
                case "word":
                    return new WordTokenizer(root.GetProperty("words").EnumerateArray().Select(x => x.GetString()!));
                default:
                    throw new UserError($"{path}: unknown tokenizer type '{type}' (expected bpe, char or word)");
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new UserError($"{path} is not a valid tokenizer file ({ex.Message})");
        }
    }

    /// <summary>
    /// Loads Hugging Face GPT-2 files: vocab.json (spelling → id) and merges.txt (a "#version" line, then
    /// "left right" per line in rank order). "&lt;|endoftext|&gt;", when present, becomes the end-of-text token.
    /// </summary>
    public static BpeTokenizer LoadGpt2(string vocabJson, string mergesTxt)
    {
        foreach (var p in new[] { vocabJson, mergesTxt })
            if (!File.Exists(p)) throw new UserError($"file not found: {p}");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(vocabJson));
            var vocab = VocabFromJson(doc.RootElement, vocabJson);
            var merges = new List<(string, string)>();
            foreach (string line in File.ReadLines(mergesTxt, Encoding.UTF8))
            {
                if (line.StartsWith("#version", StringComparison.Ordinal) || line.Length == 0) continue;
                merges.Add(SplitMerge(line, mergesTxt));
            }
            string? eot = vocab.Contains(BpeTokenizer.EndOfTextText) ? BpeTokenizer.EndOfTextText : null;
            return new BpeTokenizer(vocab, merges, eot);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new UserError($"{vocabJson} + {mergesTxt} are not a valid GPT-2 vocabulary ({ex.Message})");
        }
    }

    internal static List<string> VocabFromJson(JsonElement obj, string path)
    {
        var pairs = obj.EnumerateObject().Select(p => (p.Name, Id: p.Value.GetInt32())).ToList();
        var byId = new string?[pairs.Count];
        foreach (var (name, id) in pairs)
        {
            if ((uint)id >= (uint)pairs.Count || byId[id] is not null)
                throw new UserError($"{path}: ids must be 0..{pairs.Count - 1}, each once (id {id} for '{name}')");
            byId[id] = name;
        }
        return byId.Select(x => x!).ToList();
    }

    internal static (string, string) SplitMerge(string line, string path)
    {
        int sp = line.IndexOf(' ', 1); // a spelling never holds a space (it is 'Ġ'), but search from 1 to be safe
        if (sp < 0 || line.IndexOf(' ', sp + 1) >= 0) throw new UserError($"{path}: merge line '{line}' is not 'left right'");
        return (line[..sp], line[(sp + 1)..]);
    }
}
