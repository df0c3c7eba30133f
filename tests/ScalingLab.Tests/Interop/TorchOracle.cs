using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using ScalingLab.Model;
using ScalingLab.Tensors;
using ScalingLab.Training;

namespace ScalingLab.Tests.Interop;

/// <summary>
/// Runs tests/oracles/torch_lm.py under Debian's python3-torch (installed by scripts/setup.sh) and hands over
/// folders: a model folder written by <see cref="ModelFolder.Write"/> plus batch.bin/batch.json.
/// </summary>
internal static class TorchOracle
{
    public const string Python = "/usr/bin/python3";
    public static string Script => Path.Combine(OutsideData.RepoRoot, "tests", "oracles", "torch_lm.py");

    public static void Run(params string[] args)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["OMP_NUM_THREADS"] = "1";
        Process p;
        try { p = Process.Start(psi)!; }
        catch (Exception e) { throw new InvalidOperationException($"cannot start {Python} ({e.Message}); run scripts/setup.sh (installs python3-torch)"); }
        var err = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(300_000)) { p.Kill(); throw new TimeoutException("torch oracle ran over 5 minutes"); }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"torch oracle failed ({p.ExitCode}); scripts/setup.sh installs python3-torch: {err.Result} {stdout.Result}");
    }

    /// <summary>A model of <paramref name="config"/> with every parameter random (biases and LayerNorms too).</summary>
    public static TransformerLm RandomModel(ModelConfig config, int batch, int seq, ulong seed)
    {
        var m = new TransformerLm(config, batch, seq, Gemm.Create("managed", 1), 1);
        var rng = new Rng(seed);
        for (int i = 0; i < m.Params.Count; i++)
        {
            var p = m.Params[i];
            var span = m.Parameters.AsSpan(p.Offset, p.Length);
            bool norm = p.Name.Contains("ln_") || p.Name.Contains("layernorm") || p.Name.Contains("layer_norm");
            bool gamma = norm && p.Name.EndsWith(".weight", StringComparison.Ordinal);
            rng.Fork((ulong)i).FillNormal(span, gamma ? 1f : 0f, p.Shape.Length == 2 ? 0.08f : 0.1f);
        }
        return m;
    }

    /// <summary>Writes batch.bin (int32 inputs then targets) and batch.json into <paramref name="dir"/>.</summary>
    public static void WriteBatch(string dir, int[] inputs, int[] targets, int batch, int seq)
    {
        File.WriteAllBytes(Path.Combine(dir, "batch.bin"), [.. MemoryMarshal.AsBytes(inputs.AsSpan()), .. MemoryMarshal.AsBytes(targets.AsSpan())]);
        File.WriteAllText(Path.Combine(dir, "batch.json"), JsonSerializer.Serialize(new { batch, seq }));
    }

    /// <summary>Random token ids in [0, vocab) and next-token targets.</summary>
    public static (int[] Inputs, int[] Targets) RandomBatch(int vocab, int batch, int seq, ulong seed)
    {
        var rng = new Random((int)seed);
        var stream = Enumerable.Range(0, batch * seq + 1).Select(_ => rng.Next(vocab)).ToArray();
        return (stream[..(batch * seq)], stream[1..]);
    }

    /// <summary>max|a − b| / max|b| over two equal-length spans.</summary>
    public static double RelMax(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double diff = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs((double)a[i] - b[i]));
            scale = Math.Max(scale, Math.Abs((double)b[i]));
        }
        return scale == 0 ? diff : diff / scale;
    }
}
