namespace ScalingLab.Tensors;

/// <summary>
/// A fixed team of threads for one <see cref="ManagedGemm"/>: the caller is member 0, and size−1 dedicated
/// worker threads wait for work. A dedicated worker was steadier here than Parallel.For over two items,
/// which sometimes ran at one-thread speed. Run and Sync allocate nothing.
/// </summary>
internal sealed class GemmTeam
{
    private readonly Action<int> _job;
    private readonly SemaphoreSlim[] _go;
    private readonly Barrier? _barrier;
    private int _pending;
    private Exception? _error;

    /// <summary>Threads in the team, the caller included.</summary>
    public int Size { get; }

    /// <summary>Starts size−1 background workers that run <paramref name="job"/>(member) on each <see cref="Run"/>.</summary>
    public GemmTeam(int size, Action<int> job)
    {
        Size = size;
        _job = job;
        _go = new SemaphoreSlim[size];
        if (size > 1) _barrier = new Barrier(size);
        for (int t = 1; t < size; t++)
        {
            _go[t] = new SemaphoreSlim(0);
            int member = t;
            var thread = new Thread(() => WorkerLoop(member)) { IsBackground = true, Name = $"gemm-worker-{t}" };
            thread.Start();
        }
    }

    /// <summary>Runs the job on every member (the caller as member 0) and returns when all are done.</summary>
    public void Run()
    {
        Volatile.Write(ref _pending, Size - 1);
        for (int t = 1; t < Size; t++) _go[t].Release();
        _job(0);
        // Workers finish within microseconds of the caller: spin and yield, never sleep.
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
        if (_error is { } e)
        {
            _error = null;
            throw new InvalidOperationException("gemm worker failed", e);
        }
    }

    /// <summary>Waits until every member reaches this point (a no-op for a team of one).</summary>
    public void Sync() => _barrier?.SignalAndWait();

    private void WorkerLoop(int member)
    {
        while (true)
        {
            _go[member].Wait();
            try { _job(member); }
            catch (Exception e) { _error = e; }
            Interlocked.Decrement(ref _pending);
        }
    }
}
