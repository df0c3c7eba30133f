namespace ScalingLab.Experiments;

/// <summary>The data sources experiments share, as sweep-spec `data:` mappings.</summary>
public static class ExperimentData
{
    /// <summary>
    /// The offline English corpus (`scalinglab data english`: Debian and npm text packages, byte-level BPE); the quick
    /// variant keeps at most 300 kB of each source and a 1024-token vocabulary.
    /// </summary>
    public static string English(bool quick) => quick
        ? "{ generator: english, options: { vocab: 1024, max_bytes_per_source: 300000, seed: 1 } }"
        : "{ generator: english, options: { vocab: 4096, seed: 1 } }";
}
