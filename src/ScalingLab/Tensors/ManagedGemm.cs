using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static ScalingLab.Tensors.ManagedGemmKernels;
using static ScalingLab.Tensors.ManagedGemmPacking;

namespace ScalingLab.Tensors;

/// <summary>
/// SGEMM in managed code, the Goto/BLIS way: for each NC-wide column block of C and each KC-deep slice of k,
/// op(B) is packed once into NR-wide panels shared by the team; threads claim blocks of rows in turn,
/// pack each MC×KC block of op(A) into 6-row panels and run the register-blocked micro-kernel
/// (<see cref="ManagedGemmKernels"/>: 6×64 on Vector512, 6×16 on Vector256) over every tile.
/// Tiles that cross the border of C are computed whole (the packing zero-pads) into a scratch tile and
/// copied out by a scalar edge path.
/// <para>Determinism: every element of C is summed in the same order (KC slices in turn, k ascending
/// within the kernel) whatever the thread count, so results are bit-identical across thread counts.</para>
/// <para>Threads: the process's <see cref="WorkerTeam.Shared"/> team for this thread count, the one the model's other
/// work runs on, so the GEMM's worker is awake from the job before. Calls are safe from several threads at once: the
/// team serves one call at a time, and a call that finds this GEMM busy (or is too small to be worth splitting) runs on
/// its own thread with per-thread buffers; one that finds the team busy runs every share on its own thread.
/// Buffers are laid out once; a call allocates nothing.</para>
/// </summary>
public sealed unsafe class ManagedGemm : IGemm
{
    /// <summary>
    /// Depth of a k slice: a 6×KC A panel (12 KB) stays in L1 and a KC×64 B panel (128 KB) in L2 while a tile is computed.
    /// 512 rather than 256 halves the C tile loads and stores and the k-slice barriers: `bench gemm` measured 106–110
    /// GFLOP/s on every shape at one thread (101–109 with 256) and 203–212 at two (152–212) on a Zen 4.
    /// </summary>
    public const int KC = 512;

    /// <summary>Rows of op(A) packed at once (a multiple of 6): the MC×KC block lives in L2.</summary>
    public const int MC = 192;

    /// <summary>Columns of op(B) packed at once (a multiple of 64): the KC×NC block lives in L3, shared.</summary>
    public const int NC = 3072;

    /// <summary>Below this many multiply-adds (m·n·k) a call runs on one thread: waking the team costs more.</summary>
    public const long ParallelThreshold = 1L << 21;

    /// <summary>
    /// Small problems (m·n·k up to this, or at most <see cref="DirectMaxRows"/> rows) skip packing A, and B too
    /// when it is not transposed: for them packing costs more than the strided reads it saves.
    /// </summary>
    public const long DirectThreshold = 1L << 24;

    /// <summary>Up to this many rows of C, A is read in place (each packed A block would serve too few columns).</summary>
    public const int DirectMaxRows = 96;

    private readonly int _nr;
    private readonly WorkerTeam? _team;
    private readonly Action<int>? _work;
    private readonly Workspace[] _spaces = [];
    private readonly PinnedFloats? _sharedB;
    private readonly WorkQueue _aQueue = new(), _bQueue = new();
    private Problem _problem;
    private int _busy;

    [ThreadStatic] private static Workspace? t_space;

    /// <summary>A managed GEMM on <paramref name="threads"/> threads (the caller and threads−1 workers).</summary>
    public ManagedGemm(int threads = 1) : this(threads, Vector512.IsHardwareAccelerated) { }

    /// <summary>Chooses the micro-kernel explicitly (tests exercise the Vector256 kernel on AVX-512 machines).</summary>
    internal ManagedGemm(int threads, bool useVector512)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), "threads must be ≥ 1");
        Threads = threads;
        UsesVector512 = useVector512;
        _nr = useVector512 ? 64 : 16;
        if (threads > 1)
        {
            _spaces = new Workspace[threads];
            for (int t = 0; t < threads; t++) _spaces[t] = new Workspace(_nr, MC * KC);
            _sharedB = new PinnedFloats(NC * KC);
            _team = WorkerTeam.Shared(threads);
            _work = Work;
        }
    }

    /// <inheritdoc />
    public string Name => "managed";

    /// <summary>False sends every call through the packed path (tests compare the two paths).</summary>
    internal bool AllowDirect { get; init; } = true;

    /// <summary>Threads one large call is split over.</summary>
    public int Threads { get; }

    /// <summary>True when the 6×64 Vector512 kernel runs (else the 6×16 Vector256 one).</summary>
    public bool UsesVector512 { get; }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Sgemm(bool transA, bool transB, int m, int n, int k,
                      float alpha, ReadOnlySpan<float> a, int lda,
                      ReadOnlySpan<float> b, int ldb,
                      float beta, Span<float> c, int ldc)
    {
        GemmArgs.Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (k == 0 || alpha == 0f)
            {
                ScaleC(pc, m, n, ldc, beta);
                return;
            }
            bool direct = UsesVector512 && AllowDirect && ((long)m * n * k <= DirectThreshold || m <= DirectMaxRows);
            bool byColumns = !direct && m <= ColumnSplitMaxRows && n >= ColumnSplitMinCols;
            bool byRows = !direct && !byColumns && !transA && UsesVector512 && AllowDirect && n <= DirectRowsMaxCols;
            var problem = new Problem(transA, transB, m, n, k, alpha, beta, pa, lda, pb, ldb, pc, ldc, direct, byColumns, byRows);
            int units = byRows ? (m + RowChunk - 1) / RowChunk : direct || byColumns ? (n + _nr - 1) / _nr : (m + MR - 1) / MR; // what the threads divide
            bool split = _team is not null && (long)m * n * k >= ParallelThreshold && units >= Threads;
            if (split && Interlocked.CompareExchange(ref _busy, 1, 0) == 0)
            {
                try
                {
                    _problem = problem;
                    _aQueue.Reset();
                    _bQueue.Reset();
                    _team!.Run(_work!);
                }
                finally
                {
                    _problem = default;
                    Volatile.Write(ref _busy, 0);
                }
                return;
            }
            var ws = t_space ??= new Workspace(_nr, MC * KC);
            if (ws.Nr != _nr) ws = t_space = new Workspace(_nr, MC * KC);
            ComputeAlone(problem, ws);
        }
    }

    /// <summary>One thread computes the whole of <paramref name="pr"/> with its own workspace (queues, B buffer).</summary>
    private void ComputeAlone(in Problem pr, Workspace ws)
    {
        if (pr.ByRows)
        {
            ComputeDirectRows(pr, ws, null);
            return;
        }
        ws.AQueue.Reset();
        ws.BQueue.Reset();
        if (pr.Direct)
        {
            ComputeDirect(pr, ws, ws.AQueue);
            return;
        }
        int ncMax = Math.Min(NC, (pr.N + _nr - 1) / _nr * _nr);
        Compute(pr, ws, ws.EnsureB(ncMax * SliceDepth(pr.K)), ws.BQueue, ws.AQueue, 1);
    }

    private void Work(int member)
    {
        if (_problem.ByRows) ComputeDirectRows(_problem, _spaces[member], _aQueue);
        else if (_problem.Direct) ComputeDirect(_problem, _spaces[member], _aQueue);
        else if (_problem.ByColumns) ComputeColumns(_problem, _spaces[member], _aQueue);
        else Compute(_problem, _spaces[member], _sharedB!.Ptr, _bQueue, _aQueue, Threads);
    }

    /// <summary>
    /// Up to this many rows (with at least <see cref="ColumnSplitMinCols"/> columns) threads divide the columns instead of
    /// the rows: with few rows the row blocks are thin, each shared B panel serves few rows, and every k slice ends in a
    /// barrier. Measured in one process against the row split on the 124M model's step (256 rows): 2–4% faster; at 512
    /// (`bench gemm`'s 512³) no better, at 1,024 rows no different, at 2,048 slower (hence 256).
    /// </summary>
    internal int ColumnSplitMaxRows { get; init; } = 256;

    /// <summary>Fewest columns for the column split.</summary>
    internal int ColumnSplitMinCols { get; init; } = 512;

    /// <summary>
    /// The column-split path: threads claim chunks of whole 64-wide panels and run the one-thread packed path on each
    /// (their own B panel and A blocks, no barrier per k slice). Each element is computed as in <see cref="Compute"/>.
    /// </summary>
    private void ComputeColumns(in Problem pr, Workspace ws, WorkQueue chunkQueue)
    {
        int panels = (pr.N + _nr - 1) / _nr;
        int perChunk = Math.Max(2, (panels + 4 * Threads - 1) / (4 * Threads));
        int chunks = (panels + perChunk - 1) / perChunk;
        for (int q; (q = chunkQueue.Claim(chunks)) >= 0;)
        {
            int j0 = q * perChunk * _nr, w = Math.Min(perChunk * _nr, pr.N - j0);
            ComputeAlone(new Problem(pr.TransA, pr.TransB, pr.M, w, pr.K, pr.Alpha, pr.Beta, pr.A, (int)pr.Lda,
                                     pr.TransB ? pr.B + j0 * pr.Ldb : pr.B + j0, (int)pr.Ldb, pr.C + j0, (int)pr.Ldc, false, false), ws);
        }
    }

    /// <summary>
    /// Up to this many columns (two 64-wide panels), a call with rows past <see cref="ColumnSplitMaxRows"/> and an
    /// untransposed A reads A in place, its threads dividing the rows (0: off): packing A costs as much as the few
    /// panels it would serve save. Measured in one process on the 2x128 and 3x64 steps' calls (same bits): 7–11% less
    /// GEMM time at one and two threads, up to 1.3× on single calls; a transposed A (strided columns) was slower, and
    /// 256 columns was mixed (the 4x256 LM head's dX 13% slower).
    /// </summary>
    internal int DirectRowsMaxCols { get; init; } = 128;

    /// <summary>Rows per chunk of the direct row split (a multiple of 6): 96 rows of a 512-deep slice are 192 KB, in L2.</summary>
    private const int RowChunk = 96;

    /// <summary>
    /// The direct path split by rows (A untransposed): threads claim chunks of <see cref="RowChunk"/> rows (one thread
    /// takes them in turn when <paramref name="chunkQueue"/> is null) and run the one-thread direct path on each (every
    /// panel of those rows, A read in place once per panel while it sits in L2). Each element is computed as in
    /// <see cref="ComputeDirect"/>.
    /// </summary>
    private void ComputeDirectRows(in Problem pr, Workspace ws, WorkQueue? chunkQueue)
    {
        int chunks = (pr.M + RowChunk - 1) / RowChunk;
        for (int q = -1; (q = chunkQueue?.Claim(chunks) ?? (q + 1 < chunks ? q + 1 : -1)) >= 0;)
        {
            int r0 = q * RowChunk, rows = Math.Min(RowChunk, pr.M - r0);
            ComputeAlone(new Problem(pr.TransA, pr.TransB, rows, pr.N, pr.K, pr.Alpha, pr.Beta, pr.A + r0 * pr.Lda,
                                     (int)pr.Lda, pr.B, (int)pr.Ldb, pr.C + r0 * pr.Ldc, (int)pr.Ldc, true, false), ws);
        }
    }

    /// <summary>Depth of the k slices: k split into ⌈k/KC⌉ equal slices (no thin last slice).</summary>
    private static int SliceDepth(int k)
    {
        int slices = (k + KC - 1) / KC;
        return (k + slices - 1) / slices;
    }

    /// <summary>
    /// The packed path. Work is handed out through two queues rather than fixed ranges, so a thread the OS
    /// preempts (the machine is shared) does not hold the others up: per k slice, threads claim B panels
    /// to pack, wait until all are packed, then claim blocks of rows (pack A, run the tiles), and wait until
    /// all are done before the next slice overwrites the shared B. Which thread computes a tile never
    /// changes how it is computed, so the bits do not depend on scheduling.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Compute(in Problem pr, Workspace ws, float* bpack, WorkQueue bQueue, WorkQueue aQueue, int size)
    {
        int nr = _nr;
        // Row blocks: at most MC rows, and at least four blocks per thread for balance (a multiple of 6).
        int rowsPerBlock = Math.Clamp((pr.M + 4 * size - 1) / (4 * size), MR, MC);
        rowsPerBlock = (rowsPerBlock + MR - 1) / MR * MR;
        int blocks = (pr.M + rowsPerBlock - 1) / rowsPerBlock;
        int kcStep = SliceDepth(pr.K);
        int bBase = 0, aBase = 0;
        for (int jc = 0; jc < pr.N; jc += NC)
        {
            int nc = Math.Min(NC, pr.N - jc);
            int panels = (nc + nr - 1) / nr;
            for (int p0 = 0; p0 < pr.K; p0 += kcStep)
            {
                int kc = Math.Min(kcStep, pr.K - p0);
                int mode = p0 > 0 ? Accumulate : pr.Beta == 0f ? Overwrite : pr.Beta == 1f ? Accumulate : General;
                for (int q; (q = bQueue.Claim(bBase + panels)) >= 0; bQueue.MarkDone())
                {
                    PackB(pr.TransB, pr.B, pr.Ldb, p0, kc, jc, nc, nr, q - bBase, q - bBase + 1, bpack);
                }
                bBase += panels;
                bQueue.WaitDone(bBase);
                for (int x; (x = aQueue.Claim(aBase + blocks)) >= 0; aQueue.MarkDone())
                {
                    int ic = (x - aBase) * rowsPerBlock;
                    int mc = Math.Min(rowsPerBlock, pr.M - ic);
                    PackA(pr.TransA, pr.A, pr.Lda, ic, mc, p0, kc, ws.A);
                    MacroKernel(ws, bpack, mc, nc, kc, pr.C + (nint)ic * pr.Ldc + jc, pr.Ldc, pr.Alpha, pr.Beta, mode);
                }
                aBase += blocks;
                aQueue.WaitDone(aBase);
            }
        }
    }

    /// <summary>
    /// The small-problem path (Vector512 only): A is read in place; B too, except a transposed B or a partial
    /// last panel, which are packed one panel at a time into this thread's buffer. Threads divide the
    /// 64-wide column panels, so nothing is shared and no barrier is needed. The k slices and the kernel's
    /// arithmetic are those of <see cref="Compute"/>: both paths give the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ComputeDirect(in Problem pr, Workspace ws, WorkQueue panelQueue)
    {
        const int nr = 64;
        int panels = (pr.N + nr - 1) / nr;
        int kcStep = SliceDepth(pr.K);
        float* bbuf = ws.EnsureB(nr * kcStep);
        nint ks = pr.TransA ? pr.Lda : 1;
        // A claimed panel is done whole (all k slices, in order) by one thread: slices accumulate into C.
        for (int q; (q = panelQueue.Claim(panels)) >= 0;)
        {
            int jr = q * nr, cols = Math.Min(nr, pr.N - jr);
            int width = cols <= 32 ? 32 : nr; // a narrow panel runs the 6×32 kernel
            for (int p0 = 0; p0 < pr.K; p0 += kcStep)
            {
                int kc = Math.Min(kcStep, pr.K - p0);
                int mode = p0 > 0 ? Accumulate : pr.Beta == 0f ? Overwrite : pr.Beta == 1f ? Accumulate : General;
                float* bp;
                nint ldbp;
                if (!pr.TransB && cols == width)
                {
                    bp = pr.B + p0 * pr.Ldb + jr;
                    ldbp = pr.Ldb;
                }
                else
                {
                    PackB(pr.TransB, pr.B, pr.Ldb, p0, kc, jr, cols, width, 0, 1, bbuf);
                    bp = bbuf;
                    ldbp = width;
                }
                for (int ir = 0; ir < pr.M; ir += MR)
                {
                    int rows = Math.Min(MR, pr.M - ir);
                    // Row r of op(A) from column p0; rows past the border repeat row ir (their results are dropped).
                    float* a0 = pr.TransA ? pr.A + p0 * pr.Lda + ir : pr.A + ir * pr.Lda + p0;
                    nint rs = pr.TransA ? 1 : pr.Lda;
                    float* a1 = rows > 1 ? a0 + rs : a0, a2 = rows > 2 ? a0 + 2 * rs : a0, a3 = rows > 3 ? a0 + 3 * rs : a0,
                           a4 = rows > 4 ? a0 + 4 * rs : a0, a5 = rows > 5 ? a0 + 5 * rs : a0;
                    bool whole = rows == MR && cols == width;
                    float* ct = whole ? pr.C + ir * pr.Ldc + jr : ws.Tile;
                    nint ldct = whole ? pr.Ldc : width;
                    float beta = whole ? pr.Beta : 0f;
                    int tileMode = whole ? mode : Overwrite;
                    if (width == 32) Kernel6x32Strided(kc, a0, a1, a2, a3, a4, a5, ks, bp, ldbp, ct, ldct, pr.Alpha, beta, tileMode);
                    else Kernel6x64Strided(kc, a0, a1, a2, a3, a4, a5, ks, bp, ldbp, ct, ldct, pr.Alpha, beta, tileMode);
                    if (!whole) StoreTile(ws.Tile, width, rows, cols, pr.C + ir * pr.Ldc + jr, pr.Ldc, pr.Beta, mode);
                }
            }
        }
    }

    /// <summary>All tiles of one packed MC×KC block of A against one packed KC×NC block of B.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MacroKernel(Workspace ws, float* bpack, int mc, int nc, int kc, float* c, nint ldc,
                             float alpha, float beta, int mode)
    {
        int nr = _nr;
        bool wide = UsesVector512;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* bp = bpack + (nint)jr * kc;
            for (int ir = 0; ir < mc; ir += MR)
            {
                int rows = Math.Min(MR, mc - ir);
                float* ap = ws.A + (nint)ir * kc;
                float* ct = c + ir * ldc + jr;
                if (rows == MR && cols == nr)
                {
                    if (wide) Kernel6x64(kc, ap, bp, ct, ldc, alpha, beta, mode);
                    else Kernel6x16(kc, ap, bp, ct, ldc, alpha, beta, mode);
                }
                else
                {
                    if (wide) Kernel6x64(kc, ap, bp, ws.Tile, nr, alpha, 0f, Overwrite);
                    else Kernel6x16(kc, ap, bp, ws.Tile, nr, alpha, 0f, Overwrite);
                    StoreTile(ws.Tile, nr, rows, cols, ct, ldc, beta, mode);
                }
            }
        }
    }

    /// <summary>C = β·C, the whole answer when k = 0 or α = 0 (β = 0 clears, ignoring NaN in C).</summary>
    private static void ScaleC(float* c, int m, int n, nint ldc, float beta)
    {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + i * ldc, n);
            if (beta == 0f) row.Clear();
            else System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    /// <summary>One call's arguments, as pointers (valid while the call's fixed block is live).</summary>
    private readonly struct Problem(bool transA, bool transB, int m, int n, int k, float alpha, float beta,
                                    float* a, int lda, float* b, int ldb, float* c, int ldc, bool direct, bool byColumns,
                                    bool byRows = false)
    {
        public readonly bool Direct = direct, ByColumns = byColumns, ByRows = byRows;
        public readonly bool TransA = transA, TransB = transB;
        public readonly int M = m, N = n, K = k;
        public readonly float Alpha = alpha, Beta = beta;
        public readonly float* A = a, B = b, C = c;
        public readonly nint Lda = lda, Ldb = ldb, Ldc = ldc;
    }

    /// <summary>One thread's packing buffers: an MC×KC block of A, a scratch tile, and (alone) its own B.</summary>
    private sealed class Workspace(int nr, int aFloats)
    {
        private readonly PinnedFloats _a = new(aFloats);
        private readonly PinnedFloats _tile = new(MR * nr);
        private PinnedFloats? _b;

        public int Nr { get; } = nr;
        public WorkQueue AQueue { get; } = new();
        public WorkQueue BQueue { get; } = new();
        public float* A => _a.Ptr;
        public float* Tile => _tile.Ptr;

        /// <summary>A private B buffer of at least <paramref name="floats"/>, grown (never shrunk) on demand.</summary>
        public float* EnsureB(int floats)
        {
            if (_b is null || _b.Length < floats) _b = new PinnedFloats(Math.Max(floats, (_b?.Length ?? 0) * 2));
            return _b.Ptr;
        }
    }

    /// <summary>
    /// Hands out work items 0, 1, 2, … to whichever thread asks first, up to a limit, and counts the ones
    /// finished. Counts only grow during a call (limits are cumulative), so it needs no reset between slices.
    /// </summary>
    private sealed class WorkQueue
    {
        private int _claimed;
        private int _done;

        public void Reset()
        {
            _claimed = 0;
            _done = 0;
        }

        /// <summary>The next item below <paramref name="limit"/>, or −1 when all are taken.</summary>
        public int Claim(int limit)
        {
            while (true)
            {
                int v = Volatile.Read(ref _claimed);
                if (v >= limit) return -1;
                if (Interlocked.CompareExchange(ref _claimed, v + 1, v) == v) return v;
            }
        }

        public void MarkDone() => Interlocked.Increment(ref _done);

        /// <summary>Spins (yielding, never sleeping) until <paramref name="target"/> items are done.</summary>
        public void WaitDone(int target)
        {
            var spin = new SpinWait();
            while (Volatile.Read(ref _done) < target) spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>A float buffer on the pinned heap, its start aligned to 64 bytes (a cache line, a zmm load).</summary>
    private sealed class PinnedFloats
    {
        private readonly float[] _array;

        public PinnedFloats(int length)
        {
            Length = length;
            _array = GC.AllocateUninitializedArray<float>(length + 16, pinned: true);
            var p = (float*)Unsafe.AsPointer(ref _array[0]);
            Ptr = (float*)(((nint)p + 63) & ~(nint)63);
        }

        public int Length { get; }
        public float* Ptr { get; }
    }
}
