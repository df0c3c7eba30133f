namespace ScalingLab.Common;

/// <summary>
/// Writes files and folders so that a crash never leaves a half-written file in the place
/// of a good one: write to a temporary name beside the target, flush to disk, then rename.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> atomically through a stream callback.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e)
        {
            long written = File.Exists(tmp) ? new FileInfo(tmp).Length : 0;
            TryDelete(tmp);
            if (DiskFull.Is(e)) throw DiskFull.Error(full, written + (1 << 16));
            throw;
        }
    }

    /// <summary>Writes text (UTF-8, no BOM) atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s =>
        {
            var bytes = new System.Text.UTF8Encoding(false).GetBytes(text);
            s.Write(bytes);
        });

    /// <summary>Writes bytes atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>
    /// Builds a folder atomically: <paramref name="fill"/> writes into a fresh temporary folder
    /// beside <paramref name="path"/>; when it returns, the files are flushed and the folder is
    /// renamed into place (an existing folder of that name is replaced).
    /// </summary>
    /// <param name="path">The folder to create or replace.</param>
    /// <param name="fill">Writes the folder's files into the temporary folder it is given.</param>
    /// <param name="expectedBytes">About how many bytes the folder holds (for the disk-full message).</param>
    public static void WriteDirectory(string path, Action<string> fill, long expectedBytes = 0)
    {
        string full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        string tmp = Path.Combine(parent, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(tmp);
        try
        {
            fill(tmp);
            foreach (var f in Directory.EnumerateFiles(tmp, "*", SearchOption.AllDirectories))
            {
                using var fs = new FileStream(f, FileMode.Open, FileAccess.ReadWrite);
                fs.Flush(flushToDisk: true);
            }
            if (Directory.Exists(full))
            {
                // Move the old one aside first, so the target name is never missing a complete folder
                // for longer than two renames.
                string old = full + $".old.{Guid.NewGuid():N}";
                Directory.Move(full, old);
                Directory.Move(tmp, full);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(tmp, full);
            }
        }
        catch (Exception e)
        {
            long written = 0;
            try
            {
                if (Directory.Exists(tmp))
                {
                    written = Directory.EnumerateFiles(tmp, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
                    Directory.Delete(tmp, recursive: true);
                }
            }
            catch (IOException) { }
            // A file inside the folder that hit a full disk is reported as the folder (the name the user knows).
            if (DiskFull.Is(e) || e is UserError { ExitCode: DiskFull.ExitCode })
                throw DiskFull.Error(full, Math.Max(expectedBytes, written + (1 << 16)));
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
