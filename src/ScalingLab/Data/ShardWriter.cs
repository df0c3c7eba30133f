using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>
/// Streams token ids into one shard file: a temporary file beside the target receives a placeholder
/// header and the tokens; <see cref="Commit"/> writes the real header (the count is known only then),
/// flushes and renames. Disposing without Commit deletes the temporary file, so a failure leaves nothing.
/// </summary>
public sealed class ShardWriter : IDisposable
{
    private readonly string _path;
    private readonly string _tmp;
    private readonly FileStream _fs;
    private readonly int _vocab;
    private readonly int _bpt;
    private readonly byte[] _sha;
    private readonly byte[] _buf = new byte[1 << 16];
    private long _count;
    private bool _done;

    /// <summary>Starts a shard at <paramref name="path"/> for ids in [0, vocabSize).</summary>
    public ShardWriter(string path, int vocabSize, byte[] tokenizerSha256)
    {
        if (vocabSize <= 0) throw new ArgumentOutOfRangeException(nameof(vocabSize));
        _path = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _tmp = Path.Combine(Path.GetDirectoryName(_path)!, $".{Path.GetFileName(_path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        _vocab = vocabSize;
        _bpt = ShardFile.BytesPerTokenFor(vocabSize);
        _sha = tokenizerSha256.Length == 0 ? new byte[32] : tokenizerSha256;
        _fs = new FileStream(_tmp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        _fs.Write(new byte[ShardFile.HeaderBytes]);
    }

    /// <summary>Tokens appended so far.</summary>
    public long Count => _count;

    /// <summary>Appends ids (each must lie in [0, vocabSize)).</summary>
    public void Append(ReadOnlySpan<int> ids)
    {
        int per = _buf.Length / _bpt;
        while (ids.Length > 0)
        {
            int n = Math.Min(per, ids.Length);
            var chunk = ids[..n];
            if (_bpt == 2)
            {
                for (int i = 0; i < n; i++)
                {
                    int t = chunk[i];
                    if ((uint)t >= (uint)_vocab) throw new ArgumentException($"token id {t} outside [0, {_vocab})");
                    _buf[2 * i] = (byte)t;
                    _buf[2 * i + 1] = (byte)(t >> 8);
                }
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    int t = chunk[i];
                    if ((uint)t >= (uint)_vocab) throw new ArgumentException($"token id {t} outside [0, {_vocab})");
                    System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(_buf.AsSpan(4 * i), t);
                }
            }
            _fs.Write(_buf, 0, n * _bpt);
            _count += n;
            ids = ids[n..];
        }
    }

    /// <summary>Writes the header, flushes to disk and renames the file into place.</summary>
    public void Commit()
    {
        if (_done) throw new InvalidOperationException("shard already committed");
        Span<byte> header = stackalloc byte[ShardFile.HeaderBytes];
        ShardFile.WriteHeader(header, new ShardFile.Header(_bpt, _count, _vocab, _sha));
        _fs.Position = 0;
        _fs.Write(header);
        _fs.Flush(flushToDisk: true);
        _fs.Dispose();
        File.Move(_tmp, _path, overwrite: true);
        _done = true;
    }

    /// <summary>Closes the file; without a Commit the temporary file is deleted.</summary>
    public void Dispose()
    {
        if (_done) return;
        _fs.Dispose();
        try { File.Delete(_tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _done = true;
    }
}
