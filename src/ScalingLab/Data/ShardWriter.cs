using System.Numerics.Tensors;
using System.Runtime.InteropServices;

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
    private readonly byte[] _buf = new byte[1 << 20]; // our own write buffer: few, large writes
    private int _fill;
    private long _count;
    private bool _done;

    /// <summary>Starts a shard at <paramref name="path"/> for ids in [0, vocabSize).</summary>
    public ShardWriter(string path, int vocabSize, byte[] tokenizerSha256)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("shards are little-endian; this writer assumes a little-endian CPU");
        if (vocabSize <= 0) throw new ArgumentOutOfRangeException(nameof(vocabSize));
        _path = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _tmp = Path.Combine(Path.GetDirectoryName(_path)!, $".{Path.GetFileName(_path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        _vocab = vocabSize;
        _bpt = ShardFile.BytesPerTokenFor(vocabSize);
        _sha = tokenizerSha256.Length == 0 ? new byte[32] : tokenizerSha256;
        _fs = new FileStream(_tmp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        _fs.Write(new byte[ShardFile.HeaderBytes]);
    }

    /// <summary>Tokens appended so far.</summary>
    public long Count => _count;

    /// <summary>Appends ids (each must lie in [0, vocabSize)).</summary>
    public void Append(ReadOnlySpan<int> ids)
    {
        if (ids.IsEmpty) return;
        // Check the range once per call (vectorised), then narrow into our buffer without per-element branches.
        int min = TensorPrimitives.Min(ids), max = TensorPrimitives.Max(ids);
        if (min < 0 || max >= _vocab) throw new ArgumentException($"token id {(min < 0 ? min : max)} outside [0, {_vocab})");
        while (ids.Length > 0)
        {
            int n = Math.Min((_buf.Length - _fill) / _bpt, ids.Length);
            var dst = _buf.AsSpan(_fill, n * _bpt);
            if (_bpt == 2) TensorPrimitives.ConvertTruncating<int, ushort>(ids[..n], MemoryMarshal.Cast<byte, ushort>(dst));
            else ids[..n].CopyTo(MemoryMarshal.Cast<byte, int>(dst));
            _fill += n * _bpt;
            _count += n;
            ids = ids[n..];
            if (_fill == _buf.Length) { _fs.Write(_buf, 0, _fill); _fill = 0; }
        }
    }

    /// <summary>Writes the header, flushes to disk and renames the file into place.</summary>
    public void Commit()
    {
        if (_done) throw new InvalidOperationException("shard already committed");
        Span<byte> header = stackalloc byte[ShardFile.HeaderBytes];
        ShardFile.WriteHeader(header, new ShardFile.Header(_bpt, _count, _vocab, _sha));
        _fs.Write(_buf, 0, _fill);
        _fill = 0;
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
