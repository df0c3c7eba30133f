namespace ScalingLab.Common;

/// <summary>
/// A file system that filled up, turned into a one-line <see cref="UserError"/> naming the path, the free space and
/// the space needed, with exit code <see cref="ExitCode"/> (EX_TEMPFAIL: try again later), so that a worker can put its
/// run back in the queue instead of failing it.
/// </summary>
public static class DiskFull
{
    /// <summary>Exit code of a disk-full error (sysexits.h EX_TEMPFAIL).</summary>
    public const int ExitCode = 75;

    private const int Enospc = 28, Edquot = 122;

    /// <summary>True when <paramref name="e"/> is "no space left on device" (or over quota).</summary>
    public static bool Is(Exception e) =>
        e is IOException io && ((io.HResult & 0xFFFF) is Enospc or Edquot || io.HResult == unchecked((int)0x80070070)
                                || io.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
                                || io.Message.Contains("Disk quota exceeded", StringComparison.OrdinalIgnoreCase));

    /// <summary>The one-line error for a write to <paramref name="path"/> that needed about <paramref name="neededBytes"/>.</summary>
    public static UserError Error(string path, long neededBytes)
    {
        long? free = FreeBytes(path);
        string freeText = free is { } f ? Bytes(f) : "unknown";
        return new UserError($"disk full: could not write {path}: {freeText} free on its file system, about {Bytes(neededBytes)} needed; " +
                             "free some space and run the same command again (earlier checkpoints are intact)", ExitCode);
    }

    /// <summary>Free bytes on the file system holding <paramref name="path"/> (its nearest existing parent), or null.</summary>
    public static long? FreeBytes(string path)
    {
        try
        {
            string? dir = Path.GetFullPath(path);
            while (dir is not null && !Directory.Exists(dir)) dir = Path.GetDirectoryName(dir);
            return dir is null ? null : new DriveInfo(dir).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>A byte count for people: "812 KB", "3.2 MB".</summary>
    public static string Bytes(long n) => n switch
    {
        < 1024 => $"{n} B",
        < 1024 * 1024 => $"{n / 1024.0:0.#} KB",
        < 1024L * 1024 * 1024 => $"{n / (1024.0 * 1024):0.#} MB",
        _ => $"{n / (1024.0 * 1024 * 1024):0.##} GB",
    };
}
