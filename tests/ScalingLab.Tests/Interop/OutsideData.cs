namespace ScalingLab.Tests.Interop;

/// <summary>
/// Where the outside oracles live: the repository root, and the shared data folder beside it
/// (CI keeps ../shared next to the clone; a git worktree one level deeper finds ../../shared).
/// </summary>
internal static class OutsideData
{
    /// <summary>The folder holding ScalingLab.sln.</summary>
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>shared/data/NAME beside the repository, or null when absent.</summary>
    public static string? Shared(string name)
    {
        foreach (string up in new[] { "..", Path.Combine("..", "..") })
        {
            string dir = Path.GetFullPath(Path.Combine(RepoRoot, up, "shared", "data", name));
            if (Directory.Exists(dir)) return dir;
        }
        return null;
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "ScalingLab.sln"))) return d.FullName;
        throw new InvalidOperationException("ScalingLab.sln not found above the test binaries");
    }
}

/// <summary>A fact on the llm.c test vector; skipped, saying why, only when ../shared/data/llmc-gpt2 is absent.</summary>
public sealed class LlmcFactAttribute : FactAttribute
{
    public LlmcFactAttribute()
    {
        if (OutsideData.Shared("llmc-gpt2") is null)
            Skip = "llm.c test vector not found: expected ../shared/data/llmc-gpt2 beside the repository (CI provides it)";
    }
}
