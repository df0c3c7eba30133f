using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using ScalingLab.Common;

namespace ScalingLab.Sweeps;

/// <summary>Where a run is, as its worker reports it in heartbeats (the registry's progress_json).</summary>
public sealed record RunProgress(
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("steps")] long Steps,
    [property: JsonPropertyName("train_loss")] double? TrainLoss,
    [property: JsonPropertyName("val_loss")] double? ValLoss,
    [property: JsonPropertyName("tokens_per_s")] double? TokensPerS);

/// <summary>Trains one run into <paramref name="runDir"/> (resuming from its newest checkpoint when there is one) and returns its
/// final metrics as JSON. When <c>cancel</c> fires it stops at the next step boundary with a checkpoint and throws
/// <see cref="OperationCanceledException"/>.</summary>
public delegate string TrainRun(RunConfig config, string runDir, Action<RunProgress> progress, CancellationToken cancel);

/// <summary>
/// One worker: claim a pending run, train it while a background thread heartbeats (with progress), mark it done or
/// failed, repeat until no pending run is left. If the registry says the run is no longer ours (our heartbeat went
/// stale and another worker took it) training is stopped and the result is not recorded. When <c>cancel</c> fires
/// (SIGTERM from Slurm, a plain kill, Ctrl-C) the run in flight writes a checkpoint at its next step boundary and goes
/// back to the queue without using up an attempt, and the worker stops. A registry that goes away once the worker is
/// running (a database restart, a lost connection) is retried with back-off for up to <see cref="RegistryPatience"/>;
/// training goes on meanwhile. A full disk puts the run back in the queue and stops the worker.
/// </summary>
public sealed class SweepWorker(string registry, string? sweep, string workerId, TrainRun train)
{
    /// <summary>How often the worker heartbeats.</summary>
    public TimeSpan HeartbeatEvery { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A running run whose heartbeat is older than this is handed to another worker.</summary>
    public TimeSpan Stale { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A run that was claimed this many times without finishing is marked failed.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>How long an unreachable registry is retried (with back-off) before the worker gives up.</summary>
    public TimeSpan RegistryPatience { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>The first wait between registry retries; doubled each time up to 8 s.</summary>
    public TimeSpan RetryFirst { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>This worker's identity in the registry.</summary>
    public string Id => workerId;

    /// <summary>The registry it works from.</summary>
    public string Registry => registry;

    /// <summary>Works until no pending run is left, <paramref name="maxRuns"/> were finished, or cancelled; returns runs finished.</summary>
    public int Run(TextWriter log, int maxRuns = int.MaxValue, CancellationToken cancel = default)
    {
        int finished = 0;
        using var reg = new Connection(this, log, "claims");
        reg.Open(); // a registry that cannot be reached at the start is a configuration error: say so at once
        while (finished < maxRuns && !cancel.IsCancellationRequested)
        {
            var rec = reg.Do(r => r.Claim(workerId, sweep, Stale, MaxAttempts));
            if (rec is null) break;
            log.WriteLine($"worker {workerId}: {rec.Name} (attempt {rec.Attempts})");
            var outcome = TrainOne(rec, log, cancel);
            switch (outcome.Kind)
            {
                case Outcome.Done:
                    // A retry after a reply lost in an outage finds the run already done by this worker: that counts.
                    if (reg.Do(r => r.Complete(rec.Id, workerId, outcome.Text)
                                    || r.List(rec.Sweep).Any(x => x.Id == rec.Id && x.State == RunState.Done && x.Worker == workerId))) finished++;
                    else log.WriteLine($"worker {workerId}: {rec.Name} finished, but the registry had handed it to another worker; result not recorded");
                    break;
                case Outcome.Failed:
                    reg.Do(r => r.Fail(rec.Id, workerId, outcome.Text));
                    log.WriteLine($"worker {workerId}: {rec.Name} failed: {outcome.Text}");
                    break;
                case Outcome.Retry:
                    reg.Do(r => r.Fail(rec.Id, workerId, outcome.Text, retry: true));
                    log.WriteLine($"worker {workerId}: {rec.Name} interrupted ({outcome.Text}); back in the queue");
                    break;
                case Outcome.Preempted:
                    reg.Do(r => r.Requeue(rec.Id, workerId, outcome.Text));
                    log.WriteLine($"worker {workerId}: {rec.Name} {outcome.Text}; back in the queue");
                    break;
                case Outcome.DiskFull:
                    reg.Do(r => r.Fail(rec.Id, workerId, outcome.Text, retry: true));
                    log.WriteLine($"worker {workerId}: {rec.Name}: {outcome.Text}; back in the queue, this worker stops");
                    return finished;
                case Outcome.Lost:
                    log.WriteLine($"worker {workerId}: {rec.Name} was re-queued by the registry; stopped");
                    break;
            }
        }
        return finished;
    }

    private enum Outcome { Done, Failed, Retry, Preempted, DiskFull, Lost }

    private (Outcome Kind, string Text) TrainOne(RunRecord rec, TextWriter log, CancellationToken cancel)
    {
        using var lost = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, lost.Token);
        RunProgress? latest = null;
        using var stop = new ManualResetEventSlim();
        // The heartbeat has its own connection: the training thread never touches the registry while it trains.
        // An outage only delays heartbeats (the connection retries); a "not yours any more" answer stops the run.
        var beat = new Thread(() =>
        {
            using var hb = new Connection(this, log, "heartbeats");
            while (!stop.Wait(HeartbeatEvery))
            {
                var p = Volatile.Read(ref latest);
                string? json = p is null ? null : JsonSerializer.Serialize(p);
                bool? mine;
                try
                {
                    mine = hb.Do(r => r.Heartbeat(rec.Id, workerId, json), stop.WaitHandle);
                }
                catch (Exception e) when (Connection.IsTransient(e))
                {
                    mine = null; // gave up: the stale timeout will hand the run to another worker
                }
                if (mine == false)
                {
                    lost.Cancel();
                    return;
                }
            }
        }) { IsBackground = true, Name = "heartbeat" };
        beat.Start();
        try
        {
            Directory.CreateDirectory(rec.RunDir);
            string metrics = train(rec.Config, rec.RunDir, p => Volatile.Write(ref latest, p), linked.Token);
            return (Outcome.Done, metrics);
        }
        catch (OperationCanceledException e)
        {
            if (lost.IsCancellationRequested) return (Outcome.Lost, "");
            return cancel.IsCancellationRequested ? (Outcome.Preempted, e.Message.StartsWith("preempted", StringComparison.Ordinal) ? e.Message : "preempted")
                                                  : (Outcome.Retry, "cancelled");
        }
        catch (UserError e) when (e.ExitCode == DiskFull.ExitCode)
        {
            return (Outcome.DiskFull, e.Message);
        }
        catch (UserError e)
        {
            return (Outcome.Failed, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (Outcome.Retry, e.Message);
        }
        catch (Exception e)
        {
            log.WriteLine($"worker {workerId}: {rec.Name}: {e}");
            return (Outcome.Failed, $"internal error: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            stop.Set();
            beat.Join();
        }
    }

    /// <summary>
    /// A registry connection that survives outages: an operation that fails for a transient reason (connection lost,
    /// server shutting down, database busy) closes the connection, waits (back-off from <see cref="RetryFirst"/>,
    /// doubling to 8 s) and tries again on a fresh one, for up to <see cref="RegistryPatience"/>.
    /// </summary>
    private sealed class Connection(SweepWorker w, TextWriter log, string what) : IDisposable
    {
        private RunRegistry? _reg;

        public RunRegistry Open() => _reg ??= RunRegistry.Open(w.Registry);

        public T Do<T>(Func<RunRegistry, T> op, WaitHandle? abandon = null)
        {
            var clock = Stopwatch.StartNew();
            var wait = w.RetryFirst;
            while (true)
            {
                try
                {
                    return op(Open());
                }
                catch (Exception e) when (IsTransient(e) && clock.Elapsed < w.RegistryPatience)
                {
                    _reg?.Dispose();
                    _reg = null;
                    lock (log) log.WriteLine($"worker {w.Id}: registry unreachable for {what} ({e.Message.Split('\n')[0]}); retrying in {wait.TotalSeconds:0.#} s");
                    if (abandon is null) Thread.Sleep(wait);
                    else if (abandon.WaitOne(wait)) throw;
                    wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromSeconds(8).Ticks));
                }
            }
        }

        /// <summary>Worth retrying: the registry was unreachable or busy, not wrong.</summary>
        public static bool IsTransient(Exception e) => e switch
        {
            UserError u => u.ExitCode == RunRegistry.UnavailableExitCode,
            System.Data.Common.DbException db => db.IsTransient || IsServerGoingAway(db) || e.InnerException is IOException or System.Net.Sockets.SocketException,
            IOException or System.Net.Sockets.SocketException or TimeoutException => true,
            _ => false,
        };

        private static bool IsServerGoingAway(System.Data.Common.DbException e) =>
            e.SqlState is { } s && (s.StartsWith("57P", StringComparison.Ordinal) || s.StartsWith("08", StringComparison.Ordinal) || s == "53300")
            || e is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 }; // SQLITE_BUSY, SQLITE_LOCKED

        public void Dispose() => _reg?.Dispose();
    }
}
