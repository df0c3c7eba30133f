using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>
/// Writes a data folder: tokenizer.json, shards per split (SPLIT-000000.bin, ...; a new shard every
/// <see cref="ShardTokens"/> tokens) and manifest.json. <see cref="Write"/> builds it in a temporary folder
/// that is renamed into place only when complete, so a failure leaves nothing half-written.
/// </summary>
public sealed class DataFolderWriter : IDisposable
{
    private readonly string _dir;
    private readonly ITokenizer _tok;
    private readonly byte[] _sha;
    private readonly string _shaHex;
    private readonly long _shardTokens;
    private readonly Dictionary<string, SplitState> _splits = new();

    private sealed class SplitState
    {
        public List<string> Shards = [];
        public ShardWriter? Current;
        public long Tokens;
        public long Documents;
    }

    private DataFolderWriter(string dir, ITokenizer tok, long shardTokens)
    {
        _dir = dir;
        _tok = tok;
        _shardTokens = shardTokens;
        TokenizerFile.Save(tok, Path.Combine(dir, "tokenizer.json"));
        _shaHex = TokenizerFile.Sha256Hex(Path.Combine(dir, "tokenizer.json"));
        _sha = Convert.FromHexString(_shaHex);
    }

    /// <summary>The (temporary) folder being filled, for extra files that travel with the data.</summary>
    public string Folder => _dir;

    /// <summary>Tokens per shard file before a new one starts.</summary>
    public long ShardTokens => _shardTokens;

    /// <summary>
    /// Creates the folder <paramref name="dir"/> atomically: <paramref name="fill"/> appends tokens and
    /// returns the manifest's descriptive fields (kind, source, seed, parameters, entropy rate); splits,
    /// vocabulary and hashes are filled in here. Returns the manifest written.
    /// </summary>
    public static DataManifest Write(string dir, ITokenizer tokenizer, Func<DataFolderWriter, DataManifest> fill, long shardTokens = 1L << 28)
    {
        DataManifest? written = null;
        AtomicFile.WriteDirectory(dir, tmp =>
        {
            using var w = new DataFolderWriter(tmp, tokenizer, shardTokens);
            var m = fill(w);
            written = w.Finish(m);
        });
        return written!;
    }

    /// <summary>Ensures the split exists (so an empty split still appears in the manifest).</summary>
    public void AddSplit(string split)
    {
        if (!_splits.ContainsKey(split)) _splits[split] = new SplitState();
    }

    /// <summary>Appends one document's ids to <paramref name="split"/>, then the end-of-text id when the tokenizer has one.</summary>
    public void AppendDocument(string split, ReadOnlySpan<int> ids)
    {
        Append(split, ids);
        if (_tok.EndOfTextId >= 0) Append(split, [_tok.EndOfTextId]);
        _splits[split].Documents++;
    }

    /// <summary>Appends ids to <paramref name="split"/> without counting a document.</summary>
    public void Append(string split, ReadOnlySpan<int> ids)
    {
        AddSplit(split);
        var s = _splits[split];
        while (ids.Length > 0)
        {
            if (s.Current is null)
            {
                string name = $"{split}-{s.Shards.Count:D6}.bin";
                s.Shards.Add(name);
                s.Current = new ShardWriter(Path.Combine(_dir, name), _tok.VocabSize, _sha);
            }
            int n = (int)Math.Min(ids.Length, _shardTokens - s.Current.Count);
            s.Current.Append(ids[..n]);
            s.Tokens += n;
            ids = ids[n..];
            if (s.Current.Count == _shardTokens) { s.Current.Commit(); s.Current.Dispose(); s.Current = null; }
        }
    }

    /// <summary>Tokens written to <paramref name="split"/> so far.</summary>
    public long Tokens(string split) => _splits.TryGetValue(split, out var s) ? s.Tokens : 0;

    private DataManifest Finish(DataManifest m)
    {
        var splits = new Dictionary<string, SplitInfo>();
        foreach (var (name, s) in _splits)
        {
            if (s.Current is null && s.Shards.Count == 0)
            {
                // An empty split still gets one (empty) shard, so every split has a file to open.
                s.Shards.Add($"{name}-000000.bin");
                s.Current = new ShardWriter(Path.Combine(_dir, s.Shards[0]), _tok.VocabSize, _sha);
            }
            if (s.Current is not null) { s.Current.Commit(); s.Current.Dispose(); s.Current = null; }
            splits[name] = new SplitInfo { Shards = s.Shards, Documents = s.Documents, Tokens = s.Tokens };
        }
        var full = m with
        {
            VocabSize = _tok.VocabSize,
            BytesPerToken = ShardFile.BytesPerTokenFor(_tok.VocabSize),
            Tokenizer = "tokenizer.json",
            TokenizerSha256 = _shaHex,
            Splits = splits,
        };
        full.Write(_dir);
        return full;
    }

    /// <summary>Drops unfinished shards (their temporary files are deleted).</summary>
    public void Dispose()
    {
        foreach (var s in _splits.Values) s.Current?.Dispose();
    }
}
