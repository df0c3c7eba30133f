using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Tests.Cli;
using ScalingLab.Training;

namespace ScalingLab.Tests.Interop;

/// <summary>
/// Model folders in the Hugging Face layout: our checkpoint → folder → import gives identical logits (also through
/// config.json alone, and from older checkpoints); every kind of bad input is a one-line error before any
/// allocation sized by the file; the CLI's eval verb reads checkpoints, HF folders and llm.c files.
/// </summary>
public class HfFolderTests
{
    private const int B = 2, T = 8, V = 61;

    private static ModelConfig Config(ModelFlavour f, bool? parallel = null, double? theta = null) => new ModelConfig
    {
        Flavour = f, NLayer = 2, DModel = 32, NHead = 2, DFf = 64, NCtx = 16, VocabSize = V, RotaryPct = 0.5,
        UseParallelResidual = parallel, RotaryBase = theta,
    }.Validate();

    private static (TransformerLm Model, string Dir, int[] X) Saved(ModelConfig c, ITokenizer? tok = null)
    {
        var m = TorchOracle.RandomModel(c, B, T, 21);
        string dir = Directory.CreateTempSubdirectory("sl-hf").FullName;
        ModelFolder.Write(dir, m, tok);
        var (x, _) = TorchOracle.RandomBatch(V, B, T, 3);
        return (m, dir, x);
    }

    private static float[] Logits(TransformerLm m, int[] x)
    {
        m.Forward(x, [], B);
        return m.Logits.ToArray();
    }

    private static TransformerLm Load(string dir) => ModelFolder.Load(dir, B, T, Gemm.Create("managed", 1), 1);

    public static TheoryData<ModelFlavour, bool?, double?> Flavours => new()
    {
        { ModelFlavour.Gpt2, null, null }, { ModelFlavour.NeoX, null, null }, { ModelFlavour.NeoX, false, 500.0 },
    };

    [Theory]
    [MemberData(nameof(Flavours))]
    public void RoundTrip_GivesIdenticalLogits_WithAndWithoutOurOwnConfig(ModelFlavour f, bool? parallel, double? theta)
    {
        var (m, dir, x) = Saved(Config(f, parallel, theta));
        var want = Logits(m, x);
        Assert.Equal(want, Logits(Load(dir), x));
        // The Hugging Face config.json alone describes the same model.
        File.Delete(Path.Combine(dir, ModelFolder.OwnConfig));
        Assert.Equal(want, Logits(Load(dir), x));
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal(f == ModelFlavour.Gpt2 ? "gpt2" : "gpt_neox", (string?)cfg["model_type"]);
        Assert.Equal(f == ModelFlavour.Gpt2 ? "GPT2LMHeadModel" : "GPTNeoXForCausalLM", (string?)cfg["architectures"]![0]);
        var names = SafeTensors.ReadHeader(Path.Combine(dir, "model.safetensors")).Tensors.Keys;
        if (f == ModelFlavour.NeoX)
            Assert.All(names, n => Assert.True(n == "embed_out.weight" || n.StartsWith("gpt_neox.", StringComparison.Ordinal), n));
    }

    [Fact]
    public void Checkpoint_CarriesTheTokenizer_AsGpt2Files()
    {
        var tok = BpeTrainer.Train(["the cat sat on the mat", "the dog sat"], 270);
        var (_, dir, _) = Saved(Config(ModelFlavour.Gpt2) with { VocabSize = V }, null);
        HfTokenizerFiles.Write(dir, tok, 16);
        Assert.True(File.Exists(Path.Combine(dir, "vocab.json")) && File.Exists(Path.Combine(dir, "merges.txt")));
        var back = HfTokenizerFiles.Read(dir)!;
        Assert.Equal(tok.Encode("the cat sat on the dog's mat"), back.Encode("the cat sat on the dog's mat"));
        Assert.Equal(tok.VocabSize, back.VocabSize);
    }

    [Fact]
    public void OlderCheckpoints_WithOurConfigJson_AndUnprefixedNeoXNames_StillLoad()
    {
        var (m, dir, x) = Saved(Config(ModelFlavour.NeoX));
        File.Delete(Path.Combine(dir, ModelFolder.OwnConfig));
        File.WriteAllText(Path.Combine(dir, "config.json"), m.Config.ToJson());
        SafeTensors.Write(Path.Combine(dir, "model.safetensors"),
            m.Params.Select(p => (p.Name, p.Shape, (ReadOnlyMemory<float>)m.Parameters.AsMemory(p.Offset, p.Length))));
        Assert.Equal(Logits(m, x), Logits(Load(dir), x));
    }

    [Fact]
    public void HfBuffers_AndTiedLmHead_AreAccepted()
    {
        var (m, dir, x) = Saved(Config(ModelFlavour.Gpt2));
        var t = SafeTensors.Read(Path.Combine(dir, "model.safetensors"));
        var list = t.Select(kv => ("transformer." + kv.Key, kv.Value.Shape, (ReadOnlyMemory<float>)kv.Value.Data)).ToList();
        list.Add(("transformer.h.0.attn.bias", [1, 1, 4, 4], new float[16]));
        list.Add(("transformer.h.1.attn.masked_bias", [], new float[1]));
        list.Add(("lm_head.weight", t["wte.weight"].Shape, t["wte.weight"].Data));
        SafeTensors.Write(Path.Combine(dir, "model.safetensors"), list);
        Assert.Equal(Logits(m, x), Logits(Load(dir), x));
    }

    private static UserError Refused(string dir)
    {
        var e = Assert.Throws<UserError>(() => Load(dir));
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    private static void EditConfig(string dir, Action<JsonObject> edit)
    {
        File.Delete(Path.Combine(dir, ModelFolder.OwnConfig));
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
        edit(cfg);
        File.WriteAllText(Path.Combine(dir, "config.json"), cfg.ToJsonString());
    }

    private static void RewriteWeights(string dir, Func<List<(string Name, int[] Shape, ReadOnlyMemory<float> Data)>, List<(string, int[], ReadOnlyMemory<float>)>> edit)
    {
        var t = SafeTensors.Read(Path.Combine(dir, "model.safetensors"));
        var list = t.Select(kv => (kv.Key, kv.Value.Shape, (ReadOnlyMemory<float>)kv.Value.Data)).ToList();
        SafeTensors.Write(Path.Combine(dir, "model.safetensors"), edit(list));
    }

    [Fact]
    public void BadFolders_AreOneLineErrors()
    {
        var (_, dir, _) = Saved(Config(ModelFlavour.Gpt2));
        EditConfig(dir, c => c["model_type"] = "llama");
        Assert.Contains("unknown architecture", Refused(dir).Message);

        (_, dir, _) = Saved(Config(ModelFlavour.Gpt2));
        EditConfig(dir, c => c["activation_function"] = "relu");
        Assert.Contains("activation_function", Refused(dir).Message);

        (_, dir, _) = Saved(Config(ModelFlavour.NeoX));
        RewriteWeights(dir, l => l.Where(t => t.Name != "gpt_neox.layers.1.mlp.dense_4h_to_h.bias").ToList<(string, int[], ReadOnlyMemory<float>)>());
        Assert.Contains("lacks tensor 'gpt_neox.layers.1.mlp.dense_4h_to_h.bias'", Refused(dir).Message);

        (_, dir, _) = Saved(Config(ModelFlavour.Gpt2));
        RewriteWeights(dir, l => l.Select(t => t.Name == "h.0.attn.c_proj.weight" ? (t.Name, new[] { 16, 64 }, t.Data) : (t.Name, t.Shape, t.Data)).ToList());
        Assert.Contains("has shape [16,64]", Refused(dir).Message);

        (_, dir, _) = Saved(Config(ModelFlavour.Gpt2));
        RewriteWeights(dir, l => [.. l, ("h.0.attn.extra", [2], new float[2])]);
        Assert.Contains("h.0.attn.extra", Refused(dir).Message);

        // A config implying an enormous model is refused before anything of its size is allocated.
        (_, dir, _) = Saved(Config(ModelFlavour.Gpt2));
        EditConfig(dir, c => { c["n_embd"] = 1 << 20; c["n_layer"] = 4096; c["n_head"] = 1; });
        Refused(dir);

        (_, dir, _) = Saved(Config(ModelFlavour.Gpt2));
        File.Move(Path.Combine(dir, "model.safetensors"), Path.Combine(dir, "pytorch_model.bin"));
        var pickle = Refused(dir).Message;
        Assert.Contains("pytorch_model.bin", pickle);
        Assert.Contains("save_pretrained", pickle);

        // Oversize headers: longer than the file, and over the 100 MB limit in a (sparse) file long enough to hold it.
        (_, dir, _) = Saved(Config(ModelFlavour.Gpt2));
        string st = Path.Combine(dir, "model.safetensors");
        using (var fs = new FileStream(st, FileMode.Open)) fs.Write(BitConverter.GetBytes(1UL << 40));
        Assert.Contains("larger than the rest of the file", Refused(dir).Message);
        using (var fs = new FileStream(st, FileMode.Open))
        {
            fs.Write(BitConverter.GetBytes(150_000_000UL));
            fs.SetLength(200_000_000);
        }
        Assert.Contains("exceeds the 100000000-byte limit", Refused(dir).Message);
    }

    private static string Shard(string dir, Func<Dictionary<string, string>, Dictionary<string, string>>? editMap = null)
    {
        var t = SafeTensors.Read(Path.Combine(dir, "model.safetensors"));
        File.Delete(Path.Combine(dir, "model.safetensors"));
        var names = t.Keys.ToList();
        var map = new Dictionary<string, string>();
        for (int s = 0; s < 2; s++)
        {
            string file = $"model-0000{s + 1}-of-00002.safetensors";
            var part = names.Where((_, i) => i % 2 == s).ToList();
            SafeTensors.Write(Path.Combine(dir, file), part.Select(n => (n, t[n].Shape, (ReadOnlyMemory<float>)t[n].Data)));
            foreach (var n in part) map[n] = file;
        }
        map = editMap?.Invoke(map) ?? map;
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"),
            JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
        return dir;
    }

    [Fact]
    public void ShardedFolders_Load_AndIndexMismatches_AreOneLineErrors()
    {
        var (m, dir, x) = Saved(Config(ModelFlavour.NeoX));
        Assert.Equal(Logits(m, x), Logits(Load(Shard(dir)), x));

        (_, dir, _) = Saved(Config(ModelFlavour.NeoX));
        Shard(dir, map => { map["gpt_neox.embed_in.weight"] = map["gpt_neox.embed_in.weight"] == "model-00001-of-00002.safetensors" ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors"; return map; });
        Assert.Contains("disagree", Refused(dir).Message);

        (_, dir, _) = Saved(Config(ModelFlavour.NeoX));
        Shard(dir, map => { map.Remove("embed_out.weight"); return map; });
        Assert.Contains("does not list", Refused(dir).Message);

        (_, dir, _) = Saved(Config(ModelFlavour.NeoX));
        Shard(dir, map => { map["gpt_neox.embed_in.weight"] = "model-00009-of-00009.safetensors"; return map; });
        Assert.Contains("missing", Refused(dir).Message);

        (_, dir, _) = Saved(Config(ModelFlavour.NeoX));
        Shard(dir, map => { map["gpt_neox.embed_in.weight"] = "../elsewhere.safetensors"; return map; });
        Assert.Contains("not a file name", Refused(dir).Message);
    }

    [Fact]
    public void BadLlmcFiles_AreOneLineErrors_BeforeAllocating()
    {
        string dir = Directory.CreateTempSubdirectory("sl-llmc").FullName;
        string f = Path.Combine(dir, "bad.bin");
        var h = new int[256];
        void Write(params (int I, int V)[] fields)
        {
            Array.Clear(h);
            h[0] = 20240326; h[1] = 3; h[2] = 8; h[3] = 10; h[4] = 1; h[5] = 2; h[6] = 8; h[7] = 16;
            foreach (var (i, v) in fields) h[i] = v;
            File.WriteAllBytes(f, [.. System.Runtime.InteropServices.MemoryMarshal.AsBytes(h.AsSpan()), .. new byte[4096]]);
        }
        foreach (var (fields, what) in new (int, int)[][] { [(0, 7)], [(1, 4)], [(6, 1 << 30), (4, int.MaxValue)], [(7, 4)], [] }
                     .Zip(["magic", "version", "implies", "Vp ≥ V", "implies"]))
        {
            Write(fields);
            var e = Assert.Throws<UserError>(() => LlmcCheckpoint.ReadHeader(f));
            Assert.Contains(what, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void EvalVerb_ScoresFolders_AndRefusesPickles()
    {
        var (m, dir, _) = Saved(Config(ModelFlavour.NeoX));
        var stream = Enumerable.Range(0, 4 * T + 1).Select(i => (i * 7) % V).ToArray();
        string ids = Path.Combine(dir, "ids.bin");
        File.WriteAllBytes(ids, System.Runtime.InteropServices.MemoryMarshal.AsBytes(stream.AsSpan()).ToArray());
        var (code, stdout, err) = CliRunner.Run("eval", "--checkpoint", dir, "--tokens", ids, "--seq", $"{T}", "--batch", "2", "--json");
        Assert.True(code == 0, err);
        double got = JsonDocument.Parse(stdout).RootElement.GetProperty("loss").GetDouble();
        var x = stream[..(2 * T)];
        var y = stream[1..(2 * T + 1)];
        double want = (m.Forward(x, y, B) + m.Forward(stream[(2 * T)..(4 * T)], stream[(2 * T + 1)..], B)) / 2.0;
        Assert.Equal(want, got, 6);

        File.Move(Path.Combine(dir, "model.safetensors"), Path.Combine(dir, "pytorch_model.bin"));
        (code, _, err) = CliRunner.Run("eval", "--checkpoint", dir, "--tokens", ids, "--seq", $"{T}");
        Assert.NotEqual(0, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("pytorch_model.bin", err);
    }

    [Fact]
    public void SampleAndEvalText_UseTheFoldersOwnTokenizer()
    {
        var tok = BpeTrainer.Train(["the cat sat on the mat", "the dog sat on the log"], 270);
        var config = Config(ModelFlavour.Gpt2) with { VocabSize = tok.VocabSize };
        var m = TorchOracle.RandomModel(config, 1, 16, 5);
        string dir = Directory.CreateTempSubdirectory("sl-hfs").FullName;
        ModelFolder.Write(dir, m, tok);
        var (code, stdout, err) = CliRunner.Run("sample", "--checkpoint", dir, "--prompt", "the cat", "--tokens", "5", "--temperature", "0", "--json");
        Assert.True(code == 0, err);
        var ids = JsonDocument.Parse(stdout).RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(5, ids.Length);
        // Greedy: each id is the argmax of our own forward on the growing sequence.
        var seq = tok.Encode("the cat").ToList();
        int window = seq.Count + 5;
        var greedy = new TransformerLm(config, 1, window, Gemm.Create("managed", 1), 1);
        m.Parameters.CopyTo(greedy.Parameters, 0);
        foreach (int id in ids)
        {
            var input = new int[window];
            seq.CopyTo(input);
            greedy.Forward(input, [], 1);
            var row = greedy.Logits.Slice((seq.Count - 1) * config.VocabSize, config.VocabSize);
            int best = 0;
            for (int v = 1; v < row.Length; v++) if (row[v] > row[best]) best = v;
            Assert.Equal(best, id);
            seq.Add(id);
        }
        string text = Path.Combine(dir, "t.txt");
        File.WriteAllText(text, "the dog sat on the mat and the cat sat on the log");
        (code, stdout, err) = CliRunner.Run("eval", "--checkpoint", dir, "--text", text, "--seq", "4", "--json");
        Assert.True(code == 0, err);
        Assert.True(JsonDocument.Parse(stdout).RootElement.GetProperty("windows").GetInt32() >= 1);
    }

    [LlmcFact]
    public void EvalVerb_ReproducesLlmcsLoss_FromItsCheckpointFile()
    {
        string d = OutsideData.Shared("llmc-gpt2")!;
        var ints = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(File.ReadAllBytes(Path.Combine(d, "batch.bin"))).ToArray();
        // The batch is one stream of 65 tokens: inputs (2 × 32), then the last target.
        int[] stream = [.. ints[..64], ints[^1]];
        string ids = Path.Combine(Directory.CreateTempSubdirectory("sl-llmc").FullName, "s.bin");
        File.WriteAllBytes(ids, System.Runtime.InteropServices.MemoryMarshal.AsBytes(stream.AsSpan()).ToArray());
        var (code, stdout, err) = CliRunner.Run("eval", "--llmc", Path.Combine(d, "gpt2_tiny.bin"), "--tokens", ids, "--seq", "32", "--batch", "2", "--json");
        Assert.True(code == 0, err);
        double loss = JsonDocument.Parse(stdout).RootElement.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(loss - 5.80150747) <= 1e-5 * 5.8, $"eval --llmc loss {loss:R} vs llm.c's 5.80150747");
    }
}
