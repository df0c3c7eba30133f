using System.Buffers.Binary;
using System.Text;
using ScalingLab.Common;

namespace ScalingLab.Data;

/// <summary>
/// The token shard format: a 64-byte header, then the tokens little-endian.
/// Header: bytes 0–7 ASCII "SLSHARD1"; 8–11 uint32 version (1); 12–15 uint32 bytes per token (2 or 4);
/// 16–23 uint64 token count; 24–27 uint32 vocabulary size; 28–31 zero; 32–63 SHA-256 of the
/// tokenizer.json the ids belong to (zeros when there is none).
/// </summary>
public static class ShardFile
{
    /// <summary>Size of the header in bytes.</summary>
    public const int HeaderBytes = 64;

    /// <summary>The format version this code writes and reads.</summary>
    public const uint Version = 1;

    private static ReadOnlySpan<byte> Magic => "SLSHARD1"u8;

    /// <summary>What a shard's header says.</summary>
    public readonly record struct Header(int BytesPerToken, long Count, int VocabSize, byte[] TokenizerSha256);

    /// <summary>2 when every id fits in uint16, else 4.</summary>
    public static int BytesPerTokenFor(int vocabSize) => vocabSize <= 65536 ? 2 : 4;

    /// <summary>Writes the 64-byte header into <paramref name="dst"/>.</summary>
    public static void WriteHeader(Span<byte> dst, in Header h)
    {
        dst[..HeaderBytes].Clear();
        Magic.CopyTo(dst);
        BinaryPrimitives.WriteUInt32LittleEndian(dst[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(dst[12..], (uint)h.BytesPerToken);
        BinaryPrimitives.WriteUInt64LittleEndian(dst[16..], (ulong)h.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(dst[24..], (uint)h.VocabSize);
        if (h.TokenizerSha256.Length != 0)
        {
            if (h.TokenizerSha256.Length != 32) throw new ArgumentException("tokenizer hash must be 32 bytes (SHA-256)");
            h.TokenizerSha256.CopyTo(dst[32..]);
        }
    }

    /// <summary>
    /// Parses and checks a header against the file's length; a wrong magic, version, width, vocabulary
    /// or length is a <see cref="UserError"/> naming the file.
    /// </summary>
    public static Header ReadHeader(ReadOnlySpan<byte> src, long fileLength, string path)
    {
        string name = Path.GetFileName(path);
        if (src.Length < HeaderBytes || fileLength < HeaderBytes)
            throw new UserError($"{name}: not a token shard ({fileLength} bytes, shorter than the {HeaderBytes}-byte header); regenerate it with 'scalinglab data'");
        if (!src[..8].SequenceEqual(Magic))
            throw new UserError($"{name}: not a token shard (magic is '{Printable(src[..8])}', expected 'SLSHARD1'); regenerate it with 'scalinglab data'");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(src[8..]);
        if (version != Version)
            throw new UserError($"{name}: shard format version {version} is not supported (this build reads version {Version})");
        uint bpt = BinaryPrimitives.ReadUInt32LittleEndian(src[12..]);
        if (bpt != 2 && bpt != 4)
            throw new UserError($"{name}: bytes per token is {bpt}, must be 2 or 4; the header is damaged");
        ulong count = BinaryPrimitives.ReadUInt64LittleEndian(src[16..]);
        uint vocab = BinaryPrimitives.ReadUInt32LittleEndian(src[24..]);
        if (vocab == 0 || vocab > int.MaxValue || (bpt == 2 && vocab > 65536))
            throw new UserError($"{name}: vocabulary size {vocab} is invalid for {bpt}-byte tokens; the header is damaged");
        if (BinaryPrimitives.ReadUInt32LittleEndian(src[28..]) != 0)
            throw new UserError($"{name}: header bytes 28–31 must be zero; the header is damaged");
        long expected = count > (ulong)(long.MaxValue / 4) ? -1 : HeaderBytes + (long)count * bpt;
        if (expected != fileLength)
            throw new UserError($"{name}: header says {count} tokens × {bpt} bytes = {HeaderBytes + (decimal)count * bpt} bytes with the header, but the file has {fileLength}; it is truncated or damaged, regenerate it");
        return new Header((int)bpt, (long)count, (int)vocab, src[32..64].ToArray());
    }

    private static string Printable(ReadOnlySpan<byte> b)
    {
        var sb = new StringBuilder();
        foreach (byte x in b) sb.Append(x is >= 32 and < 127 ? (char)x : '?');
        return sb.ToString();
    }

    /// <summary>
    /// Writes a whole shard atomically from <paramref name="tokens"/> (ids are checked against the vocabulary).
    /// </summary>
    public static void Write(string path, ReadOnlySpan<int> tokens, int vocabSize, byte[] tokenizerSha256)
    {
        using var w = new ShardWriter(path, vocabSize, tokenizerSha256);
        w.Append(tokens);
        w.Commit();
    }
}
