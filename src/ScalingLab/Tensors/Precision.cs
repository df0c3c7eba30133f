using System.Collections.Concurrent;
using ScalingLab.Common;

namespace ScalingLab.Tensors;

/// <summary>
/// Arithmetic of the training step's matrix multiplies. "fp32": float32 throughout. "bf16": mixed precision — the
/// layer and LM-head products (forward, dX and dW) take bf16-rounded inputs and accumulate and write float32
/// (<see cref="Bf16Gemm"/>); master weights, gradients, AdamW state, LayerNorm, softmax, attention and the loss stay
/// float32. "auto": bf16 only where the CPU has AMX tiles and oneDNN is installed (issue 15's rule: it measured oneDNN's
/// bf16 at half the float32 speed on a CPU without AMX; but on an AMD Zen 4 with AVX512-BF16, bench train measured the
/// bf16 step faster than the fp32 one, so there name bf16 explicitly).
/// </summary>
public static class Precision
{
    /// <summary>The names <see cref="Resolve"/> accepts.</summary>
    public static readonly string[] Names = ["auto", "fp32", "bf16"];

    /// <summary>True when /proc/cpuinfo lists amx_bf16 (Intel Sapphire Rapids and later).</summary>
    public static bool CpuHasAmx { get; } = CpuFlag("amx_bf16");

    /// <summary>True when /proc/cpuinfo lists avx512_bf16 (bf16 dot products in AVX-512).</summary>
    public static bool CpuHasAvx512Bf16 { get; } = CpuFlag("avx512_bf16");

    /// <summary>
    /// "fp32" or "bf16" for <paramref name="name"/> (auto: bf16 where <see cref="CpuHasAmx"/> and oneDNN is present).
    /// <paramref name="setting"/> names the option in errors (--precision, train.precision).
    /// </summary>
    public static string Resolve(string? name, string setting = "--precision")
    {
        string p = (name ?? "auto").Trim().ToLowerInvariant();
        return p switch
        {
            "fp32" or "bf16" => p,
            "auto" => CpuHasAmx && OneDnnBf16Gemm.Available() ? "bf16" : "fp32",
            _ => throw new UserError($"{setting} '{name}' is not a precision; use fp32, bf16 or auto"),
        };
    }

    /// <summary>One line on what this machine offers: AMX, AVX512-BF16, oneDNN, and what auto picks.</summary>
    public static string Describe() =>
        $"CPU: AMX {(CpuHasAmx ? "yes" : "no")}, AVX512-BF16 {(CpuHasAvx512Bf16 ? "yes" : "no")}; " +
        $"oneDNN (libdnnl.so.2) {(OneDnnBf16Gemm.Available() ? "present" : "absent: bf16 runs emulated")}; " +
        $"--precision auto picks {Resolve("auto")}" + (CpuHasAmx ? "" : " (no AMX; bench train measures what bf16 gives here)");

    private static bool CpuFlag(string flag)
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return false;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("flags", StringComparison.Ordinal))
                    return line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(flag);
        }
        catch (IOException) { }
        return false;
    }
}

/// <summary>
/// The bf16 GEMM of <see cref="Precision"/> "bf16": <see cref="OneDnnBf16Gemm"/> where oneDNN is installed, else an
/// emulation with the same arithmetic contract (inputs rounded to bf16, products exact in float32, float32
/// accumulation) on the managed float32 GEMM — correct everywhere, fast only through oneDNN.
/// </summary>
public sealed class Bf16Gemm : IGemm
{
    private static readonly ConcurrentDictionary<(int, bool), IGemm> s_cache = new();
    private readonly IGemm _fp32;
    private float[] _a = [], _b = [];
    private readonly object _lock = new();

    /// <summary>The shared bf16 GEMM for <paramref name="threads"/> threads: oneDNN's unless <paramref name="emulate"/> or absent.</summary>
    public static IGemm Create(int threads, bool emulate = false)
    {
        if (threads <= 0) threads = Environment.ProcessorCount;
        bool native = !emulate && OneDnnBf16Gemm.Available();
        return s_cache.GetOrAdd((threads, native), key => key.Item2 ? new OneDnnBf16Gemm(key.Item1) : new Bf16Gemm(key.Item1));
    }

    private Bf16Gemm(int threads) => _fp32 = Gemm.Create("managed", threads);

    /// <inheritdoc />
    public string Name => "bf16-emulated";

    /// <inheritdoc />
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
                      ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        GemmArgs.Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        lock (_lock)
        {
            int aLen = m == 0 || n == 0 || k == 0 ? 0 : (transA ? k - 1 : m - 1) * lda + (transA ? m : k);
            int bLen = m == 0 || n == 0 || k == 0 ? 0 : (transB ? n - 1 : k - 1) * ldb + (transB ? k : n);
            if (_a.Length < aLen) _a = new float[aLen];
            if (_b.Length < bLen) _b = new float[bLen];
            for (int i = 0; i < aLen; i++) _a[i] = Bf16.Round(a[i]);
            for (int i = 0; i < bLen; i++) _b[i] = Bf16.Round(b[i]);
            _fp32.Sgemm(transA, transB, m, n, k, alpha, _a.AsSpan(0, aLen), lda, _b.AsSpan(0, bLen), ldb, beta, c, ldc);
        }
    }
}
