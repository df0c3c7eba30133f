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

    /// <summary>
    /// The Zipf-facts source (`scalinglab data zipf`, <see cref="Data.ZipfFacts"/>) as the experiments use it: Zipf(1.3)
    /// key frequencies, 2-symbol key codes over 64 symbols and 1-symbol values, whose entropy rate is known exactly.
    /// </summary>
    public static string Zipf(int keys, long tokens, long valTokens, ulong seed) =>
        $"{{ generator: zipf, options: {{ keys: {keys}, exponent: 1.3, symbols: 64, key_length: 2, value_length: 1, " +
        $"tokens: {tokens}, val_tokens: {valTokens}, seed: {seed} }} }}";
}
