using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ScalingLab.Common;

namespace ScalingLab.Training;

/// <summary>
/// Our own small reader and writer of the safetensors format (Hugging Face): an 8-byte little-endian
/// header length N, N bytes of JSON header {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
/// optional "__metadata__": {string: string}}, then the raw little-endian tensor bytes; offsets are relative to the
/// end of the header. Float32 is written; F32, F16 and BF16 tensors are read (converted to float32 exactly); other
/// dtypes (e.g. a BOOL attention-mask buffer in a Hugging Face file) are validated and may be skipped, not read.
/// The reader trusts nothing: it checks the header length against the file, every dtype, shape and offset pair,
/// that sizes agree, and that the tensors tile the data buffer exactly (no overlap, no hole) — all before it
/// allocates anything — so a malformed or hostile file is a one-line <see cref="UserError"/>, never an out-of-memory.
/// </summary>
public static class SafeTensors
{
    /// <summary>The reference implementation refuses headers above 100 MB; so do we.</summary>
    private const long MaxHeaderBytes = 100_000_000;

    /// <summary>Bytes per element of every dtype the format defines.</summary>
    private static readonly Dictionary<string, int> DtypeBytes = new()
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1, ["I16"] = 2, ["U16"] = 2, ["F16"] = 2,
        ["BF16"] = 2, ["I32"] = 4, ["U32"] = 4, ["F32"] = 4, ["F64"] = 8, ["I64"] = 8, ["U64"] = 8,
    };

    /// <summary>
    /// Writes the tensors to <paramref name="path"/> atomically, in the order given. Names must be unique; the
    /// product of each shape must equal its data length.
    /// </summary>
    public static void Write(string path, IEnumerable<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors: big-endian hosts are not supported");
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            long offset = 0;
            foreach (var (name, shape, data) in list)
            {
                if (string.IsNullOrEmpty(name) || name == "__metadata__" || !names.Add(name))
                    throw new ArgumentException($"safetensors: tensor name '{name}' is empty, reserved or repeated");
                long count = 1;
                foreach (int d in shape)
                {
                    if (d < 0) throw new ArgumentException($"safetensors: tensor '{name}' has a negative dimension");
                    count = checked(count * d);
                }
                if (count != data.Length)
                    throw new ArgumentException($"safetensors: tensor '{name}' shape [{string.Join(",", shape)}] holds {count} values, data has {data.Length}");
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int d in shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + 4 * count);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += 4 * count;
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 so the data starts aligned (as the reference writer does).
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');
        byte[] headerBytes = header.ToArray();

        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)headerBytes.Length);
            s.Write(len);
            s.Write(headerBytes);
            foreach (var (_, _, data) in list) s.Write(MemoryMarshal.AsBytes(data.Span));
        });
    }

    /// <summary>
    /// Reads every tensor of <paramref name="path"/> as float32. A malformed file, or a tensor of a dtype other than
    /// F32/F16/BF16, throws a <see cref="UserError"/> that names the file and the first problem found.
    /// </summary>
    public static IReadOnlyDictionary<string, (int[] Shape, float[] Data)> Read(string path)
    {
        var header = ReadHeader(path);
        var result = new Dictionary<string, (int[] Shape, float[] Data)>(StringComparer.Ordinal);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        foreach (var e in header.Tensors.Values)
        {
            var data = new float[e.Count];
            ReadInto(fs, header, e, data);
            result[e.Name] = (e.Shape, data);
        }
        return result;
    }

    /// <summary>One tensor of a checked header: dtype, shape, element count and byte range within the data.</summary>
    public sealed record Tensor(string Name, string Dtype, int[] Shape, long Count, long Begin, long End);

    /// <summary>A checked header: the tensors by name and where the data starts in the file.</summary>
    public sealed record Header(string Path, IReadOnlyDictionary<string, Tensor> Tensors, long DataStart);

    /// <summary>
    /// Reads and checks the header of <paramref name="path"/> (length against the file and the 100 MB limit, every
    /// dtype, shape and offset pair, sizes agreeing, the tensors tiling the data exactly) without reading any tensor.
    /// </summary>
    public static Header ReadHeader(string path)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors: big-endian hosts are not supported");
        if (!File.Exists(path)) throw new UserError($"safetensors: {path} does not exist");
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long fileLength = fs.Length;
        UserError Bad(string what) => new($"safetensors: {path} is malformed: {what}");

        if (fileLength < 8) throw Bad($"the file has {fileLength} bytes, fewer than the 8-byte header length");
        Span<byte> lenBytes = stackalloc byte[8];
        fs.ReadExactly(lenBytes);
        ulong headerLen = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLen > (ulong)(fileLength - 8))
            throw Bad($"header length {headerLen} is larger than the rest of the file ({fileLength - 8} bytes)");
        if (headerLen > MaxHeaderBytes) throw Bad($"header length {headerLen} exceeds the {MaxHeaderBytes}-byte limit");
        if (headerLen < 2) throw Bad("the header is too short to be a JSON object");
        byte[] headerBytes = new byte[headerLen];
        fs.ReadExactly(headerBytes);
        long dataLength = fileLength - 8 - (long)headerLen;

        var entries = ParseHeader(headerBytes, dataLength, Bad);

        // The tensors must tile [0, dataLength) exactly: sorted by begin, each starts where the last ended.
        var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long cursor = 0;
        foreach (var e in sorted)
        {
            if (e.Begin < cursor) throw Bad($"tensor '{e.Name}' overlaps the tensor before it (offset {e.Begin} < {cursor})");
            if (e.Begin > cursor) throw Bad($"there is a gap in the data before tensor '{e.Name}' (offset {e.Begin}, expected {cursor})");
            cursor = e.End;
        }
        if (cursor != dataLength) throw Bad($"the tensors cover {cursor} data bytes but the file holds {dataLength}");
        return new Header(path, entries.ToDictionary(e => e.Name, StringComparer.Ordinal), 8 + (long)headerLen);
    }

    /// <summary>
    /// Reads tensor <paramref name="t"/> of <paramref name="header"/> from <paramref name="fs"/> (the same file) into
    /// <paramref name="dst"/> (exactly its element count), converting F16 and BF16 to float32 (exact).
    /// </summary>
    public static void ReadInto(FileStream fs, Header header, Tensor t, Span<float> dst)
    {
        if (dst.Length != t.Count) throw new ArgumentException($"safetensors: '{t.Name}' has {t.Count} values, the destination {dst.Length}");
        fs.Position = header.DataStart + t.Begin;
        switch (t.Dtype)
        {
            case "F32":
                fs.ReadExactly(MemoryMarshal.AsBytes(dst));
                break;
            case "F16":
            case "BF16":
            {
                // Convert in chunks so no buffer is sized by the file.
                var buf = new ushort[Math.Min(t.Count, 1 << 16)];
                bool bf = t.Dtype == "BF16";
                for (long done = 0; done < t.Count;)
                {
                    int n = (int)Math.Min(buf.Length, t.Count - done);
                    fs.ReadExactly(MemoryMarshal.AsBytes(buf.AsSpan(0, n)));
                    var d = dst.Slice((int)done, n);
                    for (int i = 0; i < n; i++) d[i] = bf ? BFloat16ToSingle(buf[i]) : (float)BitConverter.UInt16BitsToHalf(buf[i]);
                    done += n;
                }
                break;
            }
            default:
                throw new UserError($"safetensors: tensor '{t.Name}' in {header.Path} has dtype {t.Dtype}; ScalingLab reads F32, F16 and BF16 (convert the file to float32)");
        }
    }

    /// <summary>bfloat16 is the upper half of a float32's bits, so widening is a 16-bit shift (exact).</summary>
    public static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    private static List<Tensor> ParseHeader(byte[] headerBytes, long dataLength, Func<string, UserError> bad)
    {
        JsonDocument doc;
        // JsonDocument leaves invalid UTF-8 inside strings to be found when a name is read (found by the fuzz tests).
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes)) throw bad("the header is not valid UTF-8");
        try
        {
            doc = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw bad($"the header is not valid JSON ({e.Message.Split('\n')[0]})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw bad("the header is not a JSON object");
            var entries = new List<Tensor>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                string name = prop.Name;
                if (!seen.Add(name)) throw bad($"tensor '{name}' appears twice in the header");
                if (name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw bad("__metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                        if (m.Value.ValueKind != JsonValueKind.String) throw bad($"__metadata__ value '{m.Name}' is not a string");
                    continue;
                }
                var t = prop.Value;
                if (t.ValueKind != JsonValueKind.Object) throw bad($"tensor '{name}' is not an object");
                if (!t.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
                    throw bad($"tensor '{name}' has no dtype string");
                string dtype = dtypeEl.GetString()!;
                if (!DtypeBytes.ContainsKey(dtype)) throw bad($"tensor '{name}' has unknown dtype '{dtype}'");
                int size = DtypeBytes[dtype];

                if (!t.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
                    throw bad($"tensor '{name}' has no shape array");
                var shape = new int[shapeEl.GetArrayLength()];
                // Count elements in 128 bits so that sizes like 2^63 are caught instead of overflowing.
                UInt128 count = 1;
                int i = 0;
                foreach (var d in shapeEl.EnumerateArray())
                {
                    if (d.ValueKind != JsonValueKind.Number || !d.TryGetUInt64(out ulong dim))
                        throw bad($"tensor '{name}' has a shape entry that is not a non-negative integer");
                    if (dim > int.MaxValue) throw bad($"tensor '{name}' has dimension {dim}, larger than {int.MaxValue}");
                    shape[i++] = (int)dim;
                    count *= dim;
                    if (count > (UInt128)long.MaxValue) throw bad($"tensor '{name}' shape [{string.Join(",", shapeEl.EnumerateArray())}] is impossibly large");
                }
                UInt128 bytes = count * (uint)size;

                if (!t.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
                    throw bad($"tensor '{name}' has no [begin, end] data_offsets");
                if (!offEl[0].TryGetUInt64(out ulong begin) || !offEl[1].TryGetUInt64(out ulong end))
                    throw bad($"tensor '{name}' data_offsets are not non-negative integers");
                if (begin > end) throw bad($"tensor '{name}' data_offsets [{begin}, {end}] are reversed");
                if (end > (ulong)dataLength) throw bad($"tensor '{name}' data_offsets [{begin}, {end}] run past the data ({dataLength} bytes)");
                if ((UInt128)(end - begin) != bytes)
                    throw bad($"tensor '{name}' shape [{string.Join(",", shape)}] needs {bytes} bytes but data_offsets span {end - begin}");
                if ((ulong)count > (ulong)Array.MaxLength)
                    throw bad($"tensor '{name}' has {count} values, more than one array can hold");
                entries.Add(new Tensor(name, dtype, shape, (long)count, (long)begin, (long)end));
            }
            return entries;
        }
    }
}
