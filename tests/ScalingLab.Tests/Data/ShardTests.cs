using System.Buffers.Binary;
using ScalingLab.Common;
using ScalingLab.Data;

namespace ScalingLab.Tests.Data;

public class ShardTests
{
    private static readonly byte[] Sha = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Theory]
    [InlineData(300, 2)]
    [InlineData(65536, 2)]
    [InlineData(70000, 4)]
    public void WriteThenMapReadsTheSameIds_HeaderAsSpecified(int vocab, int bpt)
    {
        var dir = Directory.CreateTempSubdirectory();
        string path = Path.Combine(dir.FullName, "s.bin");
        var rng = new ScalingLab.Tensors.Rng(7);
        var ids = Enumerable.Range(0, 1000).Select(_ => rng.NextInt(vocab)).ToArray();
        ids[0] = vocab - 1;
        ShardFile.Write(path, ids, vocab, Sha);

        // The header, byte by byte, as the shared contract states it.
        byte[] raw = File.ReadAllBytes(path);
        Assert.Equal(64 + 1000 * bpt, raw.Length);
        Assert.Equal("SLSHARD1"u8.ToArray(), raw[..8]);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(8)));
        Assert.Equal((uint)bpt, BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(12)));
        Assert.Equal(1000ul, BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(16)));
        Assert.Equal((uint)vocab, BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(24)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(28)));
        Assert.Equal(Sha, raw[32..64]);
        int second = bpt == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(64 + bpt)) : BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(64 + bpt));
        Assert.Equal(ids[1], second);

        using var shard = new ShardTokens(path);
        Assert.Equal(1000, shard.Count);
        Assert.Equal(vocab, shard.VocabSize);
        var got = new int[990];
        shard.Read(10, got);
        Assert.Equal(ids[10..], got);
        Assert.Throws<ArgumentOutOfRangeException>(() => shard.Read(995, new int[10]));
    }

    [Fact]
    public void DamagedShardsAreOneLineUserErrors()
    {
        var dir = Directory.CreateTempSubdirectory();
        string path = Path.Combine(dir.FullName, "s.bin");
        ShardFile.Write(path, [1, 2, 3, 4], 10, Sha);
        byte[] good = File.ReadAllBytes(path);

        File.WriteAllBytes(path, good[..^1]);
        var e = Assert.Throws<UserError>(() => new ShardTokens(path));
        Assert.Contains("truncated", e.Message);

        var bad = (byte[])good.Clone(); bad[0] = (byte)'X';
        File.WriteAllBytes(path, bad);
        Assert.Contains("magic", Assert.Throws<UserError>(() => new ShardTokens(path)).Message);

        bad = (byte[])good.Clone(); bad[12] = 3;
        File.WriteAllBytes(path, bad);
        Assert.Contains("bytes per token", Assert.Throws<UserError>(() => new ShardTokens(path)).Message);

        bad = (byte[])good.Clone(); bad[8] = 2;
        File.WriteAllBytes(path, bad);
        Assert.Contains("version", Assert.Throws<UserError>(() => new ShardTokens(path)).Message);

        File.WriteAllBytes(path, good[..10]);
        Assert.Contains("header", Assert.Throws<UserError>(() => new ShardTokens(path)).Message);
        foreach (var msg in new[] { e.Message }) Assert.DoesNotContain('\n', msg);
    }

    [Fact]
    public void WriterWithoutCommitLeavesNothing()
    {
        var dir = Directory.CreateTempSubdirectory();
        using (var w = new ShardWriter(Path.Combine(dir.FullName, "s.bin"), 10, Sha))
        {
            w.Append([1, 2]);
            Assert.Throws<ArgumentException>(() => w.Append([10]));
        }
        Assert.Empty(Directory.GetFiles(dir.FullName));
    }

    [Fact]
    public void ConcatReadsAcrossPartBoundaries()
    {
        var rng = new ScalingLab.Tensors.Rng(3);
        int[] all = Enumerable.Range(0, 100).Select(_ => rng.NextInt(50)).ToArray();
        int[] cuts = [0, 0, 13, 13, 40, 99, 100]; // empty parts too
        var parts = new List<ITokenSequence>();
        for (int i = 0; i + 1 < cuts.Length; i++) parts.Add(new ArrayTokens(all[cuts[i]..cuts[i + 1]], 50));
        var cat = new ConcatTokens(parts, 50);
        Assert.Equal(100, cat.Count);
        for (int start = 0; start < 100; start += 7)
            for (int len = 0; start + len <= 100; len += 11)
            {
                var got = new int[len];
                cat.Read(start, got);
                Assert.Equal(all[start..(start + len)], got);
            }
    }
}
