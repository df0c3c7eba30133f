using System.Text;
using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Laws;
using ScalingLab.Model;
using ScalingLab.Sweeps;
using ScalingLab.Training;

namespace ScalingLab.Tests.Fuzz;

/// <summary>
/// One input format the program reads: valid seed inputs, the file the fuzzed bytes are written to (inside a work
/// folder that <see cref="Setup"/> fills with whatever else the parser needs), and the parser, called as the program
/// calls it. Shared by the seeded fuzz tests and the AFL++ harness (fuzz/ScalingLab.Fuzz).
/// </summary>
public sealed record FuzzFormat(string Name, string FileName, bool Text, IReadOnlyList<byte[]> Seeds, Action<string> Parse,
                                Action<string>? Setup = null);

/// <summary>Every format the fuzzers cover.</summary>
public static class FuzzFormats
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] SafeTensorsBytes(params (string Name, int[] Shape)[] tensors)
    {
        string tmp = Path.Combine(Path.GetTempPath(), $"sl-fuzzseed-{Guid.NewGuid():N}.safetensors");
        SafeTensors.Write(tmp, tensors.Select(t => (t.Name, t.Shape,
            (ReadOnlyMemory<float>)Enumerable.Range(0, t.Shape.Aggregate(1, (a, b) => a * b)).Select(i => i * 0.25f - 1).ToArray())));
        byte[] b = File.ReadAllBytes(tmp);
        File.Delete(tmp);
        return b;
    }

    private static byte[] Npy(string descr, string shape, int count, int itemBytes)
    {
        string header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        var b = new List<byte> { 0x93 };
        b.AddRange("NUMPY"u8.ToArray());
        b.Add(1); b.Add(0);
        b.Add((byte)(header.Length & 0xFF)); b.Add((byte)(header.Length >> 8));
        b.AddRange(Encoding.ASCII.GetBytes(header));
        for (int i = 0; i < count; i++)
            b.AddRange(itemBytes == 4 ? BitConverter.GetBytes(i * 0.5f - 1) : BitConverter.GetBytes(i * 0.5 - 1));
        return b.ToArray();
    }

    private static readonly ModelConfig Gpt2 = new() { NLayer = 2, DModel = 16, NHead = 2, DFf = 64, NCtx = 32, VocabSize = 50 };
    private static readonly ModelConfig NeoX = Gpt2 with { Flavour = ModelFlavour.NeoX };

    /// <summary>The formats, by name.</summary>
    public static IReadOnlyList<FuzzFormat> All { get; } =
    [
        new("safetensors", "model.safetensors", false,
            [SafeTensorsBytes(("wte.weight", [4, 3]), ("ln.bias", [3])), SafeTensorsBytes(("a", [2, 2, 2])), SafeTensorsBytes()],
            dir => SafeTensors.Read(Path.Combine(dir, "model.safetensors"))),

        new("safetensors-index", "model.safetensors.index.json", true,
            [Utf8("""{"metadata": {"total_size": 60}, "weight_map": {"wte.weight": "model-00001-of-00002.safetensors", "ln.bias": "model-00002-of-00002.safetensors"}}"""),
             Utf8("""{"weight_map": {"ln.bias": "model-00002-of-00002.safetensors", "wte.weight": "model-00001-of-00002.safetensors"}, "metadata": {}}""")],
            dir => HfWeights.Headers(dir),
            dir =>
            {
                File.WriteAllBytes(Path.Combine(dir, "model-00001-of-00002.safetensors"), SafeTensorsBytes(("wte.weight", [4, 3])));
                File.WriteAllBytes(Path.Combine(dir, "model-00002-of-00002.safetensors"), SafeTensorsBytes(("ln.bias", [3])));
            }),

        new("sweep-spec-yaml", "spec.yaml", true,
            [Utf8("""
                 name: tiny
                 data: { generator: markov, options: { order: 2, vocab: 64, tokens: 2M } }
                 model: { flavour: gpt2, head_size: 32 }
                 train: { batch: 8, seq: 64, lr: 1e-3, eval_windows: 16 }
                 axes: { models: [2x64, 4x128], data_sizes: [200k, 0.5], seeds: [1] }
                 grids: [ { name: qf, data: { generator: qf }, axes: { models: [6x64] } } ]
                 """),
             Utf8("name: b\ndata:\n  generator: markov\nmodel:\n  head_size: 8\ntrain:\n  batch: 2\n  seq: 16\naxes:\n  models: [1x8]\n  data_sizes: [512, 1024]\n  seeds: [1, 2]\n")],
            dir => SweepSpec.Load(Path.Combine(dir, "spec.yaml"))),

        new("sweep-spec-json", "spec.json", true,
            [Utf8("""{"name": "j", "data": {"generator": "markov", "options": {"order": 1, "vocab": 32}}, "model": {"head_size": 16}, "train": {"batch": 4, "seq": 32, "lr": 0.001}, "axes": {"models": ["1x32", "2x64"], "data_sizes": ["100k", 0.25], "seeds": [1, 2]}}""")],
            dir => SweepSpec.Load(Path.Combine(dir, "spec.json"))),

        new("points-csv", "points.csv", true,
            [Utf8("name,N,D,loss\na,1e6,2e7,3.1\nb,4e6,8e7,2.8\nc,1.6e7,3.2e8,2.5\n"), Utf8("N,D,loss\n100,1000,5\n200,3000,4.5\n")],
            dir => PointsCsv.Read(Path.Combine(dir, "points.csv"), new CsvColumns())),

        new("npy", "m.npy", false,
            [Npy("<f4", "(3, 4)", 12, 4), Npy("<f8", "(2, 2)", 4, 8), Npy("<f4", "(5,)", 5, 4)],
            dir => MatrixFile.Read(Path.Combine(dir, "m.npy"))),

        new("matrix-csv", "m.csv", true,
            [Utf8("1,2,3\n4,5,6\n"), Utf8("0.5,-1e-3\n2.25,7\n3,4\n")],
            dir => MatrixFile.Read(Path.Combine(dir, "m.csv"))),

        new("tokenizer-json", "tokenizer.json", true,
            [Utf8(TokenizerFile.ToJson(BpeTrainer.Train(["the cat sat on the mat", "a dog and a cat", "the end"], 300, threads: 1))),
             Utf8(TokenizerFile.ToJson(new CharTokenizer("abcxyz"))),
             Utf8(TokenizerFile.ToJson(new WordTokenizer(["who", "is", "the", "cat"])))],
            dir => TokenizerFile.Load(Path.Combine(dir, "tokenizer.json"))),

        new("shard-header", "train-000000.bin", false,
            [ShardBytes(100, 50), ShardBytes(70000, 3)],
            dir =>
            {
                string p = Path.Combine(dir, "train-000000.bin");
                byte[] b = File.ReadAllBytes(p);
                ShardFile.ReadHeader(b.AsSpan(0, Math.Min(b.Length, ShardFile.HeaderBytes)), b.Length, p);
            }),

        new("data-manifest", "manifest.json", true,
            [Utf8(System.Text.Json.JsonSerializer.Serialize(new DataManifest { Kind = "markov", Source = "generated", VocabSize = 16, BytesPerToken = 2, TokenizerSha256 = "ab12", Seed = 5 }, DataManifest.Json))],
            dir => DataManifest.Read(dir)),

        new("config-json-ours", "config.json", true,
            [Utf8(Gpt2.ToJson()), Utf8(NeoX.ToJson())],
            dir => ModelFolder.ReadConfig(dir)),

        new("config-json-hf", "config.json", true,
            [Utf8(HfConfig.ToJson(Gpt2)), Utf8(HfConfig.ToJson(NeoX))],
            dir => ModelFolder.ReadConfig(dir)),

        new("trainer-state-json", "trainer_state.json", true,
            [Utf8(new TrainerState { Step = 12, Tokens = 4096, DataEpoch = 1, DataIndex = 3, RngKey = 77, RngCounter = 5, Lr = 1e-3, WarmupSteps = 2, TotalSteps = 100, AdamStep = 12, MinValLoss = 2.5, MinValStep = 8 }.ToJson())],
            dir => TrainerState.FromJson(File.ReadAllText(Path.Combine(dir, "trainer_state.json")), Path.Combine(dir, "trainer_state.json"))),
    ];

    private static byte[] ShardBytes(int vocab, int count)
    {
        int bpt = ShardFile.BytesPerTokenFor(vocab);
        var b = new byte[ShardFile.HeaderBytes + count * bpt];
        ShardFile.WriteHeader(b, new ShardFile.Header(bpt, count, vocab, new byte[32]));
        return b;
    }
}
