using System.Collections.Concurrent;
using ScalingLab.Sweeps;

namespace ScalingLab.Tests.Sweeps;

/// <summary>The registry's contract, run against each back end.</summary>
public abstract class RegistryContract
{
    /// <summary>A fresh, empty registry; every call opens a new connection to the same one.</summary>
    protected abstract Func<RunRegistry> NewRegistry();

    protected static IReadOnlyList<RunConfig> Runs(int count, string sweep = "t") =>
        Enumerable.Range(0, count).Select(i => new RunConfig
        {
            Sweep = sweep, Grid = "main", Name = $"run{i}", DataKey = "k", DataDir = "/d", DataTokens = 1000 + i, Seed = 1,
        }).ToList();

    /// <summary>
    /// A stale timeout no test outlives, for the concurrency tests. The default (60 s) hands a run to another worker
    /// when its own stalls that long between claim and complete, which a loaded 2-core machine does (a suite run
    /// crashed so, 63 s into the load test): a re-queue the registry should make, and one that
    /// <see cref="StaleRunsAreRequeuedAndTheOldWorkerLosesThem"/> tests, but here it would read as a double claim.
    /// With it off, every refused completion and every second claim is a bug.
    /// </summary>
    protected static readonly TimeSpan NeverStale = TimeSpan.FromDays(1);

    /// <summary>
    /// Runs <paramref name="work"/>(w, ready) on <paramref name="workers"/> threads that start together (each calls
    /// ready() once, when it is set up) and returns the seconds from that start until the last one ends. What a thread
    /// throws is rethrown here, on the test thread: an exception on a bare thread, a failed assertion included, would
    /// crash the test host and abort the whole run.
    /// </summary>
    protected static double Together(int workers, Action<int, Action> work)
    {
        using var start = new Barrier(workers + 1);
        var errors = new ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, workers).Select(w => new Thread(() =>
        {
            bool signalled = false;
            try
            {
                work(w, () => { signalled = true; start.SignalAndWait(); });
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
            finally
            {
                if (!signalled) start.RemoveParticipant(); // failed before it was ready: the others must not wait for it
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        start.SignalAndWait();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        threads.ForEach(t => t.Join());
        double seconds = clock.Elapsed.TotalSeconds;
        if (!errors.IsEmpty) throw new AggregateException($"{errors.Count} of {workers} worker threads failed", errors);
        return seconds;
    }

    protected void SubmitIsIdempotent()
    {
        using var reg = NewRegistry()();
        var runs = Runs(5);
        Assert.Equal(5, reg.Submit("/tmp/sw", runs));
        Assert.Equal(0, reg.Submit("/tmp/sw", runs));
        Assert.Equal(1, reg.Submit("/tmp/sw", Runs(6).Skip(5)));
        var all = reg.List("t");
        Assert.Equal(6, all.Count);
        Assert.All(all, r => Assert.Equal(RunState.Pending, r.State));
        Assert.Equal(runs[2].Hash, all[2].Hash);
        Assert.Equal(Path.Combine("/tmp/sw/runs", runs[2].RunDirName), all[2].RunDir);
        Assert.Equal(runs[2], all[2].Config);
        Assert.Empty(reg.List("other"));
    }

    protected void ClaimHeartbeatComplete()
    {
        using var reg = NewRegistry()();
        reg.Submit("/tmp/sw", Runs(2));
        var a = reg.Claim("w1")!;
        Assert.Equal("run0", a.Name);
        Assert.Equal(RunState.Running, a.State);
        Assert.Equal(1, a.Attempts);
        Assert.Equal("w1", a.Worker);
        Assert.True(reg.Heartbeat(a.Id, "w1", "{\"step\":3}"));
        Assert.False(reg.Heartbeat(a.Id, "w2"));
        var b = reg.Claim("w2")!;
        Assert.Equal("run1", b.Name);
        Assert.Null(reg.Claim("w3"));
        Assert.False(reg.Complete(a.Id, "w2", "{}"));
        Assert.True(reg.Complete(a.Id, "w1", "{\"loss\":1.5}"));
        Assert.False(reg.Complete(a.Id, "w1", "{}")); // done once only
        Assert.True(reg.Fail(b.Id, "w2", "boom"));
        var list = reg.List();
        Assert.Equal(RunState.Done, list[0].State);
        Assert.Equal("{\"loss\":1.5}", list[0].MetricsJson);
        Assert.Equal("{\"step\":3}", list[0].ProgressJson);
        Assert.Equal(RunState.Failed, list[1].State);
        Assert.Equal("boom", list[1].Error);
        Assert.Equal(1, reg.RetryFailed("t"));
        Assert.Equal("run1", reg.Claim("w4")!.Name);
    }

    protected void StaleRunsAreRequeuedAndTheOldWorkerLosesThem()
    {
        using var reg = NewRegistry()();
        reg.Submit("/tmp/sw", Runs(1));
        var a = reg.Claim("slow")!;
        Thread.Sleep(30);
        var again = reg.Claim("fresh", stale: TimeSpan.FromMilliseconds(10))!;
        Assert.Equal(a.Id, again.Id);
        Assert.Equal(2, again.Attempts);
        Assert.False(reg.Heartbeat(a.Id, "slow"));
        Assert.False(reg.Complete(a.Id, "slow", "{}"));
        Assert.True(reg.Complete(a.Id, "fresh", "{}"));
    }

    protected void TooManyAttemptsFail()
    {
        using var reg = NewRegistry()();
        reg.Submit("/tmp/sw", Runs(1));
        for (int i = 0; i < 2; i++)
        {
            Assert.NotNull(reg.Claim($"w{i}", maxAttempts: 2));
            Thread.Sleep(20);
            Assert.Null(reg.Claim("probe", sweep: "none", stale: TimeSpan.FromMilliseconds(5))); // re-queues only
        }
        Assert.Null(reg.Claim("w9", maxAttempts: 2));
        var r = reg.List().Single();
        Assert.Equal(RunState.Failed, r.State);
        Assert.Contains("gave up after 2 attempts", r.Error);
    }

    protected void DeadLocalWorkersAreRequeued()
    {
        using var reg = NewRegistry()();
        reg.Submit("/tmp/sw", Runs(2));
        // pid 2^22 + 1 is above Linux's pid_max limit, so no such process exists.
        string dead = $"{Environment.MachineName}:4194305:x";
        reg.Claim(dead);
        reg.Claim(WorkerId.ForThisProcess()); // alive: this process
        reg.Claim("otherhost:1:y");
        Assert.Equal(1, reg.RequeueDeadLocalWorkers());
        Assert.Equal(RunState.Pending, reg.List()[0].State);
        Assert.Equal(RunState.Running, reg.List()[1].State);
    }

    /// <summary>Many workers, each with its own connection, drain many tiny runs: every run is claimed exactly once.</summary>
    protected void ConcurrentWorkersNeverClaimTheSameRun(int workers, int runs)
    {
        var open = NewRegistry();
        using (var reg = open()) reg.Submit("/tmp/sw", Runs(runs));
        var claims = new ConcurrentBag<(long Id, string Worker, bool Heartbeat, bool Complete)>();
        // All workers start together, and each "trains" for a moment per run, so that on a loaded
        // machine one thread cannot drain the queue before the others have opened their connections.
        Together(workers, (w, ready) =>
        {
            using var reg = open();
            string me = WorkerId.ForThisProcess($"t{w}");
            ready();
            while (reg.Claim(me, stale: NeverStale) is { } r)
            {
                Thread.Sleep(1);
                bool beat = reg.Heartbeat(r.Id, me);
                claims.Add((r.Id, me, beat, reg.Complete(r.Id, me, "{}")));
            }
        });
        Assert.DoesNotContain(claims, c => !c.Heartbeat || !c.Complete);
        Assert.Equal(runs, claims.Count);
        Assert.Equal(runs, claims.Select(c => c.Id).Distinct().Count());
        using (var reg = open())
        {
            var all = reg.List();
            Assert.All(all, r => Assert.Equal(RunState.Done, r.State));
            Assert.All(all, r => Assert.Equal(1, r.Attempts));
        }
        // With this many runs, more than one worker got some: the test exercised contention.
        Assert.True(claims.Select(c => c.Worker).Distinct().Count() > 1);
    }

    /// <summary>
    /// The load test: <paramref name="workers"/> threads, each with its own connection, claim and complete
    /// <paramref name="runs"/> runs as fast as they can; zero double claims, and claims per second printed (measured,
    /// not asserted).
    /// </summary>
    protected void LoadTest(int workers, int runs)
    {
        var open = NewRegistry();
        string name;
        using (var reg = open())
        {
            reg.Submit("/tmp/sw", Runs(runs));
            name = reg.Describe.Split(':')[0];
        }
        var claims = new ConcurrentBag<long>();
        var lost = new ConcurrentBag<string>();
        double seconds = Together(workers, (w, ready) =>
        {
            using var reg = open();
            string me = WorkerId.ForThisProcess($"load{w}");
            ready();
            while (reg.Claim(me, stale: NeverStale) is { } r)
            {
                claims.Add(r.Id);
                if (!reg.Complete(r.Id, me, "{}"))
                {
                    var now = reg.List().Single(x => x.Id == r.Id);
                    lost.Add($"run {r.Id}: {me}'s completion was refused; the run is now {now.State}, attempt {now.Attempts}, " +
                             $"worker {now.Worker}, error '{now.Error}'");
                }
            }
        });
        int doubles = claims.Count - claims.Distinct().Count();
        Console.WriteLine($"registry load test ({name}): {workers} workers, {claims.Count} claims of {runs} runs in {seconds:F2} s = " +
                          $"{claims.Count / seconds:F0} claims/s (claim + complete), {doubles} double claims, {lost.Count} completions refused");
        Assert.True(lost.IsEmpty, string.Join("\n", lost));
        Assert.Equal(0, doubles);
        Assert.Equal(runs, claims.Count);
        using (var reg = open()) Assert.All(reg.List(), r => Assert.Equal((RunState.Done, 1), (r.State, r.Attempts)));
    }
}

public sealed class SqliteRegistryTests : RegistryContract, IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalinglab-reg-");

    protected override Func<RunRegistry> NewRegistry()
    {
        string path = Path.Combine(_dir.FullName, $"r{Guid.NewGuid():N}.db");
        return () => RunRegistry.Open(path);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact] public void Submit() => SubmitIsIdempotent();
    [Fact] public void Lifecycle() => ClaimHeartbeatComplete();
    [Fact] public void Stale() => StaleRunsAreRequeuedAndTheOldWorkerLosesThem();
    [Fact] public void Attempts() => TooManyAttemptsFail();
    [Fact] public void DeadWorkers() => DeadLocalWorkersAreRequeued();
    [Fact] public void Concurrent() => ConcurrentWorkersNeverClaimTheSameRun(workers: 4, runs: 200);
    [Fact] public void Load() => LoadTest(workers: 32, runs: 2000);

    [Fact]
    public void UsesWalJournal()
    {
        using var reg = NewRegistry()();
        Assert.StartsWith("sqlite:", reg.Describe);
        var db = Directory.GetFiles(_dir.FullName, "*.db").Single();
        reg.Submit("/tmp", Runs(1));
        Assert.True(File.Exists(db + "-wal"));
    }
}

public sealed class PostgresRegistryTests : RegistryContract, IClassFixture<PostgresServer>
{
    private readonly PostgresServer _server;

    public PostgresRegistryTests(PostgresServer server) => _server = server;

    protected override Func<RunRegistry> NewRegistry()
    {
        // A fresh database per test keeps the tests independent on one server.
        string cs = _server.NewDatabase();
        return () => RunRegistry.Open(cs);
    }

    [PostgresFact] public void Submit() => SubmitIsIdempotent();
    [PostgresFact] public void Lifecycle() => ClaimHeartbeatComplete();
    [PostgresFact] public void Stale() => StaleRunsAreRequeuedAndTheOldWorkerLosesThem();
    [PostgresFact] public void Attempts() => TooManyAttemptsFail();
    [PostgresFact] public void DeadWorkers() => DeadLocalWorkersAreRequeued();
    [PostgresFact] public void Concurrent() => ConcurrentWorkersNeverClaimTheSameRun(workers: 4, runs: 200);
    [PostgresFact] public void Load() => LoadTest(workers: 32, runs: 2000);

    [Fact]
    public void UriConnectionStringsAreUnderstood()
    {
        string cs = PostgresRegistry.FromUri("postgresql://me:p%40ss@db.example:6543/sweeps?Timeout=5");
        var b = new Npgsql.NpgsqlConnectionStringBuilder(cs);
        Assert.Equal(("db.example", 6543, "sweeps", "me", "p@ss", 5), (b.Host, b.Port, b.Database, b.Username, b.Password, b.Timeout));
        Assert.True(RunRegistry.IsPostgres("Host=x;Database=y"));
        Assert.False(RunRegistry.IsPostgres("sweep/registry.db"));
    }
}
