using System.Runtime.InteropServices;
using ScalingLab.Common;
using ScalingLab.Model;
using ScalingLab.Tensors;

namespace ScalingLab.Training;

/// <summary>
/// llm.c's GPT-2 checkpoint (karpathy/llm.c, train_gpt2.c, gpt2_build_from_checkpoint): a header of 256 int32
/// (magic 20240326, version 3 = float32 or 5 = bfloat16, maxT, V, L, NH, C, Vp), then 16 tensors back to back:
/// wte (Vp, C), wpe (maxT, C), ln1w/ln1b (L, C), qkvw (L, 3C, C), qkvb (L, 3C), attprojw (L, C, C), attprojb (L, C),
/// ln2w/ln2b (L, C), fcw (L, 4C, C), fcb (L, 4C), fcprojw (L, C, 4C), fcprojb (L, C), lnfw/lnfb (C).
/// llm.c keeps weight matrices as [out, in] (nn.Linear); our GPT-2 keeps Hugging Face's Conv1D [in, out], so the
/// four per-layer matrices are transposed. wte's padding rows V..Vp−1 take no part in llm.c's softmax or loss and
/// are dropped (the model has V rows). The header is checked against the file's length before anything is allocated.
/// </summary>
public static class LlmcCheckpoint
{
    /// <summary>The header fields.</summary>
    public sealed record Header(int Version, int MaxT, int V, int L, int NH, int C, int Vp)
    {
        /// <summary>Floats in the parameter block (padded vocabulary included).</summary>
        public long ParameterCount => (long)Vp * C + (long)MaxT * C + (long)L * (12L * C * C + 13L * C) + 2L * C;
    }

    private const int Magic = 20240326;

    /// <summary>Reads and checks the header of <paramref name="path"/>.</summary>
    public static Header ReadHeader(string path)
    {
        if (!File.Exists(path)) throw new UserError($"llm.c checkpoint {path} does not exist");
        long length = new FileInfo(path).Length;
        UserError Bad(string what) => new($"llm.c checkpoint {path}: {what}");
        if (length < 1024) throw Bad($"the file has {length} bytes, fewer than the 1024-byte header");
        var h = new int[256];
        using (var fs = File.OpenRead(path)) fs.ReadExactly(MemoryMarshal.AsBytes(h.AsSpan()));
        if (h[0] != Magic) throw Bad($"bad magic {h[0]} (expected {Magic}); is it a gpt2_*.bin model file written by llm.c?");
        if (h[1] is not (3 or 5)) throw Bad($"version {h[1]} is not 3 (float32) or 5 (bfloat16)");
        var hdr = new Header(h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
        if (hdr.MaxT < 1 || hdr.V < 2 || hdr.L < 1 || hdr.NH < 1 || hdr.C < 1 || hdr.Vp < hdr.V)
            throw Bad($"header sizes maxT {hdr.MaxT}, V {hdr.V}, L {hdr.L}, NH {hdr.NH}, C {hdr.C}, Vp {hdr.Vp} are not a GPT-2 (all ≥ 1, V ≥ 2, Vp ≥ V)");
        if (hdr.C % hdr.NH != 0) throw Bad($"C {hdr.C} is not a multiple of NH {hdr.NH}");
        long bytes = (length - 1024);
        int elem = hdr.Version == 3 ? 4 : 2;
        // Sizes in floating point first: int32 fields can imply counts beyond a long.
        double approx = ((double)hdr.Vp + hdr.MaxT + 2) * hdr.C + (double)hdr.L * (12.0 * hdr.C * hdr.C + 13.0 * hdr.C);
        if (approx * elem > bytes + 1.0 || hdr.ParameterCount * elem != bytes)
            throw Bad($"the header implies a {approx * elem:G6}-byte parameter block, the file holds {bytes} bytes after the header");
        if (hdr.ParameterCount > Array.MaxLength) throw Bad($"{hdr.ParameterCount} parameters are more than one array holds");
        return hdr;
    }

    /// <summary>Our GPT-2 config for an llm.c header (vocabulary V, without the padding).</summary>
    public static ModelConfig Config(Header h) => new ModelConfig
    {
        Flavour = ModelFlavour.Gpt2, NLayer = h.L, DModel = h.C, NHead = h.NH, DFf = 4 * h.C, NCtx = h.MaxT, VocabSize = h.V,
    }.Validate();

    /// <summary>A model with the weights of the llm.c checkpoint <paramref name="path"/>.</summary>
    public static TransformerLm Load(string path, int maxBatch, int seqLen, IGemm gemm, int threads = 1)
    {
        var h = ReadHeader(path);
        var model = new TransformerLm(Config(h), maxBatch, seqLen, gemm, threads);
        var block = ReadBlock(path, h);
        ToOurs(block, h, model.Params, model.Parameters);
        return model;
    }

    /// <summary>The parameter block of <paramref name="path"/> as float32 (bfloat16 widened).</summary>
    public static float[] ReadBlock(string path, Header h)
    {
        var block = new float[h.ParameterCount];
        using var fs = File.OpenRead(path);
        fs.Position = 1024;
        if (h.Version == 3) fs.ReadExactly(MemoryMarshal.AsBytes(block.AsSpan()));
        else
        {
            var bits = new ushort[block.Length];
            fs.ReadExactly(MemoryMarshal.AsBytes(bits.AsSpan()));
            for (int i = 0; i < bits.Length; i++) block[i] = SafeTensors.BFloat16ToSingle(bits[i]);
        }
        return block;
    }

    /// <summary>
    /// Copies an llm.c-layout block (parameters, or gradients laid out the same way) into our layout
    /// <paramref name="dst"/> of a GPT-2 model with views <paramref name="views"/>.
    /// </summary>
    public static void ToOurs(float[] src, Header h, IReadOnlyList<ParamView> views, float[] dst)
    {
        int C = h.C, L = h.L, V = h.V;
        var byName = views.ToDictionary(v => v.Name);
        long o = 0;
        ReadOnlySpan<float> Next(long count) { var s = src.AsSpan((int)o, (int)count); o += count; return s; }
        Span<float> To(string name) { var v = byName[name]; return dst.AsSpan(v.Offset, v.Length); }

        if (src.Length != h.ParameterCount) throw new ArgumentException($"llm.c block has {src.Length} floats, the header implies {h.ParameterCount}");
        Next((long)h.Vp * C)[..(V * C)].CopyTo(To("wte.weight"));
        Next((long)h.MaxT * C).CopyTo(To("wpe.weight"));
        // Per-layer tensors are stacked along L, layer 0 first; matrices transpose from [out, in] to [in, out].
        void Stacked(string suffix, int rows, int cols, bool transpose)
        {
            var all = Next((long)L * rows * cols);
            for (int l = 0; l < L; l++)
            {
                var s = all.Slice(l * rows * cols, rows * cols);
                var d = To($"h.{l}.{suffix}");
                if (!transpose) { s.CopyTo(d); continue; }
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < cols; c++) d[c * rows + r] = s[r * cols + c];
            }
        }
        Stacked("ln_1.weight", 1, C, false);
        Stacked("ln_1.bias", 1, C, false);
        Stacked("attn.c_attn.weight", 3 * C, C, true);
        Stacked("attn.c_attn.bias", 1, 3 * C, false);
        Stacked("attn.c_proj.weight", C, C, true);
        Stacked("attn.c_proj.bias", 1, C, false);
        Stacked("ln_2.weight", 1, C, false);
        Stacked("ln_2.bias", 1, C, false);
        Stacked("mlp.c_fc.weight", 4 * C, C, true);
        Stacked("mlp.c_fc.bias", 1, 4 * C, false);
        Stacked("mlp.c_proj.weight", C, 4 * C, true);
        Stacked("mlp.c_proj.bias", 1, C, false);
        Next(C).CopyTo(To("ln_f.weight"));
        Next(C).CopyTo(To("ln_f.bias"));
    }
}
