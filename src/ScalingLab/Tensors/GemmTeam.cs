namespace ScalingLab.Tensors;

/// <summary>
/// A fixed team of threads for one <see cref="ManagedGemm"/>: the caller is member 0, and size−1 dedicated
/// worker threads wait for work (a dedicated worker was steadier here than Parallel.For over two items,
/// which sometimes ran at one-thread speed). The job hands out its work through queues, so a worker that
/// the OS wakes late joins whatever is left, and one that wakes after the caller has finished everything
/// stays out: the caller never waits for a thread that has not started. Run allocates nothing.
/// </summary>
internal sealed class GemmTeam
{
    private const int Closed = 1 << 30; // in _state: no worker may join; the low bits count workers inside

    private readonly Action<int> _job;
    private readonly SemaphoreSlim[] _go;
    private int _state = Closed;
    private Exception? _error;

    /// <summary>Threads in the team, the caller included.</summary>
    public int Size { get; }

    /// <summary>Starts size−1 background workers that run <paramref name="job"/>(member) on each <see cref="Run"/>.</summary>
    public GemmTeam(int size, Action<int> job)
    {
        Size = size;
        _job = job;
        _go = new SemaphoreSlim[size];
        for (int t = 1; t < size; t++)
        {
            _go[t] = new SemaphoreSlim(0);
            int member = t;
            var thread = new Thread(() => WorkerLoop(member)) { IsBackground = true, Name = $"gemm-worker-{t}" };
            thread.Start();
        }
    }

    /// <summary>
    /// Runs the job on the caller (member 0) and on every worker that wakes in time; returns when the
    /// job is done everywhere it started. The job must claim its work, so that any subset of members finishes it.
    /// </summary>
    public void Run()
    {
        Volatile.Write(ref _state, 0);
        for (int t = 1; t < Size; t++)
        {
            if (_go[t].CurrentCount == 0) _go[t].Release();
        }
        _job(0);
        int s;
        do s = Volatile.Read(ref _state);
        while (Interlocked.CompareExchange(ref _state, s | Closed, s) != s);
        // Workers inside finish within microseconds of the caller: spin and yield, never sleep.
        var spin = new SpinWait();
        while ((Volatile.Read(ref _state) & ~Closed) != 0) spin.SpinOnce(sleep1Threshold: -1);
        if (_error is { } e)
        {
            _error = null;
            throw new InvalidOperationException("gemm worker failed", e);
        }
    }

    private void WorkerLoop(int member)
    {
        while (true)
        {
            _go[member].Wait();
            if (!TryEnter()) continue; // woke after the call was over
            try { _job(member); }
            catch (Exception e) { _error = e; }
            Interlocked.Decrement(ref _state);
        }
    }

    private bool TryEnter()
    {
        while (true)
        {
            int s = Volatile.Read(ref _state);
            if ((s & Closed) != 0) return false;
            if (Interlocked.CompareExchange(ref _state, s + 1, s) == s) return true;
        }
    }
}
