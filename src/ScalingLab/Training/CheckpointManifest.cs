using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using ScalingLab.Common;

namespace ScalingLab.Training;

/// <summary>
/// manifest.json of a checkpoint folder: the size and SHA-256 of every other file in it, written last, so a resume
/// can tell an intact checkpoint from one that was truncated, bit-flipped or lost a file after it was written. The
/// folder's files are hashed whatever they are (weights, optimizer moments, configs, tokenizer files), so a new file in
/// a checkpoint is covered without touching this code.
/// </summary>
public static class CheckpointManifest
{
    /// <summary>The manifest's file name inside a checkpoint folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>The format tag in the manifest.</summary>
    public const string Format = "scalinglab-checkpoint-manifest/1";

    private sealed record Entry(
        [property: JsonPropertyName("path")] string Path,
        [property: JsonPropertyName("bytes")] long Bytes,
        [property: JsonPropertyName("sha256")] string Sha256);

    private sealed record Manifest(
        [property: JsonPropertyName("format")] string Format,
        [property: JsonPropertyName("files")] List<Entry> Files);

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>Hashes every file under <paramref name="dir"/> (but the manifest) and writes the manifest into it.</summary>
    public static void Write(string dir)
    {
        var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(f => f != FileName)
            .Order(StringComparer.Ordinal)
            .Select(f => new Entry(f, new FileInfo(Path.Combine(dir, f)).Length, Hash(Path.Combine(dir, f))))
            .ToList();
        AtomicFile.WriteAllText(Path.Combine(dir, FileName), JsonSerializer.Serialize(new Manifest(Format, files), Options));
    }

    /// <summary>
    /// Checks <paramref name="dir"/> against its manifest: null when every listed file is there with its size and hash,
    /// otherwise a short reason ("model.safetensors: 1234 bytes, the manifest says 5678"). A folder without a manifest
    /// (written before manifests existed) is reported by <paramref name="hasManifest"/> = false and not judged here.
    /// </summary>
    public static string? Verify(string dir, out bool hasManifest)
    {
        string path = Path.Combine(dir, FileName);
        hasManifest = File.Exists(path);
        if (!hasManifest) return null;
        Manifest? m;
        try
        {
            m = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            return $"{FileName} is not valid JSON ({e.Message.Split('\n')[0]})";
        }
        if (m is null || m.Format != Format || m.Files is null || m.Files.Any(e => e is null || e.Path is null || e.Sha256 is null))
            return $"{FileName} is not a {Format} manifest";
        if (m.Files.Count == 0) return $"{FileName} lists no files";
        foreach (var e in m.Files)
        {
            string f = Path.GetFullPath(Path.Combine(dir, e.Path));
            if (!f.StartsWith(Path.GetFullPath(dir) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                return $"{FileName} names a file outside the checkpoint ('{e.Path}')";
            if (!File.Exists(f)) return $"{e.Path} is missing";
            long bytes = new FileInfo(f).Length;
            if (bytes != e.Bytes) return $"{e.Path} has {bytes} bytes, the manifest says {e.Bytes} (truncated or overwritten)";
            if (!string.Equals(Hash(f), e.Sha256, StringComparison.OrdinalIgnoreCase))
                return $"{e.Path} does not match its SHA-256 in the manifest (corrupted)";
        }
        return null;
    }

    private static string Hash(string file)
    {
        using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }
}
