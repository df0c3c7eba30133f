using System.Data.Common;
using Microsoft.Data.Sqlite;
using ScalingLab.Common;

namespace ScalingLab.Sweeps;

/// <summary>
/// The registry in a SQLite file (the default: sweep/registry.db). WAL journal so readers never block the writer,
/// a busy timeout so concurrent workers wait instead of failing, and every claim inside BEGIN IMMEDIATE, which takes
/// the database's write lock up front: two workers cannot both see the same pending row.
/// </summary>
public sealed class SqliteRegistry : RunRegistry
{
    private readonly string _path;

    private SqliteRegistry(SqliteConnection c, string path) : base(c) => _path = path;

    /// <inheritdoc />
    public override string Describe => $"sqlite:{_path}";

    /// <inheritdoc />
    protected override string NowSql => "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)";

    /// <inheritdoc />
    protected override string ClaimSql =>
        $"UPDATE runs SET state = 'running', worker = @worker, attempts = attempts + 1, started_ms = {NowSql}, " +
        $"heartbeat_ms = {NowSql}, progress_json = NULL " +
        "WHERE id = (SELECT id FROM runs WHERE state = 'pending' AND (@sweep IS NULL OR sweep = @sweep) ORDER BY id LIMIT 1) " +
        $"RETURNING {Columns}";

    /// <summary>Opens (creating if needed) the registry file at <paramref name="path"/>.</summary>
    public static new SqliteRegistry Open(string path)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir))
            throw new UserError($"registry: folder '{dir}' does not exist; create the sweep first (scalinglab sweep submit)");
        var conn = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = full, Pooling = false, DefaultTimeout = 60, Mode = SqliteOpenMode.ReadWriteCreate,
        }.ToString());
        try
        {
            conn.Open();
            var reg = new SqliteRegistry(conn, full);
            reg.Exec(null, "PRAGMA busy_timeout = 60000");
            using (var wal = reg.Command(null, "PRAGMA journal_mode = WAL")) wal.ExecuteScalar();
            reg.Exec(null, "PRAGMA synchronous = FULL");
            reg.InWriteTransaction(_ => reg.Exec(null,
                "CREATE TABLE IF NOT EXISTS runs (" +
                " id INTEGER PRIMARY KEY AUTOINCREMENT, sweep TEXT NOT NULL, config_hash TEXT NOT NULL, name TEXT NOT NULL," +
                " config_json TEXT NOT NULL, run_dir TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending'," +
                " attempts INTEGER NOT NULL DEFAULT 0, worker TEXT, created_ms INTEGER NOT NULL, started_ms INTEGER," +
                " finished_ms INTEGER, heartbeat_ms INTEGER, progress_json TEXT, metrics_json TEXT, error TEXT," +
                " UNIQUE (sweep, config_hash));" +
                "CREATE INDEX IF NOT EXISTS runs_state ON runs (state, id);"));
            return reg;
        }
        catch (SqliteException e)
        {
            conn.Dispose();
            throw new UserError($"registry '{full}': {e.Message.Split('\n')[0]}");
        }
    }

    /// <inheritdoc />
    protected override T InWriteTransaction<T>(Func<DbTransaction?, T> body)
    {
        Exec(null, "BEGIN IMMEDIATE");
        try
        {
            T result = body(null);
            Exec(null, "COMMIT");
            return result;
        }
        catch
        {
            try { Exec(null, "ROLLBACK"); } catch (SqliteException) { }
            throw;
        }
    }
}
