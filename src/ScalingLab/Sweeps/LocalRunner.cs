using System.Diagnostics;

namespace ScalingLab.Sweeps;

/// <summary>
/// Runs a sweep on this machine: N worker processes (`scalinglab sweep work`) drain the registry while this process
/// watches it. A worker that dies (kill -9, out of memory) is noticed at the next poll: its run goes back to pending
/// (it resumes from its newest checkpoint) and a fresh worker takes the free slot.
/// </summary>
public sealed class LocalRunner(SweepFolder sweep, int workers, Func<ProcessStartInfo> workerCommand)
{
    /// <summary>How often the registry is polled for the progress view.</summary>
    public TimeSpan Poll { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long stopped workers get to checkpoint and exit before they are killed.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(60);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    /// <summary>Sends SIGTERM (15) to a process.</summary>
    private static void Terminate(int pid)
    {
        if (!OperatingSystem.IsWindows()) _ = SysKill(pid, 15);
    }

    /// <summary>The worker processes started so far (for tests and the progress view).</summary>
    public IReadOnlyList<Process> Started => _started;

    private readonly List<Process> _started = [];

    /// <summary>
    /// Runs until no run is pending or running; <paramref name="onPoll"/> sees the runs at every poll.
    /// Returns true when every run of the sweep is done.
    /// </summary>
    public bool Run(Action<IReadOnlyList<RunRecord>> onPoll, CancellationToken cancel = default)
    {
        string logs = Path.Combine(sweep.Dir, "logs");
        Directory.CreateDirectory(logs);
        var active = new List<Process>();
        using var reg = sweep.OpenRegistry();
        try
        {
            while (true)
            {
                active.RemoveAll(p => p.HasExited);
                reg.RequeueDeadLocalWorkers();
                var runs = reg.List(sweep.Name);
                onPoll(runs);
                int pending = runs.Count(r => r.State == RunState.Pending);
                int running = runs.Count(r => r.State == RunState.Running);
                if (pending == 0 && running == 0 && active.Count == 0) break;
                if (cancel.IsCancellationRequested) break;
                // Workers exit when they find nothing to claim; start new ones only for work that is waiting.
                while (active.Count < workers && pending > active.Count(p => !p.HasExited) - running)
                {
                    active.Add(Start(logs, _started.Count));
                    if (active.Count >= workers) break;
                }
                cancel.WaitHandle.WaitOne(Poll);
            }
        }
        finally
        {
            foreach (var p in active.Where(p => !p.HasExited))
            {
                // Ctrl-C reaches the workers too (same process group); a SIGTERM to this process alone is passed on.
                // Either way they checkpoint at their next step boundary and put their run back: give them time to.
                if (cancel.IsCancellationRequested) Terminate(p.Id);
                if (!p.WaitForExit(StopGrace)) p.Kill(entireProcessTree: true);
            }
            if (cancel.IsCancellationRequested) reg.RequeueDeadLocalWorkers();
        }
        return reg.List(sweep.Name).All(r => r.State == RunState.Done);
    }

    private Process Start(string logs, int index)
    {
        var psi = workerCommand();
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start a worker process");
        var log = new StreamWriter(Path.Combine(logs, $"worker-{index:D3}-{p.Id}.log"), append: true) { AutoFlush = true };
        var gate = new object();
        void Write(string? line)
        {
            if (line is null) return;
            lock (gate) log.WriteLine(line);
        }
        p.OutputDataReceived += (_, e) => Write(e.Data);
        p.ErrorDataReceived += (_, e) => Write(e.Data);
        p.EnableRaisingEvents = true;
        p.Exited += (_, _) => { p.WaitForExit(); lock (gate) log.Dispose(); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _started.Add(p);
        return p;
    }
}
