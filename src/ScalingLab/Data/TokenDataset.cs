using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>
/// A data folder opened for training: manifest.json, tokenizer.json and memory-mapped shards, each
/// split presented as one <see cref="ITokenSequence"/>. Opening checks every shard's header, length,
/// vocabulary and tokenizer hash against the manifest, so a mismatch fails here, not mid-run.
/// </summary>
public sealed class TokenDataset : IDisposable
{
    private readonly List<ShardTokens> _open = [];
    private readonly Dictionary<string, ITokenSequence> _splits = new();

    private TokenDataset(string dir, DataManifest manifest, ITokenizer tokenizer)
    {
        Folder = dir;
        Manifest = manifest;
        Tokenizer = tokenizer;
    }

    /// <summary>The folder.</summary>
    public string Folder { get; }

    /// <summary>The manifest.</summary>
    public DataManifest Manifest { get; }

    /// <summary>The tokenizer the ids belong to.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>Vocabulary size (every id is below it).</summary>
    public int VocabSize => Manifest.VocabSize;

    /// <summary>The training split.</summary>
    public ITokenSequence Train => Split("train");

    /// <summary>The validation split (Question-Formation: its dev split).</summary>
    public ITokenSequence Val => Split("val");

    /// <summary>Names of the splits in the folder.</summary>
    public IReadOnlyCollection<string> SplitNames => _splits.Keys;

    /// <summary>A split by name; a missing one is a <see cref="UserError"/>.</summary>
    public ITokenSequence Split(string name) =>
        _splits.TryGetValue(name, out var s) ? s
        : throw new UserError($"data folder {Folder} has no '{name}' split (it has: {string.Join(", ", _splits.Keys)})");

    /// <summary>Opens and checks the data folder <paramref name="dir"/>.</summary>
    public static TokenDataset Open(string dir)
    {
        var manifest = DataManifest.Read(dir);
        string tokPath = Path.Combine(dir, manifest.Tokenizer);
        var tokenizer = TokenizerFile.Load(tokPath);
        string sha = TokenizerFile.Sha256Hex(tokPath);
        if (!string.Equals(sha, manifest.TokenizerSha256, StringComparison.OrdinalIgnoreCase))
            throw new UserError($"{tokPath} does not match the manifest (SHA-256 {sha[..12]}…, manifest says {Short(manifest.TokenizerSha256)}); the folder was edited, regenerate it");
        if (tokenizer.VocabSize != manifest.VocabSize)
            throw new UserError($"{tokPath} has {tokenizer.VocabSize} tokens but the manifest says {manifest.VocabSize}; regenerate the folder");
        var ds = new TokenDataset(dir, manifest, tokenizer);
        try
        {
            byte[] shaBytes = Convert.FromHexString(sha);
            foreach (var (name, split) in manifest.Splits)
            {
                var parts = new List<ITokenSequence>();
                long total = 0;
                foreach (string file in split.Shards)
                {
                    var shard = new ShardTokens(Path.Combine(dir, file));
                    ds._open.Add(shard);
                    if (shard.VocabSize != manifest.VocabSize)
                        throw new UserError($"{file}: header vocabulary {shard.VocabSize} differs from the manifest's {manifest.VocabSize}; regenerate the folder");
                    if (!shard.Header.TokenizerSha256.AsSpan().SequenceEqual(shaBytes))
                        throw new UserError($"{file}: made with a different tokenizer (hash in the header differs from tokenizer.json); regenerate the folder");
                    parts.Add(shard);
                    total += shard.Count;
                }
                if (total != split.Tokens)
                    throw new UserError($"split '{name}': shards hold {total} tokens but the manifest says {split.Tokens}; regenerate the folder");
                ds._splits[name] = parts.Count == 1 ? parts[0] : new ConcatTokens(parts, manifest.VocabSize);
            }
            if (!ds._splits.ContainsKey("train"))
                throw new UserError($"{Path.Combine(dir, DataManifest.FileName)} lists no 'train' split; regenerate the folder");
            return ds;
        }
        catch
        {
            ds.Dispose();
            throw;
        }
    }

    private static string Short(string hex) => hex.Length > 12 ? hex[..12] + "…" : hex;

    /// <summary>Unmaps the shards.</summary>
    public void Dispose()
    {
        foreach (var s in _open) s.Dispose();
        _open.Clear();
    }
}
