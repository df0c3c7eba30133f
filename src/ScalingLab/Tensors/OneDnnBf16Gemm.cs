using System.Runtime.InteropServices;

namespace ScalingLab.Tensors;

/// <summary>
/// A bf16 GEMM through oneDNN's matmul primitive (Debian's libdnnl2, oneDNN 2.x, loaded at run time with
/// NativeLibrary.TryLoad("libdnnl.so.2") and called through its C API; nothing is linked at build time):
/// op(A) and op(B) are rounded to bf16 (<see cref="Bf16.Convert"/>, ties to even) into buffers of this object, and
/// oneDNN multiplies them with float32 accumulation into the float32 C (α through output scales, β through a sum
/// post-op). oneDNN picks its kernel for the CPU: AMX tiles where the CPU has them, AVX512-BF16 dot products, or
/// its reference code. One primitive is built per call shape and kept (training repeats the same shapes), so a call
/// allocates nothing after the first of its shape. Calls are serialised; oneDNN's OpenMP threads do the work, their
/// number set before each call (one below ManagedGemm.ParallelThreshold multiply-adds); OMP_WAIT_POLICY defaults to
/// PASSIVE so that idle OpenMP threads sleep instead of spinning against the other thread pools. For a fixed thread count the result is deterministic (oneDNN's matmul splits work
/// statically and does not reduce across threads in a run-dependent order).
/// </summary>
public sealed unsafe class OneDnnBf16Gemm : IGemm
{
    private const int F32 = 3, Bf16Type = 2, EngineCpu = 1, StreamInOrder = 1;
    private const int ArgSrc = 1, ArgWeights = 33, ArgDst = 17, QueryImplInfo = 8;
    private const int DescBytes = 4096, OpDescBytes = 16384;

    private static readonly bool s_loaded;
    private static readonly nint s_engine, s_stream;
    private static readonly delegate* unmanaged<byte*, int, long*, int, long*, int> s_mdInitByStrides;
    private static readonly delegate* unmanaged<byte*, byte*, byte*, byte*, byte*, int> s_matmulDescInit;
    private static readonly delegate* unmanaged<nint*, byte*, nint, nint, nint, int> s_pdCreate;
    private static readonly delegate* unmanaged<nint, int, int, void*, int> s_pdQuery;
    private static readonly delegate* unmanaged<nint*, nint, int> s_primCreate;
    private static readonly delegate* unmanaged<nint*, byte*, nint, void*, int> s_memCreate;
    private static readonly delegate* unmanaged<nint, void*, int> s_memSetHandle;
    private static readonly delegate* unmanaged<nint, nint, int, ExecArg*, int> s_execute;
    private static readonly delegate* unmanaged<nint, int> s_streamWait;
    private static readonly delegate* unmanaged<nint*, int> s_attrCreate;
    private static readonly delegate* unmanaged<nint, long, int, float*, int> s_attrSetScales;
    private static readonly delegate* unmanaged<nint*, int> s_postOpsCreate;
    private static readonly delegate* unmanaged<nint, float, int> s_postOpsAppendSum;
    private static readonly delegate* unmanaged<nint, nint, int> s_attrSetPostOps;
    private static readonly delegate* unmanaged<int, void> s_ompSetThreads;
    private static readonly delegate* unmanaged<int> s_effectiveIsa;

    [StructLayout(LayoutKind.Sequential)]
    private struct ExecArg
    {
        public int Arg;
        public nint Memory;
    }

    static OneDnnBf16Gemm()
    {
        try
        {
            // OpenMP threads that spin after each call would fight the managed GEMM's and the kernels' threads for the
            // same cores: make them sleep (read once, when libgomp loads; a value set by the user wins).
            if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null) SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0);
            if (!NativeLibrary.TryLoad("libdnnl.so.2", out nint lib) || !NativeLibrary.TryLoad("libgomp.so.1", out nint gomp)) return;
            nint F(nint l, string name) => NativeLibrary.GetExport(l, name);
            s_mdInitByStrides = (delegate* unmanaged<byte*, int, long*, int, long*, int>)F(lib, "dnnl_memory_desc_init_by_strides");
            s_matmulDescInit = (delegate* unmanaged<byte*, byte*, byte*, byte*, byte*, int>)F(lib, "dnnl_matmul_desc_init");
            s_pdCreate = (delegate* unmanaged<nint*, byte*, nint, nint, nint, int>)F(lib, "dnnl_primitive_desc_create");
            s_pdQuery = (delegate* unmanaged<nint, int, int, void*, int>)F(lib, "dnnl_primitive_desc_query");
            s_primCreate = (delegate* unmanaged<nint*, nint, int>)F(lib, "dnnl_primitive_create");
            s_memCreate = (delegate* unmanaged<nint*, byte*, nint, void*, int>)F(lib, "dnnl_memory_create");
            s_memSetHandle = (delegate* unmanaged<nint, void*, int>)F(lib, "dnnl_memory_set_data_handle");
            s_execute = (delegate* unmanaged<nint, nint, int, ExecArg*, int>)F(lib, "dnnl_primitive_execute");
            s_streamWait = (delegate* unmanaged<nint, int>)F(lib, "dnnl_stream_wait");
            s_attrCreate = (delegate* unmanaged<nint*, int>)F(lib, "dnnl_primitive_attr_create");
            s_attrSetScales = (delegate* unmanaged<nint, long, int, float*, int>)F(lib, "dnnl_primitive_attr_set_output_scales");
            s_postOpsCreate = (delegate* unmanaged<nint*, int>)F(lib, "dnnl_post_ops_create");
            s_postOpsAppendSum = (delegate* unmanaged<nint, float, int>)F(lib, "dnnl_post_ops_append_sum");
            s_attrSetPostOps = (delegate* unmanaged<nint, nint, int>)F(lib, "dnnl_primitive_attr_set_post_ops");
            s_effectiveIsa = (delegate* unmanaged<int>)F(lib, "dnnl_get_effective_cpu_isa");
            s_ompSetThreads = (delegate* unmanaged<int, void>)F(gomp, "omp_set_num_threads");
            nint engine, stream;
            if (((delegate* unmanaged<nint*, int, nuint, int>)F(lib, "dnnl_engine_create"))(&engine, EngineCpu, 0) != 0) return;
            if (((delegate* unmanaged<nint*, nint, uint, int>)F(lib, "dnnl_stream_create"))(&stream, engine, StreamInOrder) != 0) return;
            s_engine = engine;
            s_stream = stream;
            s_loaded = true;
        }
        catch (EntryPointNotFoundException) { s_loaded = false; }
    }

    [DllImport("libc.so.6", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);

    /// <summary>True when libdnnl.so.2 (oneDNN 2.x C API) and libgomp loaded and a CPU engine was created.</summary>
    public static bool Available() => s_loaded;

    /// <summary>oneDNN's effective ISA (dnnl_cpu_isa_t: 0xe7 AVX512-BF16, 0x3e7 AMX, …), or null without the library.</summary>
    public static int? EffectiveIsa => s_loaded ? s_effectiveIsa() : null;

    private sealed class Primitive
    {
        public nint Prim, Src, Weights, Dst;
        public string Impl = "";
    }

    private readonly Dictionary<(bool, bool, int, int, int, int, float, float), Primitive> _cache = new();
    private readonly object _lock = new();
    private ushort[] _a = [], _b = [];

    /// <summary>oneDNN bf16 on <paramref name="threads"/> OpenMP threads. Throws when the library is absent (check <see cref="Available"/>).</summary>
    public OneDnnBf16Gemm(int threads)
    {
        if (!s_loaded) throw new InvalidOperationException("libdnnl.so.2 is not available (install Debian's libdnnl2: scripts/setup.sh)");
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), "threads must be ≥ 1");
        Threads = threads;
    }

    /// <inheritdoc />
    public string Name => "onednn-bf16";

    /// <summary>OpenMP threads per call.</summary>
    public int Threads { get; }

    /// <summary>oneDNN's name for the kernel of the last primitive built (e.g. "brg:avx512_core_amx_bf16", "gemm:jit").</summary>
    public string LastImplementation { get; private set; } = "";

    /// <inheritdoc />
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
                      ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        GemmArgs.Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f)
        {
            for (int i = 0; i < m; i++)
            {
                var row = c.Slice(i * ldc, n);
                if (beta == 0f) row.Clear();
                else if (beta != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
            }
            return;
        }
        lock (_lock)
        {
            int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
            if (_a.Length < (long)aRows * aCols) _a = GC.AllocateUninitializedArray<ushort>(aRows * aCols, pinned: true);
            if (_b.Length < (long)bRows * bCols) _b = GC.AllocateUninitializedArray<ushort>(bRows * bCols, pinned: true);
            var p = GetPrimitive(transA, transB, m, n, k, ldc, alpha, beta);
            fixed (float* pa = a, pb = b, pc = c)
            fixed (ushort* qa = _a, qb = _b)
            {
                ConvertRows(pa, lda, aRows, aCols, qa);
                ConvertRows(pb, ldb, bRows, bCols, qb);
                Check(s_memSetHandle(p.Src, qa), "memory_set_data_handle");
                Check(s_memSetHandle(p.Weights, qb), "memory_set_data_handle");
                Check(s_memSetHandle(p.Dst, pc), "memory_set_data_handle");
                var args = stackalloc ExecArg[3];
                args[0] = new ExecArg { Arg = ArgSrc, Memory = p.Src };
                args[1] = new ExecArg { Arg = ArgWeights, Memory = p.Weights };
                args[2] = new ExecArg { Arg = ArgDst, Memory = p.Dst };
                // Small products on one thread: waking the OpenMP team costs more than it saves (as in ManagedGemm).
                bool parallel = (long)m * n * k >= ManagedGemm.ParallelThreshold && Threads > 1;
                if (parallel) WorkerTeam.StandDown();
                s_ompSetThreads(parallel ? Threads : 1);
                Check(s_execute(p.Prim, s_stream, 3, args), "primitive_execute");
                Check(s_streamWait(s_stream), "stream_wait");
            }
        }
    }

    private static void ConvertRows(float* src, int ld, int rows, int cols, ushort* dst)
    {
        if (ld == cols) Bf16.Convert(src, dst, (long)rows * cols);
        else
            for (int r = 0; r < rows; r++) Bf16.Convert(src + (long)r * ld, dst + (long)r * cols, cols);
    }

    private Primitive GetPrimitive(bool transA, bool transB, int m, int n, int k, int ldc, float alpha, float beta)
    {
        var key = (transA, transB, m, n, k, ldc, alpha, beta);
        if (_cache.TryGetValue(key, out var p)) return p;
        byte* src = stackalloc byte[DescBytes], wei = stackalloc byte[DescBytes], dst = stackalloc byte[DescBytes];
        byte* op = stackalloc byte[OpDescBytes];
        new Span<byte>(src, DescBytes).Clear(); new Span<byte>(wei, DescBytes).Clear(); new Span<byte>(dst, DescBytes).Clear();
        new Span<byte>(op, OpDescBytes).Clear();
        long* dims = stackalloc long[12], strides = stackalloc long[12];
        // op(A) m×k from a compact bf16 copy of A as stored (k×m when transposed).
        dims[0] = m; dims[1] = k; strides[0] = transA ? 1 : k; strides[1] = transA ? m : 1;
        Check(s_mdInitByStrides(src, 2, dims, Bf16Type, strides), "memory_desc_init_by_strides (A)");
        dims[0] = k; dims[1] = n; strides[0] = transB ? 1 : n; strides[1] = transB ? k : 1;
        Check(s_mdInitByStrides(wei, 2, dims, Bf16Type, strides), "memory_desc_init_by_strides (B)");
        dims[0] = m; dims[1] = n; strides[0] = ldc; strides[1] = 1;
        Check(s_mdInitByStrides(dst, 2, dims, F32, strides), "memory_desc_init_by_strides (C)");
        Check(s_matmulDescInit(op, src, wei, null, dst), "matmul_desc_init");
        nint attr = 0;
        if (alpha != 1f || beta != 0f)
        {
            Check(s_attrCreate(&attr), "primitive_attr_create");
            if (alpha != 1f) Check(s_attrSetScales(attr, 1, 0, &alpha), "primitive_attr_set_output_scales");
            if (beta != 0f)
            {
                nint ops;
                Check(s_postOpsCreate(&ops), "post_ops_create");
                Check(s_postOpsAppendSum(ops, beta), "post_ops_append_sum");
                Check(s_attrSetPostOps(attr, ops), "primitive_attr_set_post_ops");
            }
        }
        nint pd, prim;
        Check(s_pdCreate(&pd, op, attr, s_engine, 0), "primitive_desc_create (bf16 matmul)");
        Check(s_primCreate(&prim, pd), "primitive_create");
        nint implStr = 0;
        string impl = s_pdQuery(pd, QueryImplInfo, 0, &implStr) == 0 && implStr != 0 ? Marshal.PtrToStringAnsi(implStr) ?? "" : "";
        p = new Primitive { Prim = prim, Impl = impl };
        nint ms, mw, md;
        Check(s_memCreate(&ms, src, s_engine, null), "memory_create");
        Check(s_memCreate(&mw, wei, s_engine, null), "memory_create");
        Check(s_memCreate(&md, dst, s_engine, null), "memory_create");
        p.Src = ms; p.Weights = mw; p.Dst = md;
        LastImplementation = impl;
        _cache[key] = p;
        return p;
    }

    private static void Check(int status, string what)
    {
        if (status != 0) throw new InvalidOperationException($"oneDNN {what} failed with status {status}");
    }
}
