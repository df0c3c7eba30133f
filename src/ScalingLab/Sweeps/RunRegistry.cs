using System.Data.Common;
using System.Diagnostics;
using ScalingLab.Common;

namespace ScalingLab.Sweeps;

/// <summary>
/// The run registry: one table of runs that workers claim, heartbeat and finish. Two back ends share this code:
/// SQLite (a file in the sweep folder; the default) and PostgreSQL (a connection string; for sweeps across machines).
/// A claim hands a pending run to exactly one worker (each back end's <see cref="ClaimSql"/> is atomic); a run whose
/// worker stopped heartbeating is handed out again; submitting the same config twice finds the same run.
/// Not thread-safe: give each thread its own registry (its own connection).
/// </summary>
public abstract class RunRegistry : IDisposable
{
    /// <summary>Exit code of the <see cref="UserError"/> for a registry that cannot be reached (sysexits.h EX_UNAVAILABLE);
    /// a running worker retries it.</summary>
    public const int UnavailableExitCode = 69;

    /// <summary>The columns every query returns, in <see cref="Read"/>'s order.</summary>
    protected const string Columns =
        "id, sweep, config_hash, name, config_json, run_dir, state, attempts, worker, created_ms, started_ms, " +
        "finished_ms, heartbeat_ms, progress_json, metrics_json, error";

    /// <summary>The open connection.</summary>
    protected DbConnection Connection { get; }

    /// <summary>Wraps an open connection whose schema exists.</summary>
    protected RunRegistry(DbConnection connection) => Connection = connection;

    /// <summary>Where the registry lives, for messages ("sqlite:/path" or "postgresql://host/db").</summary>
    public abstract string Describe { get; }

    /// <summary>SQL for the registry clock in Unix milliseconds (so that every worker compares against one clock).</summary>
    protected abstract string NowSql { get; }

    /// <summary>SQL that marks the oldest pending run (of @sweep when not null) running for @worker and returns it.</summary>
    protected abstract string ClaimSql { get; }

    /// <summary>Runs <paramref name="body"/> in a transaction that holds the registry's write lock from its start.</summary>
    protected abstract T InWriteTransaction<T>(Func<DbTransaction?, T> body);

    /// <summary>
    /// Opens a registry: a PostgreSQL connection string ("postgresql://..." or "Host=...") or a SQLite file path.
    /// </summary>
    public static RunRegistry Open(string registry)
    {
        if (string.IsNullOrWhiteSpace(registry)) throw new UserError("registry: empty; give a SQLite file path or a PostgreSQL connection string");
        return IsPostgres(registry) ? PostgresRegistry.Open(registry) : SqliteRegistry.Open(registry);
    }

    /// <summary>True for a PostgreSQL connection string.</summary>
    public static bool IsPostgres(string registry) =>
        registry.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || registry.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || registry.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Adds the runs that are not registered yet (same sweep and config hash = same run) and returns how many were new.
    /// Each run's folder is <paramref name="sweepDir"/>/runs/NAME-HASH8.
    /// </summary>
    public int Submit(string sweepDir, IEnumerable<RunConfig> runs)
    {
        string root = Path.GetFullPath(sweepDir);
        return InWriteTransaction(tx =>
        {
            int added = 0;
            foreach (var r in runs)
            {
                added += Exec(tx,
                    $"INSERT INTO runs (sweep, config_hash, name, config_json, run_dir, state, attempts, created_ms) " +
                    $"VALUES (@sweep, @hash, @name, @json, @dir, 'pending', 0, {NowSql}) ON CONFLICT (sweep, config_hash) DO NOTHING",
                    ("sweep", r.Sweep), ("hash", r.Hash), ("name", r.Name), ("json", r.ToJson()),
                    ("dir", Path.Combine(root, "runs", r.RunDirName)));
            }
            return added;
        });
    }

    /// <summary>
    /// Claims one pending run for <paramref name="worker"/> (null when none is left). First re-queues runs whose
    /// heartbeat is older than <paramref name="stale"/>, and fails pending runs that already had
    /// <paramref name="maxAttempts"/> attempts.
    /// </summary>
    public RunRecord? Claim(string worker, string? sweep = null, TimeSpan? stale = null, int maxAttempts = 3)
    {
        long staleMs = (long)(stale ?? TimeSpan.FromSeconds(60)).TotalMilliseconds;
        return InWriteTransaction(tx =>
        {
            Exec(tx, $"UPDATE runs SET state = 'pending', worker = NULL, error = 'worker ' || worker || ' stopped heartbeating' " +
                     $"WHERE state = 'running' AND heartbeat_ms < {NowSql} - @stale", ("stale", staleMs));
            Exec(tx, $"UPDATE runs SET state = 'failed', finished_ms = {NowSql}, " +
                     $"error = 'gave up after ' || attempts || ' attempts: ' || COALESCE(error, '') " +
                     "WHERE state = 'pending' AND attempts >= @max", ("max", maxAttempts));
            var rows = Query(tx, ClaimSql, ("worker", worker), ("sweep", (object?)sweep ?? DBNull.Value));
            return rows.Count == 0 ? null : rows[0];
        });
    }

    /// <summary>Records that <paramref name="worker"/> is alive on run <paramref name="id"/>, with optional progress JSON.
    /// False when the run is no longer this worker's (it was re-queued): the worker should stop.</summary>
    public bool Heartbeat(long id, string worker, string? progressJson = null) =>
        Exec(null, $"UPDATE runs SET heartbeat_ms = {NowSql}, progress_json = COALESCE(@p, progress_json) " +
                   "WHERE id = @id AND worker = @worker AND state = 'running'",
            ("p", (object?)progressJson ?? DBNull.Value), ("id", id), ("worker", worker)) == 1;

    /// <summary>Marks the run done with its final metrics; false when it was not this worker's any more.</summary>
    public bool Complete(long id, string worker, string metricsJson) =>
        Exec(null, $"UPDATE runs SET state = 'done', finished_ms = {NowSql}, heartbeat_ms = {NowSql}, metrics_json = @m, error = NULL " +
                   "WHERE id = @id AND worker = @worker AND state = 'running'",
            ("m", metricsJson), ("id", id), ("worker", worker)) == 1;

    /// <summary>
    /// Puts a run this worker was preempted on (SIGTERM) back in the queue without using up one of its attempts: it
    /// resumes from the checkpoint written on the way out. False when it was not this worker's any more.
    /// </summary>
    public bool Requeue(long id, string worker, string reason) =>
        Exec(null, "UPDATE runs SET state = 'pending', worker = NULL, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, " +
                   "error = @e WHERE id = @id AND worker = @worker AND state = 'running'",
            ("e", reason), ("id", id), ("worker", worker)) == 1;

    /// <summary>Marks the run failed (or pending again when <paramref name="retry"/>) with a one-line reason.</summary>
    public bool Fail(long id, string worker, string error, bool retry = false) =>
        Exec(null, $"UPDATE runs SET state = @s, worker = CASE WHEN @retry = 1 THEN NULL ELSE worker END, " +
                   $"finished_ms = {NowSql}, error = @e WHERE id = @id AND worker = @worker AND state = 'running'",
            ("s", retry ? "pending" : "failed"), ("retry", retry ? 1 : 0), ("e", error), ("id", id), ("worker", worker)) == 1;

    /// <summary>
    /// Re-queues running runs whose worker was a process on this machine that no longer exists (a worker killed
    /// with kill -9 cannot say so); returns how many. Workers elsewhere are left to the heartbeat timeout.
    /// </summary>
    public int RequeueDeadLocalWorkers()
    {
        int n = 0;
        foreach (var r in List().Where(r => r.State == RunState.Running && r.Worker is not null))
        {
            if (!WorkerId.IsDeadLocal(r.Worker!)) continue;
            n += Exec(null, "UPDATE runs SET state = 'pending', worker = NULL, error = 'worker ' || worker || ' died' " +
                            "WHERE id = @id AND worker = @worker AND state = 'running'", ("id", r.Id), ("worker", r.Worker!));
        }
        return n;
    }

    /// <summary>Puts failed runs of <paramref name="sweep"/> back to pending with their attempt count reset.</summary>
    public int RetryFailed(string sweep) =>
        Exec(null, "UPDATE runs SET state = 'pending', worker = NULL, attempts = 0 WHERE state = 'failed' AND sweep = @sweep",
            ("sweep", sweep));

    /// <summary>Every run (of <paramref name="sweep"/> when given), in submission order.</summary>
    public IReadOnlyList<RunRecord> List(string? sweep = null) =>
        Query(null, $"SELECT {Columns} FROM runs WHERE (@sweep IS NULL OR sweep = @sweep) ORDER BY id",
            ("sweep", (object?)sweep ?? DBNull.Value));

    /// <summary>Runs a statement and returns the number of rows it changed.</summary>
    protected int Exec(DbTransaction? tx, string sql, params (string Name, object Value)[] args)
    {
        using var cmd = Command(tx, sql, args);
        return cmd.ExecuteNonQuery();
    }

    /// <summary>Runs a query whose columns are <see cref="Columns"/>.</summary>
    protected List<RunRecord> Query(DbTransaction? tx, string sql, params (string Name, object Value)[] args)
    {
        using var cmd = Command(tx, sql, args);
        using var reader = cmd.ExecuteReader();
        var list = new List<RunRecord>();
        while (reader.Read()) list.Add(Read(reader));
        return list;
    }

    /// <summary>A command with named parameters (@name).</summary>
    protected DbCommand Command(DbTransaction? tx, string sql, params (string Name, object Value)[] args)
    {
        var cmd = Connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            if (value is DBNull) p.DbType = System.Data.DbType.String;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    private static RunRecord Read(DbDataReader r)
    {
        long? L(int i) => r.IsDBNull(i) ? null : Convert.ToInt64(r.GetValue(i));
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        return new RunRecord(
            Convert.ToInt64(r.GetValue(0)), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
            RunRecord.ParseState(r.GetString(6)), Convert.ToInt32(r.GetValue(7)), S(8),
            L(9) ?? 0, L(10), L(11), L(12), S(13), S(14), S(15));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Connection.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Worker identities "host:pid:nonce", so that a dead local worker can be recognised.</summary>
public static class WorkerId
{
    /// <summary>A fresh identity for this process.</summary>
    public static string ForThisProcess(string? tag = null) =>
        $"{Environment.MachineName}:{Environment.ProcessId}:{tag ?? Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>True when <paramref name="worker"/> names a process of this machine that does not exist any more.</summary>
    public static bool IsDeadLocal(string worker)
    {
        var parts = worker.Split(':');
        if (parts.Length < 2 || parts[0] != Environment.MachineName || !int.TryParse(parts[1], out int pid)) return false;
        if (pid == Environment.ProcessId) return false;
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.HasExited;
        }
        catch (ArgumentException)
        {
            return true; // no such process
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
