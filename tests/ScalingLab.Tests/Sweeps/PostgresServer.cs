using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ScalingLab.Tests.Sweeps;

/// <summary>
/// A throwaway PostgreSQL server for the registry tests: initdb into a temporary folder, start on 127.0.0.1 at a free
/// port with trust auth, stop and delete everything on Dispose. As root it runs the server as the postgres user
/// (initdb refuses root). The binaries come from Debian's postgresql package (scripts/setup.sh installs it).
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly DirectoryInfo? _dir;
    private readonly string? _data;
    private readonly string _startArgs = "";

    /// <summary>Folder of initdb/pg_ctl, or null when PostgreSQL is not installed.</summary>
    public static string? BinDir { get; } = FindBinDir();

    /// <summary>Npgsql connection string of the running server.</summary>
    public string ConnectionString { get; } = "";

    public PostgresServer()
    {
        if (BinDir is null) return;
        _dir = Directory.CreateTempSubdirectory("scalinglab-pg-");
        _data = Path.Combine(_dir.FullName, "data");
        bool root = Environment.UserName == "root";
        if (root) Run("chown", $"postgres:postgres {_dir.FullName}", asPostgres: false);
        Run(Path.Combine(BinDir, "initdb"), $"-D {_data} -A trust -U scalinglab -E UTF8 --no-sync", root);
        int port = FreePort();
        _startArgs = $"-D {_data} -l {_dir.FullName}/server.log -w -t 60 " +
                     $"-o \"-p {port} -k {_dir.FullName} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50\" start";
        Run(Path.Combine(BinDir, "pg_ctl"), _startArgs, root);
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=scalinglab;Database=postgres;Pooling=false;Timeout=30";
    }

    /// <summary>Creates a fresh, empty database and returns its connection string.</summary>
    public string NewDatabase()
    {
        string db = "t" + Guid.NewGuid().ToString("N")[..12];
        using (var c = new Npgsql.NpgsqlConnection(ConnectionString))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"CREATE DATABASE {db}";
            cmd.ExecuteNonQuery();
        }
        return ConnectionString.Replace("Database=postgres", $"Database={db}");
    }

    /// <summary>Stops the server (fast shutdown: open connections are terminated), as a database restart does.</summary>
    public void Stop() => Run(Path.Combine(BinDir!, "pg_ctl"), $"-D {_data} -m fast -w stop", Environment.UserName == "root");

    /// <summary>Starts it again on the same port and data.</summary>
    public void Start() => Run(Path.Combine(BinDir!, "pg_ctl"), _startArgs, Environment.UserName == "root");

    public void Dispose()
    {
        if (BinDir is null || _dir is null) return;
        try
        {
            Run(Path.Combine(BinDir, "pg_ctl"), $"-D {_data} -m immediate -w stop", Environment.UserName == "root");
        }
        catch (InvalidOperationException) { }
        try { _dir.Delete(recursive: true); } catch (IOException) { }
    }

    private static string? FindBinDir()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Select(d => Path.Combine(d, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out int v) ? v : 0)
            .FirstOrDefault();
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static void Run(string exe, string args, bool asPostgres)
    {
        var psi = asPostgres
            ? new ProcessStartInfo("runuser", $"-u postgres -- {exe} {args}")
            : new ProcessStartInfo(exe, args);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.WorkingDirectory = "/tmp";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(exe)} failed ({p.ExitCode}): {err} {stdout.Result}");
    }
}

/// <summary>A fact that runs against a real PostgreSQL server; skipped, saying why, only when the binaries are absent.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresServer.BinDir is null)
            Skip = "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (scripts/setup.sh installs Debian's postgresql)";
    }
}
