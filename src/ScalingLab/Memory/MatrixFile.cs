using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using ScalingLab.Common;

namespace ScalingLab.Memory;

/// <summary>
/// Reads a matrix of float32 row vectors: a raw little-endian row-major file (the caller gives the row
/// length n) or a NumPy .npy file of dtype '&lt;f4', C order, 2-D (or 1-D with n given).
/// </summary>
public static partial class MatrixFile
{
    /// <summary>Reads <paramref name="path"/>; returns the values and the shape (rows, dim).</summary>
    public static (float[] Data, int Rows, int Dim) Read(string path, int? dim)
    {
        if (!File.Exists(path)) throw new UserError($"matrix file '{path}' not found");
        if (dim is < 1) throw new UserError($"--dim must be ≥ 1 (got {dim})");
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var magic = new byte[6];
        int got = fs.ReadAtLeast(magic, 6, throwOnEndOfStream: false);
        fs.Position = 0;
        if (got == 6 && magic[0] == 0x93 && Encoding.ASCII.GetString(magic, 1, 5) == "NUMPY")
            return ReadNpy(fs, path, dim);
        if (dim is null) throw new UserError($"matrix file '{path}' is raw float32; give its row length with --dim");
        return ReadRaw(fs, fs.Length, path, dim.Value);
    }

    private static (float[], int, int) ReadRaw(Stream s, long bytes, string path, int n)
    {
        long rowBytes = 4L * n;
        if (bytes == 0) throw new UserError($"matrix file '{path}' is empty; it needs at least one row of {n} float32 values");
        if (bytes % rowBytes != 0)
            throw new UserError($"matrix file '{path}' has {bytes} bytes, not a multiple of {rowBytes} (= {n} float32 values per row); check --dim");
        long count = bytes / 4;
        if (count > Array.MaxLength) throw new UserError($"matrix file '{path}' is too large ({count} values); use a smaller sample");
        var data = new float[count];
        s.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
        foreach (float v in data)
            if (!float.IsFinite(v)) throw new UserError($"matrix file '{path}' holds NaN or infinite values; vectors must be finite");
        return (data, (int)(bytes / rowBytes), n);
    }

    private static (float[], int, int) ReadNpy(FileStream fs, string path, int? dim)
    {
        var head = new byte[10];
        fs.ReadExactly(head);
        int major = head[6];
        long headerLen;
        int prefix;
        if (major == 1) { headerLen = BitConverter.ToUInt16(head, 8); prefix = 10; }
        else
        {
            fs.Position = 8;
            var l4 = new byte[4];
            fs.ReadExactly(l4);
            headerLen = BitConverter.ToUInt32(l4); prefix = 12;
        }
        if (headerLen > 1 << 20) throw new UserError($"'{path}': malformed .npy header");
        var hdr = new byte[headerLen];
        fs.Position = prefix;
        fs.ReadExactly(hdr);
        string text = Encoding.Latin1.GetString(hdr);
        var descr = DescrRegex().Match(text);
        if (!descr.Success || descr.Groups[1].Value is not ("<f4" or "|f4" or "f4"))
            throw new UserError($"'{path}': dtype {(descr.Success ? descr.Groups[1].Value : "?")} is not float32; save it with arr.astype('<f4')");
        if (FortranRegex().IsMatch(text)) throw new UserError($"'{path}' is in Fortran order; save it with np.ascontiguousarray(arr)");
        var shape = ShapeRegex().Match(text);
        if (!shape.Success) throw new UserError($"'{path}': malformed .npy header (no shape)");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        long dataBytes = fs.Length - fs.Position;
        int n;
        if (dims.Length == 2)
        {
            n = checked((int)dims[1]);
            if (dim is not null && dim != n) throw new UserError($"'{path}' has rows of {n} values but --dim is {dim}; drop --dim or fix it");
            if (dims[0] * dims[1] * 4 != dataBytes) throw new UserError($"'{path}': shape ({dims[0]}, {dims[1]}) does not match the {dataBytes} data bytes");
        }
        else if (dims.Length == 1 && dim is not null) n = dim.Value;
        else throw new UserError($"'{path}' has {dims.Length} dimensions; give a 2-D array (vectors × dim)");
        if (n < 1) throw new UserError($"'{path}' has rows of length 0");
        return ReadRaw(fs, dataBytes, path, n);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'fortran_order'\s*:\s*True")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
