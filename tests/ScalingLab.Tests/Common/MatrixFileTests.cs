using System.Buffers.Binary;
using System.Text;
using ScalingLab.Common;

namespace ScalingLab.Tests.Common;

public class MatrixFileTests
{
    [Fact]
    public void ReadsCsvWithCommasOrSpaces()
    {
        var dir = Directory.CreateTempSubdirectory();
        string path = Path.Combine(dir.FullName, "m.csv");
        File.WriteAllText(path, "1, 2.5,-3\n4 5 6e-1\n\n");
        var m = MatrixFile.Read(path);
        Assert.Equal((2, 3), (m.Rows, m.Cols));
        Assert.Equal([1f, 2.5f, -3f, 4f, 5f, 0.6f], m.Data);
    }

    [Fact]
    public void RaggedCsvRowsAreAOneLineError()
    {
        var dir = Directory.CreateTempSubdirectory();
        string path = Path.Combine(dir.FullName, "m.csv");
        File.WriteAllText(path, "1,2,3\n4,5\n");
        var e = Assert.Throws<UserError>(() => MatrixFile.Read(path));
        Assert.Contains("m.csv:2", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void HeaderInCsvIsAOneLineError()
    {
        var dir = Directory.CreateTempSubdirectory();
        string path = Path.Combine(dir.FullName, "m.csv");
        File.WriteAllText(path, "a,b\n1,2\n");
        Assert.Contains("not a finite number", Assert.Throws<UserError>(() => MatrixFile.Read(path)).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsFloat32Npy(bool fortran)
    {
        // A 2×3 array [[1,2,3],[4,5,6]] written byte by byte as numpy.save would.
        float[] stored = fortran ? [1, 4, 2, 5, 3, 6] : [1, 2, 3, 4, 5, 6];
        string header = $"{{'descr': '<f4', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': (2, 3), }}";
        int pad = 64 - (10 + header.Length + 1) % 64;
        header += new string(' ', pad) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange(Encoding.ASCII.GetBytes("NUMPY"));
        bytes.AddRange([1, 0, (byte)(header.Length & 0xff), (byte)(header.Length >> 8)]);
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        foreach (float v in stored)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(b, v);
            bytes.AddRange(b);
        }
        var dir = Directory.CreateTempSubdirectory();
        string path = Path.Combine(dir.FullName, "m.npy");
        File.WriteAllBytes(path, bytes.ToArray());
        var m = MatrixFile.Read(path);
        Assert.Equal((2, 3), (m.Rows, m.Cols));
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], m.Data);
    }

    [Fact]
    public void NotNpyIsAOneLineError()
    {
        var dir = Directory.CreateTempSubdirectory();
        string path = Path.Combine(dir.FullName, "m.npy");
        File.WriteAllText(path, "1,2\n");
        Assert.Contains("not a .npy", Assert.Throws<UserError>(() => MatrixFile.Read(path)).Message);
    }
}
