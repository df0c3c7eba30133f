using System.Runtime.InteropServices;

namespace ScalingLab.Tensors;

/// <summary>
/// SGEMM through OpenBLAS's cblas_sgemm (Debian's libopenblas0-pthread, loaded at run time with
/// NativeLibrary.TryLoad("libopenblas.so.0"); nothing is linked at build time). OpenBLAS's thread count is
/// process-wide, so each call sets it when it differs from the last one, under one lock that also
/// serialises calls (OpenBLAS threads every call itself).
/// <para>
/// Its worker threads busy-wait (sched_yield) for 2^28 cycles after each call by default, tens of milliseconds in
/// which they take the cores from the model's own worker threads (LayerNorm, attention, cross-entropy run between the
/// GEMMs) and from the managed GEMM: on 2 cores the managed GEMM ran at half speed right after an OpenBLAS call.
/// So before the library loads, OPENBLAS_THREAD_TIMEOUT is set to <see cref="ThreadTimeoutLog2"/> unless the user
/// set it (it is read once, at load time).
/// </para>
/// </summary>
public sealed unsafe class OpenBlasGemm : IGemm
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private static readonly object s_lock = new();
    private static readonly bool s_loaded;
    private static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> s_sgemm;
    private static readonly delegate* unmanaged<int, void> s_setThreads;
    private static int s_threadsSet = -1;
    private static readonly string? s_coreName;

    /// <summary>
    /// log₂ of the cycles OpenBLAS's threads spin after a call before they sleep (OpenBLAS's default: 28): 2^18 cycles,
    /// tens of µs, keeps them awake between back-to-back calls but not through the work between GEMMs.
    /// </summary>
    public const int ThreadTimeoutLog2 = 18;

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);

    static OpenBlasGemm()
    {
        // The native environment, which OpenBLAS reads when it loads (Environment.SetEnvironmentVariable does not reach it).
        try { SetEnv("OPENBLAS_THREAD_TIMEOUT", ThreadTimeoutLog2.ToString(System.Globalization.CultureInfo.InvariantCulture), 0); }
        catch (DllNotFoundException) { }
        catch (EntryPointNotFoundException) { }
        if (!NativeLibrary.TryLoad("libopenblas.so.0", out nint lib)) return;
        if (!NativeLibrary.TryGetExport(lib, "cblas_sgemm", out nint sgemm)) return;
        if (!NativeLibrary.TryGetExport(lib, "openblas_set_num_threads", out nint setThreads)) return;
        s_sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
        s_setThreads = (delegate* unmanaged<int, void>)setThreads;
        s_loaded = true;
        if (NativeLibrary.TryGetExport(lib, "openblas_get_corename", out nint coreName))
            s_coreName = Marshal.PtrToStringAnsi(((delegate* unmanaged<nint>)coreName)());
    }

    /// <summary>
    /// The kernel family OpenBLAS chose at load time (openblas_get_corename: "Haswell", "SkylakeX", "Cooperlake", …;
    /// OPENBLAS_CORETYPE overrides it), or null when the library is absent or does not say.
    /// </summary>
    public static string? CoreName => s_coreName;

    /// <summary>True when libopenblas.so.0 loaded and exports cblas_sgemm.</summary>
    public static bool Available() => s_loaded;

    /// <summary>OpenBLAS on <paramref name="threads"/> threads. Throws when the library is absent (check <see cref="Available"/>).</summary>
    public OpenBlasGemm(int threads = 1)
    {
        if (!s_loaded) throw new InvalidOperationException("libopenblas.so.0 is not available (install libopenblas0-pthread)");
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), "threads must be ≥ 1");
        Threads = threads;
    }

    /// <inheritdoc />
    public string Name => "openblas";

    /// <summary>Threads OpenBLAS uses for this instance's calls.</summary>
    public int Threads { get; }

    /// <inheritdoc />
    public void Sgemm(bool transA, bool transB, int m, int n, int k,
                      float alpha, ReadOnlySpan<float> a, int lda,
                      ReadOnlySpan<float> b, int ldb,
                      float beta, Span<float> c, int ldc)
    {
        GemmArgs.Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            lock (s_lock)
            {
                if (Threads > 1) WorkerTeam.StandDown();
                if (s_threadsSet != Threads)
                {
                    s_setThreads(Threads);
                    s_threadsSet = Threads;
                }
                s_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k,
                        alpha, pa, lda, pb, ldb, beta, pc, ldc);
            }
        }
    }
}
