using System.Runtime.InteropServices;
using System.Text;
using ScalingLab.Common;
using ScalingLab.Memory;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Memory;

public class NearestNeighboursTests
{
    private static float[] RandomSet(ulong seed, int m, int n, int duplicates, float offset)
    {
        var rng = new Rng(seed);
        var x = new float[m * n];
        rng.FillNormal(x, 0, 1);
        // a large common offset makes ‖x‖² ≫ distances: float32 cancellation territory
        for (int i = 0; i < x.Length; i++) x[i] += offset;
        for (int c = 0; c < duplicates; c++)
        {
            int a = rng.NextInt(m), b = rng.NextInt(m);
            x.AsSpan(a * n, n).CopyTo(x.AsSpan(b * n, n));
        }
        return x;
    }

    [Theory]
    [InlineData(1UL, 37, 5, 0, 0f, 8)]
    [InlineData(2UL, 200, 16, 10, 0f, 16)]
    [InlineData(3UL, 301, 33, 25, 0f, 64)]
    [InlineData(4UL, 150, 24, 5, 30f, 32)]
    [InlineData(5UL, 97, 3, 40, 0f, 8)]
    public void EqualsBruteForceFloat64OnEverySubset(ulong seed, int m, int n, int dups, float offset, int block)
    {
        var x = RandomSet(seed, m, n, dups, offset);
        int[] sizes = [m / 4, m / 2, 3 * m / 4, m];
        foreach (int threads in new[] { 1, 3 })
        {
            var sets = NearestNeighbours.Search(x, m, n, sizes, new ReferenceGemm(), threads, block);
            for (int k = 0; k < sizes.Length; k++)
            {
                var reference = NearestNeighbours.BruteForce(x.AsSpan(0, sizes[k] * n), sizes[k], n);
                for (int i = 0; i < sizes[k]; i++)
                {
                    Assert.Equal(reference.Distance[i], sets[k].Distance[i]);
                    int j = sets[k].Index[i];
                    Assert.NotEqual(i, j);
                    Assert.InRange(j, 0, sizes[k] - 1);
                }
            }
        }
    }

    [Fact]
    public void DuplicatesAreNeighboursAtZeroButNeverSelf()
    {
        // three copies of one vector and one other: each copy's neighbour is another copy at distance 0
        float[] x = [1, 2, 1, 2, 5, 5, 1, 2];
        var set = NearestNeighbours.Search(x, 4, 2, [4], new ReferenceGemm())[0];
        foreach (int i in new[] { 0, 1, 3 })
        {
            Assert.Equal(0.0, set.Distance[i]);
            Assert.NotEqual(i, set.Index[i]);
            Assert.Contains(set.Index[i], new[] { 0, 1, 3 });
        }
        Assert.Equal(Math.Sqrt(25), set.Distance[2], 1e-12);
    }

    [Fact]
    public void SameBitsForAnyThreadCount()
    {
        var x = RandomSet(9, 260, 12, 3, 0f);
        var a = NearestNeighbours.Search(x, 260, 12, [130, 260], new ReferenceGemm(), 1, 32);
        var b = NearestNeighbours.Search(x, 260, 12, [130, 260], new ReferenceGemm(), 4, 32);
        for (int k = 0; k < 2; k++)
        {
            Assert.Equal(a[k].Distance, b[k].Distance);
            Assert.Equal(a[k].Index, b[k].Index);
        }
    }

    [Fact]
    public void PermuteRowsMovesWholeRows()
    {
        float[] x = [0, 0, 1, 1, 2, 2, 3, 3];
        NearestNeighbours.PermuteRows(x, 2, [2, 0, 3, 1]);
        Assert.Equal(new float[] { 2, 2, 0, 0, 3, 3, 1, 1 }, x);
    }

    [Fact]
    public void MeasureReportsSubsetsAndThePrediction()
    {
        var x = RandomSet(11, 120, 8, 0, 0f);
        var report = NeighbourRadius.Measure(x, 120, 8, new ReferenceGemm(), 2, seed: 5);
        Assert.Equal([0.25, 0.5, 0.75, 1.0], report.Subsets.Select(s => s.Fraction));
        Assert.Equal([30, 60, 90, 120], report.Subsets.Select(s => s.Count));
        Assert.Equal(Math.Sqrt(8 / (2 * Math.PI * Math.E)), report.PredictedRadius, 1e-12);
        // the rows were shuffled in place: the full-set NN distances are the brute-force ones of the shuffled rows
        var reference = NearestNeighbours.BruteForce(x, 120, 8);
        Assert.Equal(reference.Distance.Average(), report.All.Mean, 1e-12);
        Assert.Equal(120, report.All.BinCounts.Sum());
        // a bigger sample can only shrink every vector's NN distance, so the mean falls
        Assert.True(report.Subsets[0].Mean >= report.All.Mean);
    }

    [Fact]
    public void ReadsRawAndNpyAndRejectsBadLengths()
    {
        var dir = Directory.CreateTempSubdirectory("slmem");
        try
        {
            float[] v = [1, 2, 3, 4, 5, 6];
            string raw = Path.Combine(dir.FullName, "m.f32");
            File.WriteAllBytes(raw, MemoryMarshal.AsBytes(v.AsSpan()).ToArray());
            var (data, rows, dim) = VectorFile.Read(raw, 3);
            Assert.Equal((2, 3), (rows, dim));
            Assert.Equal(v, data);
            var e = Assert.Throws<UserError>(() => VectorFile.Read(raw, 4));
            Assert.Contains("not a multiple of 16", e.Message);
            Assert.Throws<UserError>(() => VectorFile.Read(raw, null));

            // .npy v1.0 written by hand: magic, version, header length, dict padded to 64 bytes
            string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }";
            header = header.PadRight(64 - 10 - 1) + "\n";
            var bytes = new List<byte> { 0x93 };
            bytes.AddRange(Encoding.ASCII.GetBytes("NUMPY"));
            bytes.AddRange([1, 0]);
            bytes.AddRange(BitConverter.GetBytes((ushort)header.Length));
            bytes.AddRange(Encoding.ASCII.GetBytes(header));
            bytes.AddRange(MemoryMarshal.AsBytes(v.AsSpan()).ToArray());
            string npy = Path.Combine(dir.FullName, "m.npy");
            File.WriteAllBytes(npy, [.. bytes]);
            (data, rows, dim) = VectorFile.Read(npy, null);
            Assert.Equal((3, 2), (rows, dim));
            Assert.Equal(v, data);
            Assert.Contains("--dim is 3", Assert.Throws<UserError>(() => VectorFile.Read(npy, 3)).Message);

            string empty = Path.Combine(dir.FullName, "empty.f32");
            File.WriteAllBytes(empty, []);
            Assert.Contains("empty", Assert.Throws<UserError>(() => VectorFile.Read(empty, 3)).Message);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void TooFewVectorsIsAUserError()
    {
        Assert.Throws<UserError>(() => NearestNeighbours.Search([1f, 2f], 1, 2, [1], new ReferenceGemm()));
    }
}
