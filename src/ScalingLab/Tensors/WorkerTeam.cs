using System.Runtime.ExceptionServices;

namespace ScalingLab.Tensors;

/// <summary>
/// A fixed team of threads for the non-GEMM work of a training step. <see cref="Run"/> calls a job once per
/// worker index (0 on the calling thread) and returns when all are done; a job splits its items by
/// <see cref="Share"/>, a fixed partition, so each output is written by a known worker and results do not
/// depend on scheduling. Dedicated threads rather than Parallel.For: no allocation per call, and steady speed
/// with two workers (see design.md). With one thread there are no extra threads at all.
/// </summary>
public sealed class WorkerTeam
{
    /// <summary>The state the worker threads share; separate from the team so an unreferenced team can be finalised.</summary>
    private sealed class Crew
    {
        public readonly SemaphoreSlim[] Go;
        public readonly CountdownEvent Done;
        public Action<int>? Job;
        public Exception? Error;
        public volatile bool Stop;

        public Crew(int threads)
        {
            Go = new SemaphoreSlim[threads];
            for (int i = 0; i < threads; i++) Go[i] = new SemaphoreSlim(0);
            Done = new CountdownEvent(1);
        }

        public void Loop(object? index)
        {
            int w = (int)index!;
            while (true)
            {
                Go[w].Wait();
                if (Stop) return;
                try { Job!(w); }
                catch (Exception e) { Interlocked.CompareExchange(ref Error, e, null); }
                finally { Done.Signal(); }
            }
        }
    }

    private readonly Crew _crew;

    /// <summary>Number of workers, including the calling thread.</summary>
    public int Threads { get; }

    /// <summary>A team of <paramref name="threads"/> workers (≥ 1).</summary>
    public WorkerTeam(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), "threads must be ≥ 1");
        Threads = threads;
        _crew = new Crew(threads);
        for (int i = 1; i < threads; i++)
            new Thread(_crew.Loop) { IsBackground = true, Name = $"scalinglab-worker-{i}" }.Start(i);
    }

    /// <summary>Stops the worker threads when the team is no longer referenced.</summary>
    ~WorkerTeam()
    {
        _crew.Stop = true;
        for (int i = 1; i < Threads; i++) _crew.Go[i].Release();
    }

    /// <summary>
    /// Below this many elements of work a job runs every worker's share on the calling thread, one after the other:
    /// waking a sleeping worker (tens of µs) costs more than such a job. The shares and their outputs are the same,
    /// so the bits are too.
    /// </summary>
    public const long SerialBelow = 1 << 15;

    /// <summary>
    /// Runs <paramref name="job"/>(w) for every worker w in 0..Threads−1 and waits for all; with
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

    /// <summary>Runs <paramref name="job"/>(w) for every worker w in 0..Threads−1 and waits for all.</summary>
    public void Run(Action<int> job)
    {
        if (Threads == 1) { job(0); return; }
        var c = _crew;
        c.Job = job;
        c.Error = null;
        c.Done.Reset(Threads - 1);
        for (int i = 1; i < Threads; i++) c.Go[i].Release();
        try { job(0); }
        catch (Exception e) { Interlocked.CompareExchange(ref c.Error, e, null); }
        c.Done.Wait();
        c.Job = null;
        if (c.Error is { } err) ExceptionDispatchInfo.Capture(err).Throw();
    }

    /// <summary>Worker <paramref name="index"/>'s share [Start, End) of <paramref name="n"/> items split into <paramref name="parts"/> contiguous runs.</summary>
    public static (int Start, int End) Share(int n, int parts, int index) =>
        ((int)((long)n * index / parts), (int)((long)n * (index + 1) / parts));
}
