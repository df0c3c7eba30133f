using System.Runtime.InteropServices;
using System.Text;
using ScalingLab.Common;

namespace ScalingLab.Memory;

/// <summary>
/// Reads a set of float32 row vectors for the radius experiment: a raw little-endian row-major file (the
/// caller gives the row length n, so the byte length must be a multiple of 4n), or a NumPy .npy file
/// (parsed by <see cref="MatrixFile"/>; a 1-D array is split into rows of n).
/// </summary>
public static class VectorFile
{
    /// <summary>Reads <paramref name="path"/>; returns the values and the shape (rows, dim).</summary>
    public static (float[] Data, int Rows, int Dim) Read(string path, int? dim)
    {
        if (!File.Exists(path)) throw new UserError($"matrix file '{path}' not found");
        if (dim is < 1) throw new UserError($"--dim must be ≥ 1 (got {dim})");
        if (IsNpy(path))
        {
            var m = MatrixFile.ReadNpy(path);
            if (m.Cols == 1 && dim is > 1)
            {
                if (m.Rows % dim.Value != 0)
                    throw new UserError($"'{path}' holds {m.Rows} values, not a multiple of --dim {dim}; check --dim");
                return (m.Data, m.Rows / dim.Value, dim.Value);
            }
            if (dim is not null && dim != m.Cols) throw new UserError($"'{path}' has rows of {m.Cols} values but --dim is {dim}; drop --dim or fix it");
            if (m.Rows == 0) throw new UserError($"'{path}' holds no vectors");
            CheckFinite(m.Data, path);
            return (m.Data, m.Rows, m.Cols);
        }
        if (dim is null) throw new UserError($"matrix file '{path}' is raw float32; give its row length with --dim");
        return ReadRaw(path, dim.Value);
    }

    private static bool IsNpy(string path)
    {
        using var fs = File.OpenRead(path);
        var magic = new byte[6];
        return fs.ReadAtLeast(magic, 6, throwOnEndOfStream: false) == 6 && magic[0] == 0x93
               && Encoding.ASCII.GetString(magic, 1, 5) == "NUMPY";
    }

    private static (float[], int, int) ReadRaw(string path, int n)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        long bytes = fs.Length, rowBytes = 4L * n;
        if (bytes == 0) throw new UserError($"matrix file '{path}' is empty; it needs at least one row of {n} float32 values");
        if (bytes % rowBytes != 0)
            throw new UserError($"matrix file '{path}' has {bytes} bytes, not a multiple of {rowBytes} (= {n} float32 values per row); check --dim");
        if (bytes / 4 > Array.MaxLength) throw new UserError($"matrix file '{path}' is too large ({bytes / 4} values); use a smaller sample");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
        var data = new float[bytes / 4];
        fs.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        CheckFinite(data, path);
        return (data, (int)(bytes / rowBytes), n);
    }

    private static void CheckFinite(float[] data, string path)
    {
        foreach (float v in data)
            if (!float.IsFinite(v)) throw new UserError($"matrix file '{path}' holds NaN or infinite values; vectors must be finite");
    }
}
