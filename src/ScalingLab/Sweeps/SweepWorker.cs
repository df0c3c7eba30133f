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

/// <summary>Trains one run into <paramref name="runDir"/> (resuming from its newest checkpoint when there is one) and returns its final metrics as JSON.</summary>
public delegate string TrainRun(RunConfig config, string runDir, Action<RunProgress> progress, CancellationToken cancel);

/// <summary>
/// One worker: claim a pending run, train it while a background thread heartbeats (with progress), mark it done or
/// failed, repeat until no pending run is left. If the registry says the run is no longer ours (our heartbeat went
/// stale and another worker took it) training is cancelled and the result is not recorded.
/// </summary>
public sealed class SweepWorker(string registry, string? sweep, string workerId, TrainRun train)
{
    /// <summary>How often the worker heartbeats.</summary>
    public TimeSpan HeartbeatEvery { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A running run whose heartbeat is older than this is handed to another worker.</summary>
    public TimeSpan Stale { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A run that was claimed this many times without finishing is marked failed.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>This worker's identity in the registry.</summary>
    public string Id => workerId;

    /// <summary>Works until no pending run is left, <paramref name="maxRuns"/> were finished, or cancelled; returns runs finished.</summary>
    public int Run(TextWriter log, int maxRuns = int.MaxValue, CancellationToken cancel = default)
    {
        int finished = 0;
        using var reg = RunRegistry.Open(registry);
        while (finished < maxRuns && !cancel.IsCancellationRequested)
        {
            var rec = reg.Claim(workerId, sweep, Stale, MaxAttempts);
            if (rec is null) break;
            log.WriteLine($"worker {workerId}: {rec.Name} (attempt {rec.Attempts})");
            var outcome = TrainOne(rec, log, cancel);
            switch (outcome.Kind)
            {
                case Outcome.Done:
                    if (reg.Complete(rec.Id, workerId, outcome.Text)) finished++;
                    else log.WriteLine($"worker {workerId}: {rec.Name} finished, but the registry had handed it to another worker; result not recorded");
                    break;
                case Outcome.Failed:
                    reg.Fail(rec.Id, workerId, outcome.Text);
                    log.WriteLine($"worker {workerId}: {rec.Name} failed: {outcome.Text}");
                    break;
                case Outcome.Retry:
                    reg.Fail(rec.Id, workerId, outcome.Text, retry: true);
                    log.WriteLine($"worker {workerId}: {rec.Name} interrupted ({outcome.Text}); back in the queue");
                    break;
                case Outcome.Lost:
                    log.WriteLine($"worker {workerId}: {rec.Name} was re-queued by the registry; stopped");
                    break;
            }
        }
        return finished;
    }

    private enum Outcome { Done, Failed, Retry, Lost }

    private (Outcome Kind, string Text) TrainOne(RunRecord rec, TextWriter log, CancellationToken cancel)
    {
        using var lost = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, lost.Token);
        RunProgress? latest = null;
        using var stop = new ManualResetEventSlim();
        // The heartbeat has its own connection: the training thread never touches the registry while it trains.
        var beat = new Thread(() =>
        {
            using var hb = RunRegistry.Open(registry);
            while (!stop.Wait(HeartbeatEvery))
            {
                var p = Volatile.Read(ref latest);
                string? json = p is null ? null : JsonSerializer.Serialize(p);
                if (!hb.Heartbeat(rec.Id, workerId, json))
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
        catch (OperationCanceledException)
        {
            return lost.IsCancellationRequested ? (Outcome.Lost, "") : (Outcome.Retry, "cancelled");
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
}
