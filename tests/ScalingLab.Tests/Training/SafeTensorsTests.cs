using System.Text;
using ScalingLab.Common;
using ScalingLab.Training;

namespace ScalingLab.Tests.Training;

public class SafeTensorsTests
{
    private static string TempFile() => Path.Combine(Directory.CreateTempSubdirectory("sl-st").FullName, "t.safetensors");

    [Fact]
    public void RoundTripIsBitIdentical()
    {
        string path = TempFile();
        var a = new float[] { 1.5f, -0f, float.Epsilon, float.MaxValue, 3.25f, -7f };
        var b = new float[] { 42f };
        var empty = Array.Empty<float>();
        SafeTensors.Write(path, [("a.weight", [2, 3], a), ("b", [], b), ("e", [0, 4], empty)]);
        var read = SafeTensors.Read(path);
        Assert.Equal(3, read.Count);
        Assert.Equal([2, 3], read["a.weight"].Shape);
        Assert.Equal(a.Select(BitConverter.SingleToInt32Bits), read["a.weight"].Data.Select(BitConverter.SingleToInt32Bits));
        Assert.Empty(read["b"].Shape);
        Assert.Equal(b, read["b"].Data);
        Assert.Equal([0, 4], read["e"].Shape);
        Assert.Empty(read["e"].Data);
    }

    [Fact]
    public void LayoutFollowsTheFormat()
    {
        // Checked by hand against the format: u64 header length, JSON header padded to 8, then raw little-endian floats.
        string path = TempFile();
        SafeTensors.Write(path, [("x", [2], new float[] { 1f, 2f })]);
        byte[] bytes = File.ReadAllBytes(path);
        ulong n = BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0UL, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n).TrimEnd(' ');
        Assert.Equal("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", header);
        Assert.Equal(8 + (int)n + 8, bytes.Length);
        Assert.Equal(1f, BitConverter.ToSingle(bytes, 8 + (int)n));
        Assert.Equal(2f, BitConverter.ToSingle(bytes, 8 + (int)n + 4));
    }

    /// <summary>Builds a file from a header string and a data length, as a hostile writer could.</summary>
    private static string Craft(string header, int dataBytes, ulong? headerLenOverride = null)
    {
        string path = TempFile();
        byte[] h = Encoding.UTF8.GetBytes(header);
        using var fs = File.Create(path);
        fs.Write(BitConverter.GetBytes(headerLenOverride ?? (ulong)h.Length));
        fs.Write(h);
        fs.Write(new byte[dataBytes]);
        return path;
    }

    public static TheoryData<string, string, int, ulong?> Malformed => new()
    {
        { "truncated header length", "", -1, null },
        { "header longer than file", "{}", 0, 1000UL },
        { "2^63 header length", "{}", 0, 1UL << 63 },
        { "not json", "{nope", 0, null },
        { "not an object", "[1,2]", 0, null },
        { "unknown dtype", "{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, null },
        { "F16 shape/size mismatch", "{\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,4]}}", 4, null },
        { "shape/size mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, null },
        { "offsets past the data", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, null },
        { "reversed offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8, null },
        { "overlapping", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, null },
        { "gap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, null },
        { "trailing bytes", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, null },
        { "2^63 elements", "{\"a\":{\"dtype\":\"F32\",\"shape\":[9223372036854775808],\"data_offsets\":[0,4]}}", 4, null },
        { "2^62 x 2^62 elements", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,4]}}", 4, null },
        { "2^63 offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[9223372036854775800,9223372036854775804]}}", 4, null },
        { "negative dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, null },
        { "missing offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, null },
        { "duplicate name", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, null },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedFilesAreOneLineUserErrors(string what, string header, int dataBytes, ulong? headerLen)
    {
        string path;
        if (dataBytes < 0)
        {
            path = TempFile();
            File.WriteAllBytes(path, [1, 2, 3]);
        }
        else
        {
            path = Craft(header, dataBytes, headerLen);
        }
        var e = Assert.Throws<UserError>(() => SafeTensors.Read(path));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("malformed", e.Message);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void TruncatedDataIsRejected()
    {
        string path = TempFile();
        SafeTensors.Write(path, [("x", [4], new float[4])]);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);
        var e = Assert.Throws<UserError>(() => SafeTensors.Read(path));
        Assert.Contains("malformed", e.Message);
    }

    [Fact]
    public void MetadataIsAccepted()
    {
        string path = Craft("{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        Assert.Equal([0f], SafeTensors.Read(path)["a"].Data);
    }
}
