using System.IO.MemoryMappedFiles;
using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>
/// One token shard, memory-mapped read-only: the OS pages tokens in as the trainer reads them, so a
/// data set larger than memory costs nothing to open. Reads are thread-safe (plain loads from the map).
/// </summary>
public sealed unsafe class ShardTokens : ITokenSequence, IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private readonly int _bpt;

    /// <summary>Opens and checks <paramref name="path"/>; a bad header or length is a <see cref="UserError"/>.</summary>
    public ShardTokens(string path)
    {
        FilePath = path;
        if (!File.Exists(path)) throw new UserError($"shard not found: {path}; regenerate the data folder with 'scalinglab data'");
        long length = new FileInfo(path).Length;
        Span<byte> head = stackalloc byte[ShardFile.HeaderBytes];
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            int got = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            Header = ShardFile.ReadHeader(head[..got], length, path);
        }
        _bpt = Header.BytesPerToken;
        if (Header.Count == 0) return; // an empty file cannot be mapped; nothing to read anyway
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset + ShardFile.HeaderBytes;
    }

    /// <summary>The file this shard was opened from.</summary>
    public string FilePath { get; }

    /// <summary>The shard's header.</summary>
    public ShardFile.Header Header { get; }

    /// <inheritdoc />
    public long Count => Header.Count;

    /// <inheritdoc />
    public int VocabSize => Header.VocabSize;

    /// <inheritdoc />
    public void Read(long start, Span<int> dst)
    {
        if (start < 0 || start + dst.Length > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start + dst.Length}) outside the shard's {Count} tokens");
        if (_bpt == 2)
        {
            ushort* p = (ushort*)_base + start;
            for (int i = 0; i < dst.Length; i++) dst[i] = p[i]; // x86/ARM are little-endian, as is the file
        }
        else
        {
            new ReadOnlySpan<int>((int*)_base + start, dst.Length).CopyTo(dst);
        }
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_view is null) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map!.Dispose();
    }
}
