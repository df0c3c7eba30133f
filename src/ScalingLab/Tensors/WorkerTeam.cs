using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace ScalingLab.Tensors;

/// <summary>
/// A fixed team of threads for a training step: the managed GEMM and the model's other work (LayerNorm, attention,
/// GELU, cross-entropy, the global norm, AdamW) run on the same threads, so one thread per core is ever busy.
/// <see cref="Run"/> calls a job once per share index 0..Threads−1 and returns when all are done; a job splits its
/// items by <see cref="Share"/>, a fixed partition, so each output is written by a known share and results do not
/// depend on scheduling. Share 0 runs on the calling thread, share w on worker w; a share whose worker has not
/// started it when the caller is done with its own runs on the caller instead (same share, same bits), so the caller
/// never waits for a thread the OS wakes late.
/// <para>
/// Wake-ups. After a job a worker spins (yielding to anything else runnable on its core) for <see cref="DefaultSpinTime"/>
/// before it blocks. On the 2-core VMs this was measured on, waking a blocked thread took 50–100 µs at the median and
/// over 1 ms one time in ten (the hypervisor halts an idle virtual CPU); a step issues hundreds of jobs and GEMMs
/// back to back, and a GEMM worker woken that late left the caller to do most of a 5 ms product alone.
/// </para>
/// <para>
/// <see cref="Shared"/> gives one team per thread count per process (the managed GEMM and the model take it from
/// there). A second caller arriving while a job is in flight (another model on another thread, or a job that calls
/// Run) runs every share itself, one after another: same shares, same bits. With one thread there are no extra
/// threads at all.
/// </para>
/// </summary>
public sealed class WorkerTeam
{
    /// <summary>How long a worker keeps looking for the next job before it blocks (2 ms).</summary>
    public static readonly TimeSpan DefaultSpinTime = TimeSpan.FromMilliseconds(2);

    private const int Open = 0, Taken = 1, Done = 2; // a share's state within one Run

    /// <summary>The state the worker threads share; separate from the team so an unreferenced team can be finalised.</summary>
    private sealed class Crew
    {
        public readonly SemaphoreSlim[] Wake;
        public readonly int[] Sleeping;   // 1 while worker w is (about to be) blocked on Wake[w]
        public readonly int[] Shares;     // Open / Taken (a worker runs it) / Done, per share of the job in flight
        public int Generation;            // bumped by every Run: the workers' signal that a job is there
        public Action<int>? Job;
        public Exception? Error;
        public volatile bool Stop;
        public long SpinTicks = (long)(DefaultSpinTime.TotalSeconds * Stopwatch.Frequency);

        public Crew(int threads)
        {
            Wake = new SemaphoreSlim[threads];
            for (int i = 0; i < threads; i++) Wake[i] = new SemaphoreSlim(0);
            Sleeping = new int[threads];
            Shares = new int[threads];
        }

        public void Loop(object? index)
        {
            int w = (int)index!, seen = 0;
            while (!Stop)
            {
                WaitForJob(w, seen);
                seen = Volatile.Read(ref Generation);
                if (Interlocked.CompareExchange(ref Shares[w], Taken, Open) != Open) continue; // the caller took it
                try { Job!(w); }
                catch (Exception e) { Interlocked.CompareExchange(ref Error, e, null); }
                Volatile.Write(ref Shares[w], Done);
            }
        }

        /// <summary>Spins until Generation moves past <paramref name="seen"/>, blocking after the spin time.</summary>
        private void WaitForJob(int w, int seen)
        {
            var spin = new SpinWait();
            long start = Stopwatch.GetTimestamp();
            int standDown = Volatile.Read(ref s_standDown);
            while (Volatile.Read(ref Generation) == seen && !Stop)
            {
                if (Stopwatch.GetTimestamp() - start < Volatile.Read(ref SpinTicks) && Volatile.Read(ref s_standDown) == standDown)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                    continue;
                }
                Interlocked.Exchange(ref Sleeping[w], 1);
                if (Volatile.Read(ref Generation) != seen || Stop)
                {
                    // A job came after all: if a Run already cleared the flag it also released us; take that release.
                    if (Interlocked.Exchange(ref Sleeping[w], 0) == 0) Wake[w].Wait();
                    return;
                }
                Wake[w].Wait(); // whoever clears Sleeping[w] releases Wake[w]
                spin = new SpinWait();
                start = Stopwatch.GetTimestamp();
                standDown = Volatile.Read(ref s_standDown);
            }
        }

        public void WakeAll()
        {
            for (int w = 1; w < Wake.Length; w++)
                if (Volatile.Read(ref Sleeping[w]) != 0 && Interlocked.Exchange(ref Sleeping[w], 0) == 1) Wake[w].Release();
        }
    }

    private static readonly Dictionary<int, WorkerTeam> s_shared = new();
    private static int s_standDown;

    /// <summary>
    /// Tells every team's spinning workers to block now: called before a library with threads of its own (OpenBLAS,
    /// oneDNN) runs a multi-threaded call, so the two thread pools do not share the cores. Measured before this existed:
    /// a 2x128 step through OpenBLAS ran 18% slower with our workers spinning beside its threads.
    /// </summary>
    public static void StandDown() => Interlocked.Increment(ref s_standDown);
    private readonly Crew _crew;
    private readonly bool _shared;
    private int _busy;

    /// <summary>How long this team's workers spin after a job before they block (tests and benches change it).</summary>
    internal TimeSpan SpinTime
    {
        get => TimeSpan.FromSeconds((double)Volatile.Read(ref _crew.SpinTicks) / Stopwatch.Frequency);
        set => Volatile.Write(ref _crew.SpinTicks, (long)(value.TotalSeconds * Stopwatch.Frequency));
    }

    /// <summary>Workers blocked (not spinning, not working) right now.</summary>
    internal int BlockedWorkers
    {
        get
        {
            int n = 0;
            for (int w = 1; w < Threads; w++) n += Volatile.Read(ref _crew.Sleeping[w]);
            return n;
        }
    }

    /// <summary>Number of shares per job (workers, the calling thread included).</summary>
    public int Threads { get; }

    /// <summary>A team of <paramref name="threads"/> workers (≥ 1) of its own; most callers want <see cref="Shared"/>.</summary>
    public WorkerTeam(int threads) : this(threads, shared: false) { }

    private WorkerTeam(int threads, bool shared)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), "threads must be ≥ 1");
        Threads = threads;
        _shared = shared;
        _crew = new Crew(threads);
        for (int i = 1; i < threads; i++)
            new Thread(_crew.Loop) { IsBackground = true, Name = $"scalinglab-worker-{i}" }.Start(i);
    }

    /// <summary>The process's team of <paramref name="threads"/> (created on first use; its threads live as long as the process).</summary>
    public static WorkerTeam Shared(int threads)
    {
        lock (s_shared)
        {
            if (!s_shared.TryGetValue(threads, out var team)) s_shared[threads] = team = new WorkerTeam(threads, shared: true);
            return team;
        }
    }

    /// <summary>Stops the worker threads when a team of its own is no longer referenced.</summary>
    ~WorkerTeam()
    {
        if (_shared) return;
        _crew.Stop = true;
        Interlocked.Increment(ref _crew.Generation);
        _crew.WakeAll();
    }

    /// <summary>
    /// Below this many elements of work a job runs every worker's share on the calling thread, one after the other:
    /// handing a share to a worker costs more than such a job. The shares and their outputs are the same, so the bits
    /// are too.
    /// </summary>
    public const long SerialBelow = 1 << 15;

    /// <summary>
    /// Runs <paramref name="job"/>(w) for every share w in 0..Threads−1 and waits for all; with
    /// <paramref name="work"/> (elements touched) below <see cref="SerialBelow"/>, all shares run on the calling thread.
    /// </summary>
    public void Run(Action<int> job, long work)
    {
        if (work >= SerialBelow || Threads == 1)
        {
            Run(job);
            return;
        }
        for (int w = 0; w < Threads; w++) job(w);
    }

    /// <summary>Runs <paramref name="job"/>(w) for every share w in 0..Threads−1 and waits for all.</summary>
    public void Run(Action<int> job)
    {
        if (Threads == 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int w = 0; w < Threads; w++) job(w); // one thread, or the team is busy: every share here, in order
            return;
        }
        var c = _crew;
        try
        {
            c.Job = job;
            c.Error = null;
            for (int w = 1; w < Threads; w++) Volatile.Write(ref c.Shares[w], Open);
            Interlocked.Increment(ref c.Generation);
            c.WakeAll();
            try { job(0); }
            catch (Exception e) { Interlocked.CompareExchange(ref c.Error, e, null); }
            for (int w = 1; w < Threads; w++)
            {
                if (Interlocked.CompareExchange(ref c.Shares[w], Done, Open) != Open) continue;
                try { job(w); } // its worker has not started it: run it here
                catch (Exception e) { Interlocked.CompareExchange(ref c.Error, e, null); }
            }
            var spin = new SpinWait();
            for (int w = 1; w < Threads; w++)
                while (Volatile.Read(ref c.Shares[w]) != Done) spin.SpinOnce(sleep1Threshold: -1);
            c.Job = null;
            if (c.Error is { } err) ExceptionDispatchInfo.Capture(err).Throw();
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Worker <paramref name="index"/>'s share [Start, End) of <paramref name="n"/> items split into <paramref name="parts"/> contiguous runs.</summary>
    public static (int Start, int End) Share(int n, int parts, int index) =>
        ((int)((long)n * index / parts), (int)((long)n * (index + 1) / parts));
}
