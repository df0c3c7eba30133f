using System.Buffers.Binary;
using System.IO.Compression;
using ScalingLab.Common;

namespace ScalingLab.Reports;

/// <summary>
/// A minimal PNG reader (8-bit grey, RGB or RGBA, not interlaced: what Chromium's screenshots are), enough for the
/// report's rendering check to look at pixels. Chunks, zlib stream, and the five scanline filters of the PNG spec.
/// </summary>
public sealed class PngImage
{
    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }
    private readonly byte[] _rgb; // 3 bytes per pixel, rows top to bottom

    private PngImage(int w, int h, byte[] rgb)
    {
        Width = w;
        Height = h;
        _rgb = rgb;
    }

    /// <summary>The (r, g, b) of pixel (x, y); transparent pixels are composited on white.</summary>
    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            int i = (y * Width + x) * 3;
            return (_rgb[i], _rgb[i + 1], _rgb[i + 2]);
        }
    }

    /// <summary>Reads a PNG file.</summary>
    public static PngImage Read(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        ReadOnlySpan<byte> sig = [137, 80, 78, 71, 13, 10, 26, 10];
        if (data.Length < 33 || !data.AsSpan(0, 8).SequenceEqual(sig)) throw new UserError($"{path}: not a PNG file");
        int pos = 8, w = 0, h = 0, colorType = -1;
        using var idat = new MemoryStream();
        while (pos + 8 <= data.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(data, pos + 4, 4);
            if (len < 0 || pos + 12 + (long)len > data.Length) throw new UserError($"{path}: truncated PNG chunk {type}");
            var body = data.AsSpan(pos + 8, len);
            if (type == "IHDR")
            {
                w = BinaryPrimitives.ReadInt32BigEndian(body);
                h = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                int depth = body[8];
                colorType = body[9];
                if (depth != 8 || body[12] != 0 || colorType is not (0 or 2 or 6))
                    throw new UserError($"{path}: unsupported PNG (bit depth {depth}, colour type {colorType}, interlace {body[12]})");
            }
            else if (type == "IDAT") idat.Write(body);
            else if (type == "IEND") break;
            pos += 12 + len;
        }
        if (w <= 0 || h <= 0) throw new UserError($"{path}: PNG without a header");
        int channels = colorType switch { 0 => 1, 2 => 3, _ => 4 };
        int stride = w * channels;
        var raw = new byte[(long)(stride + 1) * h];
        idat.Position = 0;
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            int read = 0;
            while (read < raw.Length)
            {
                int n = z.Read(raw, read, raw.Length - read);
                if (n == 0) throw new UserError($"{path}: PNG image data is shorter than {w}×{h}");
                read += n;
            }
        }
        var rgb = new byte[(long)w * h * 3];
        var prev = new byte[stride];
        var cur = new byte[stride];
        for (int y = 0; y < h; y++)
        {
            int filter = raw[(long)y * (stride + 1)];
            Array.Copy(raw, (long)y * (stride + 1) + 1, cur, 0, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? cur[i - channels] : 0, b = prev[i], c = i >= channels ? prev[i - channels] : 0;
                cur[i] = filter switch
                {
                    0 => cur[i],
                    1 => (byte)(cur[i] + a),
                    2 => (byte)(cur[i] + b),
                    3 => (byte)(cur[i] + ((a + b) >> 1)),
                    4 => (byte)(cur[i] + Paeth(a, b, c)),
                    _ => throw new UserError($"{path}: bad PNG filter {filter} on row {y}"),
                };
            }
            for (int x = 0; x < w; x++)
            {
                int o = ((y * w) + x) * 3;
                if (channels == 1) { rgb[o] = rgb[o + 1] = rgb[o + 2] = cur[x]; continue; }
                int s = x * channels;
                int alpha = channels == 4 ? cur[s + 3] : 255;
                for (int k = 0; k < 3; k++) rgb[o + k] = (byte)((cur[s + k] * alpha + 255 * (255 - alpha) + 127) / 255);
            }
            (prev, cur) = (cur, prev);
        }
        return new PngImage(w, h, rgb);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
