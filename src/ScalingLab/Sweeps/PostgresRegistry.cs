using System.Data.Common;
using Npgsql;
using ScalingLab.Common;

namespace ScalingLab.Sweeps;

/// <summary>
/// The registry in PostgreSQL, for workers on many machines. A claim locks the oldest pending row with
/// FOR UPDATE SKIP LOCKED inside the UPDATE, so concurrent claims take different rows without waiting on each other.
/// Times come from the server's clock, so machines with skewed clocks still agree on which heartbeat is stale.
/// </summary>
public sealed class PostgresRegistry : RunRegistry
{
    private readonly string _describe;

    private PostgresRegistry(NpgsqlConnection c, string describe) : base(c) => _describe = describe;

    /// <inheritdoc />
    public override string Describe => _describe;

    /// <inheritdoc />
    protected override string NowSql => "(extract(epoch from clock_timestamp()) * 1000)::bigint";

    /// <inheritdoc />
    protected override string ClaimSql =>
        $"UPDATE runs SET state = 'running', worker = @worker, attempts = attempts + 1, started_ms = {NowSql}, " +
        $"heartbeat_ms = {NowSql}, progress_json = NULL " +
        "WHERE id = (SELECT id FROM runs WHERE state = 'pending' AND (@sweep::text IS NULL OR sweep = @sweep::text) " +
        "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) " +
        $"RETURNING {Columns}";

    /// <summary>Opens a registry from a connection string ("Host=...;Database=..." or a postgresql:// URI).</summary>
    public static new PostgresRegistry Open(string connectionString)
    {
        string cs = FromUri(connectionString);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(cs) { Pooling = false };
        }
        catch (ArgumentException e)
        {
            throw new UserError($"registry: bad PostgreSQL connection string ({e.Message})");
        }
        string describe = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}";
        var conn = new NpgsqlConnection(builder.ToString());
        try
        {
            conn.Open();
            var reg = new PostgresRegistry(conn, describe);
            reg.InWriteTransaction(tx =>
            {
                // Two workers starting at once must not race on CREATE TABLE: serialise on an advisory lock.
                reg.Exec(tx, "SELECT pg_advisory_xact_lock(7263514)");
                return reg.Exec(tx,
                    "CREATE TABLE IF NOT EXISTS runs (" +
                    " id BIGSERIAL PRIMARY KEY, sweep TEXT NOT NULL, config_hash TEXT NOT NULL, name TEXT NOT NULL," +
                    " config_json TEXT NOT NULL, run_dir TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending'," +
                    " attempts INTEGER NOT NULL DEFAULT 0, worker TEXT, created_ms BIGINT NOT NULL, started_ms BIGINT," +
                    " finished_ms BIGINT, heartbeat_ms BIGINT, progress_json TEXT, metrics_json TEXT, error TEXT," +
                    " UNIQUE (sweep, config_hash));" +
                    "CREATE INDEX IF NOT EXISTS runs_state ON runs (state, id);");
            });
            return reg;
        }
        catch (NpgsqlException e)
        {
            conn.Dispose();
            // Refused, reset or shutting down: the server may come back (a worker retries); a wrong password does not.
            bool unavailable = e is not PostgresException pe || pe.SqlState.StartsWith("57P", StringComparison.Ordinal)
                               || pe.SqlState.StartsWith("08", StringComparison.Ordinal) || pe.SqlState == "53300";
            throw new UserError($"registry {describe}: {e.Message.Split('\n')[0]}", unavailable ? UnavailableExitCode : 1);
        }
    }

    /// <inheritdoc />
    protected override T InWriteTransaction<T>(Func<DbTransaction?, T> body)
    {
        using var tx = ((NpgsqlConnection)Connection).BeginTransaction();
        T result = body(tx);
        tx.Commit();
        return result;
    }

    /// <summary>Turns postgresql://user:password@host:port/database?k=v into Npgsql's key=value form.</summary>
    internal static string FromUri(string s)
    {
        if (!s.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !s.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return s;
        if (!Uri.TryCreate(s, UriKind.Absolute, out var uri))
            throw new UserError($"registry: '{s}' is not a valid postgresql:// URI");
        var b = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port };
        string db = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (db.Length > 0) b.Database = db;
        if (uri.UserInfo.Length > 0)
        {
            var ui = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(ui[0]);
            if (ui.Length == 2) b.Password = Uri.UnescapeDataString(ui[1]);
        }
        foreach (var kv in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var p = kv.Split('=', 2);
            b[Uri.UnescapeDataString(p[0])] = p.Length == 2 ? Uri.UnescapeDataString(p[1]) : "";
        }
        return b.ToString();
    }
}
