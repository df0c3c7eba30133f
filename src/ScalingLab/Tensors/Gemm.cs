using System.Collections.Concurrent;
using System.Diagnostics;
using ScalingLab.Common;

namespace ScalingLab.Tensors;

/// <summary>
/// Chooses a GEMM: "managed" (<see cref="ManagedGemm"/>), "openblas" (<see cref="OpenBlasGemm"/>), "reference"
/// (<see cref="ReferenceGemm"/>, the slow float64 oracle), or "auto": whichever of managed and OpenBLAS a
/// quick self-check measured faster at this thread count (managed unless OpenBLAS is faster by more than 15%;
/// cached per process, so name a backend where bits must match across machines). The environment variable
/// SCALINGLAB_GEMM overrides "auto". Instances are shared per (backend, threads): they are safe to call
/// from several threads, and their worker threads live as long as the process.
/// </summary>
public static class Gemm
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static readonly string[] Backends = ["auto", "managed", "openblas", "reference"];

    private static readonly ConcurrentDictionary<(string, int), IGemm> s_cache = new();
    private static readonly ConcurrentDictionary<int, string> s_autoChoice = new();

    /// <summary>
    /// A GEMM for <paramref name="backend"/> on <paramref name="threads"/> threads (0 = all processors).
    /// Throws <see cref="UserError"/> for an unknown name, or for "openblas" when the library is absent.
    /// </summary>
    public static IGemm Create(string backend = "auto", int threads = 0)
    {
        if (threads < 0) throw new UserError($"gemm: threads must be ≥ 0 (0 = all processors), got {threads}");
        if (threads == 0) threads = Environment.ProcessorCount;
        string name = Resolve(backend, Environment.GetEnvironmentVariable("SCALINGLAB_GEMM"));
        if (name == "auto") name = s_autoChoice.GetOrAdd(threads, SelfCheck);
        if (name == "openblas" && !OpenBlasGemm.Available())
            throw new UserError("GEMM backend 'openblas' needs libopenblas.so.0; install Debian's libopenblas0-pthread (scripts/setup.sh) or use --gemm managed");
        return s_cache.GetOrAdd((name, threads), key => key.Item1 switch
        {
            "managed" => new ManagedGemm(key.Item2),
            "openblas" => new OpenBlasGemm(key.Item2),
            _ => new ReferenceGemm(),
        });
    }

    /// <summary>
    /// The GEMM for a training step at <paramref name="precision"/> ("fp32" or "bf16", already resolved by
    /// <see cref="Precision.Resolve"/>): <see cref="Create"/>(backend, threads) for fp32, <see cref="Bf16Gemm.Create"/> for bf16.
    /// </summary>
    public static IGemm ForPrecision(string backend, int threads, string precision) =>
        Precision.Resolve(precision) == "bf16" ? Bf16Gemm.Create(threads) : Create(backend, threads);

    /// <summary>
    /// The backend name a request resolves to before "auto" is measured: <paramref name="env"/> (the value of
    /// SCALINGLAB_GEMM) replaces "auto" when set. Throws <see cref="UserError"/> for a name that is not a backend.
    /// </summary>
    internal static string Resolve(string? backend, string? env)
    {
        string name = (backend ?? "auto").Trim().ToLowerInvariant();
        if (!Backends.Contains(name))
            throw new UserError($"unknown GEMM backend '{backend}'; use one of {string.Join(", ", Backends)}");
        if (name == "auto" && !string.IsNullOrWhiteSpace(env))
        {
            name = env.Trim().ToLowerInvariant();
            if (!Backends.Contains(name))
                throw new UserError($"SCALINGLAB_GEMM='{env}' is not a GEMM backend; use one of {string.Join(", ", Backends)} or unset it");
        }
        return name;
    }

    /// <summary>
    /// The startup self-check behind "auto": times managed and OpenBLAS on one mid-sized shape (a few ms
    /// each, best of three) and returns the faster one's name; "managed" when OpenBLAS is absent.
    /// </summary>
    private static string SelfCheck(int threads)
    {
        if (!OpenBlasGemm.Available()) return "managed";
        const int m = 384, k = 256, n = 384;
        var rng = new Rng(12345);
        var a = new float[m * k]; var b = new float[k * n]; var c = new float[m * n];
        rng.FillUniform(a, -1, 1); rng.FillUniform(b, -1, 1);
        double Best(IGemm g)
        {
            double best = double.MaxValue;
            for (int r = 0; r < 4; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                g.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
                double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                if (r > 0) best = Math.Min(best, s); // the first call warms up (JIT, thread start)
            }
            return best;
        }
        double managed = Best(Create("managed", threads));
        double openblas = Best(Create("openblas", threads));
        // Managed unless OpenBLAS is clearly faster: its bits do not depend on the thread count, and a
        // near tie should not flip between runs on timing noise.
        return openblas * 1.15 < managed ? "openblas" : "managed";
    }
}
