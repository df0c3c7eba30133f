using System.Text.Json.Nodes;
using ScalingLab.Data;

namespace ScalingLab.Sweeps;

/// <summary>
/// A spec's generated data source: <c>data: { generator: markov|memorize|qf|zipf, options: {...} }</c>. The options parse
/// into the generator's typed options (<see cref="MarkovOptions"/>, <see cref="MemorizeOptions"/>, <see cref="QfOptions"/>, <see cref="ZipfOptions"/>;
/// unnamed ones keep the `data` verbs' defaults; an unknown one is an error naming <c>data.options.KEY</c>), and the
/// library's <see cref="GeneratedData"/> writes the folder.
/// </summary>
public static class SweepData
{
    /// <summary>Checks a generator's options; throws a one-line error naming the spec field.</summary>
    public static void Validate(string generator, JsonObject? options, string path) => Parse(generator, options, path);

    /// <summary>Writes the data of <paramref name="source"/> into <paramref name="outDir"/>.</summary>
    public static DataManifest Generate(DataSource source, string outDir, Action<string>? progress = null) =>
        Parse(source.Generator!, source.Options, "data.options") switch
        {
            MarkovOptions m => GeneratedData.Write(outDir, m, progress),
            MemorizeOptions m => GeneratedData.Write(outDir, m, progress),
            QfOptions q => GeneratedData.Write(outDir, q),
            ZipfOptions z => GeneratedData.Write(outDir, z, progress),
            EnglishOptions e => EnglishCorpus.Build(e with { Output = outDir }, progress),
            _ => throw new InvalidOperationException(source.Generator),
        };

    /// <summary>tokens, val_tokens and seed of a sampled corpus, over the generator's defaults.</summary>
    private static T Sampled<T>(SpecFields f, T o) where T : SampledCorpusOptions => (T)((SampledCorpusOptions)o with
    {
        Tokens = f.Long("tokens", o.Tokens, 1), ValTokens = f.Has("val_tokens") ? f.Long("val_tokens", 1, 1) : null,
        Seed = (ulong)f.Long("seed", (long)o.Seed, 0),
    });

    private static object Parse(string generator, JsonObject? options, string path)
    {
        var f = new SpecFields(options ?? new JsonObject(), path);
        object o;
        switch (generator)
        {
            case "markov":
                var m = new MarkovOptions();
                o = Sampled(f, new MarkovOptions
                {
                    Order = f.Int("order", m.Order, 0, 16), Vocab = f.Int("vocab", m.Vocab, 2, 1 << 20),
                    Concentration = f.Double("concentration", m.Concentration, 0, 1e6, minExclusive: true),
                });
                break;
            case "memorize":
                var z = new MemorizeOptions();
                o = Sampled(f, new MemorizeOptions
                {
                    Sequences = f.Int("sequences", z.Sequences, 1), Length = f.Int("length", z.Length, 1), Vocab = f.Int("vocab", z.Vocab, 2),
                    MinDistance = f.Int("min_distance", z.MinDistance, 1),
                });
                break;
            case "qf":
                var q = new QfOptions();
                o = new QfOptions
                {
                    Seed = (ulong)f.Long("seed", (long)q.Seed, 0), Train = f.Int("train", q.Train, 1), Dev = f.Int("dev", q.Dev, 1),
                    Test = f.Int("test", q.Test, 0), Gen = f.Int("gen", q.Gen, 0), Grammar = f.String("grammar"), From = f.String("from"),
                };
                break;
            case "zipf":
                var zf = new ZipfOptions();
                o = Sampled(f, new ZipfOptions
                {
                    Keys = f.Int("keys", zf.Keys, 1), Exponent = f.Double("exponent", zf.Exponent, 0, 100, minExclusive: true),
                    Symbols = f.Int("symbols", zf.Symbols, 2), KeyLength = f.Int("key_length", zf.KeyLength, 1),
                    ValueLength = f.Int("value_length", zf.ValueLength, 1),
                });
                break;
            case "english":
                o = new EnglishOptions
                {
                    Output = "", VocabSize = f.Int("vocab", 4096, 257, 1 << 20), Seed = (ulong)f.Long("seed", 1, 0),
                    MaxBytesPerSource = f.Has("max_bytes_per_source") ? f.Long("max_bytes_per_source", 1, 1) : null,
                };
                break;
            default:
                throw f.Error("", $"names no generator: '{generator}'; use {string.Join(", ", GeneratedData.Names)}");
        }
        f.RejectUnknown();
        return o;
    }
}
