using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ScalingLab.Common;

namespace ScalingLab.Common;

/// <summary>
/// Reads a matrix saved by another tool: CSV of numbers without a header (rows = samples; comma,
/// semicolon, tab or spaces between values), or a NumPy .npy file of float32 (float64 is converted)
/// with one or two dimensions. Rows are returned row-major in float32. Shared by the dynamics calculators
/// (CKA, effective rank) and the memory radius (activation matrices).
/// </summary>
public static partial class MatrixFile
{
    /// <summary>A loaded matrix: <c>Data</c> holds Rows × Cols values, row-major.</summary>
    public sealed record Matrix(float[] Data, int Rows, int Cols);

    /// <summary>Reads <paramref name="path"/> as .npy (by extension) or CSV; bad content is a one-line <see cref="UserError"/>.</summary>
    public static Matrix Read(string path)
    {
        if (!File.Exists(path)) throw new UserError($"{path}: no such file; give a CSV of numbers or a float32 .npy");
        return path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? ReadNpy(path) : ReadCsv(path);
    }

    /// <summary>CSV of numbers, one row per line, no header; every row must have the same number of values.</summary>
    public static Matrix ReadCsv(string path)
    {
        var data = new List<float>();
        int cols = -1, rows = 0, lineNo = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0) continue;
            string[] fields = Separators().Split(line);
            if (cols < 0) cols = fields.Length;
            else if (fields.Length != cols)
                throw new UserError($"{path}:{lineNo}: {fields.Length} values where the first row has {cols}; every row needs the same number of columns");
            foreach (string f in fields)
            {
                if (!float.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                    throw new UserError($"{path}:{lineNo}: '{Shorten(f)}' is not a finite number; the file must be numbers only, without a header");
                data.Add(v);
            }
            rows++;
        }
        if (rows == 0) throw new UserError($"{path}: empty; give one row of numbers per sample");
        return new Matrix(data.ToArray(), rows, cols);
    }

    /// <summary>NumPy .npy (format 1.0–3.0), dtype &lt;f4 or &lt;f8, C or Fortran order, 1-D (n×1) or 2-D.</summary>
    public static Matrix ReadNpy(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new UserError($"{path}: not a .npy file (bad magic); save it with numpy.save");
        int major = bytes[6];
        int headerLen, offset;
        if (major == 1) { headerLen = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)); offset = 10; }
        else if (major is 2 or 3 && bytes.Length >= 12)
        {
            uint len = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
            if (len > bytes.Length) throw new UserError($"{path}: truncated .npy header");
            headerLen = (int)len;
            offset = 12;
        }
        else throw new UserError($"{path}: .npy format version {major} is not supported (1, 2 or 3)");
        if ((long)offset + headerLen > bytes.Length) throw new UserError($"{path}: truncated .npy header");
        string header = Encoding.UTF8.GetString(bytes, offset, headerLen);
        int dataStart = offset + headerLen;

        string descr = DescrRegex().Match(header) is { Success: true } d ? d.Groups[1].Value
            : throw new UserError($"{path}: .npy header has no 'descr'");
        bool fortran = FortranRegex().Match(header) is { Success: true } fo && fo.Groups[1].Value == "True";
        var shapeMatch = ShapeRegex().Match(header);
        if (!shapeMatch.Success) throw new UserError($"{path}: .npy header has no 'shape'");
        int[] shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
                         : throw new UserError($"{path}: .npy shape entry '{Shorten(s)}' is not a non-negative integer")).ToArray();
        if (shape.Length is not (1 or 2)) throw new UserError($"{path}: .npy array has {shape.Length} dimensions; save a 2-D (samples × features) array");
        int rows = shape[0], cols = shape.Length == 2 ? shape[1] : 1;
        if (rows < 1 || cols < 1) throw new UserError($"{path}: .npy array is empty");
        int width = descr switch
        {
            "<f4" or "|f4" => 4,
            "<f8" => 8,
            _ => throw new UserError($"{path}: .npy dtype '{descr}' is not supported; save float32 (little-endian '<f4')"),
        };
        long count = (long)rows * cols;
        if (dataStart + count * width > bytes.Length) throw new UserError($"{path}: .npy data is shorter than its shape ({rows}×{cols})");
        var data = new float[count];
        for (long i = 0; i < count; i++)
        {
            var span = bytes.AsSpan(dataStart + (int)(i * width), width);
            float v = width == 4 ? BinaryPrimitives.ReadSingleLittleEndian(span) : (float)BinaryPrimitives.ReadDoubleLittleEndian(span);
            // Fortran order stores columns contiguously: element i is (i % rows, i / rows).
            long dst = fortran ? (i % rows) * cols + i / rows : i;
            data[dst] = v;
        }
        foreach (float v in data)
            if (!float.IsFinite(v)) throw new UserError($"{path}: contains NaN or infinity");
        return new Matrix(data, rows, cols);
    }

    private static string Shorten(string s) => s.Length <= 20 ? s : s[..20] + "…";

    [GeneratedRegex(@"\s*[,;\t ]\s*")] private static partial Regex Separators();
    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")] private static partial Regex DescrRegex();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")] private static partial Regex FortranRegex();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")] private static partial Regex ShapeRegex();
}
