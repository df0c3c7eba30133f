using System.Text.Json;
using System.Text.Json.Serialization;
using ScalingLab.Common;
using ScalingLab.Data;

namespace ScalingLab.Sweeps;

/// <summary>
/// A sweep on disk: SWEEP/sweep.json (name and registry), SWEEP/spec.yaml|json (the spec as submitted),
/// SWEEP/registry.db (the default SQLite registry), SWEEP/data/ (generated data sets), SWEEP/runs/NAME-HASH8/ (run folders).
/// </summary>
public sealed class SweepFolder
{
    /// <summary>The file that marks a sweep folder.</summary>
    public const string FileName = "sweep.json";

    private sealed record Record(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("registry")] string Registry,
        [property: JsonPropertyName("spec")] string Spec);

    /// <summary>The sweep folder (absolute).</summary>
    public string Dir { get; }

    /// <summary>The sweep's name (from its spec).</summary>
    public string Name { get; }

    /// <summary>The registry: a SQLite path (absolute) or a PostgreSQL connection string.</summary>
    public string Registry { get; }

    /// <summary>The spec file kept in the folder.</summary>
    public string SpecPath { get; }

    private SweepFolder(string dir, string name, string registry, string specPath)
    {
        Dir = dir;
        Name = name;
        Registry = registry;
        SpecPath = specPath;
    }

    /// <summary>Folder of run <paramref name="r"/>.</summary>
    public string RunDir(RunConfig r) => Path.Combine(Dir, "runs", r.RunDirName);

    /// <summary>
    /// Creates (or reuses) a sweep folder for the spec at <paramref name="specPath"/>. The spec is validated and copied
    /// into the folder; an existing folder of another sweep is refused. <paramref name="registry"/> null = SWEEP/registry.db.
    /// </summary>
    public static SweepFolder Create(string specPath, string dir, string? registry = null)
    {
        var spec = SweepSpec.Load(specPath);
        string full = Path.GetFullPath(dir);
        string marker = Path.Combine(full, FileName);
        if (File.Exists(marker))
        {
            var existing = Open(full);
            if (existing.Name != spec.Name)
                throw new UserError($"sweep folder '{full}' holds sweep '{existing.Name}', not '{spec.Name}'; choose another --dir");
            if (registry is not null && (RunRegistry.IsPostgres(registry) ? registry : Path.GetFullPath(registry)) != existing.Registry)
                throw new UserError($"sweep folder '{full}' uses registry {Show(existing.Registry)}; drop --registry or choose another --dir");
        }
        Directory.CreateDirectory(full);
        string ext = Path.GetExtension(specPath).ToLowerInvariant() == ".json" ? ".json" : ".yaml";
        string keptSpec = Path.Combine(full, "spec" + ext);
        if (Path.GetFullPath(specPath) != keptSpec)
        {
            // Relative data folders in the spec are resolved against the original file's folder: keep them absolute.
            string text = File.ReadAllText(specPath);
            AtomicFile.WriteAllText(keptSpec, text);
            AtomicFile.WriteAllText(Path.Combine(full, "spec.origin"), Path.GetFullPath(specPath) + "\n");
        }
        string reg = registry is null ? "registry.db" : RunRegistry.IsPostgres(registry) ? registry : Path.GetFullPath(registry);
        AtomicFile.WriteAllText(marker, JsonSerializer.Serialize(new Record(spec.Name, reg, Path.GetFileName(keptSpec)),
            new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return Open(full);
    }

    /// <summary>Opens an existing sweep folder.</summary>
    public static SweepFolder Open(string dir)
    {
        string full = Path.GetFullPath(dir);
        string marker = Path.Combine(full, FileName);
        if (!File.Exists(marker))
            throw new UserError($"'{full}' is not a sweep folder (no {FileName}); create one with 'scalinglab sweep submit SPEC --dir {dir}'");
        Record rec;
        try
        {
            rec = JsonSerializer.Deserialize<Record>(File.ReadAllText(marker)) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new UserError($"{marker}: malformed ({e.Message.Split('\n')[0]})");
        }
        string reg = RunRegistry.IsPostgres(rec.Registry) ? rec.Registry : Path.GetFullPath(Path.Combine(full, rec.Registry));
        return new SweepFolder(full, rec.Name, reg, Path.Combine(full, rec.Spec));
    }

    /// <summary>The spec, with relative data folders resolved against the folder of the file originally submitted.</summary>
    public SweepSpec LoadSpec()
    {
        string origin = Path.Combine(Dir, "spec.origin");
        string baseDir = File.Exists(origin) ? Path.GetDirectoryName(File.ReadAllText(origin).Trim())! : Dir;
        return SweepSpec.Parse(SpecText.Load(SpecPath), baseDir);
    }

    /// <summary>Opens the sweep's registry.</summary>
    public RunRegistry OpenRegistry() => RunRegistry.Open(Registry);

    /// <summary>Where a generated data source lives: SWEEP/data/GENERATOR-HASH8.</summary>
    public string GeneratedDataDir(DataSource d) =>
        Path.Combine(Dir, "data", $"{d.Generator}-{Canonical.Hash(System.Text.Json.Nodes.JsonValue.Create(d.Key))[..8]}");

    /// <summary>
    /// Expands the spec into runs. Generated data sets are written once into SWEEP/data by the library's generators
    /// (<see cref="SweepData.Generate"/>; <paramref name="log"/> hears about each); data folders are opened to learn
    /// their size and vocabulary.
    /// </summary>
    public IReadOnlyList<RunConfig> Expand(TextWriter? log = null) => Expand((d, dir) =>
    {
        log?.WriteLine($"sweep: generating {d.Generator} data into {dir}");
        SweepData.Generate(d, dir);
    });

    /// <summary>Expands the spec with a custom data writer <paramref name="generate"/>(source, folder) (tests).</summary>
    public IReadOnlyList<RunConfig> Expand(Action<DataSource, string> generate)
    {
        var spec = LoadSpec();
        if (spec.Name != Name)
            throw new UserError($"sweep folder '{Dir}' is sweep '{Name}' but its spec now says '{spec.Name}'; restore the name");
        return spec.Expand(d =>
        {
            string dir = d.Dir ?? GeneratedDataDir(d);
            if (d.Generator is not null && !File.Exists(Path.Combine(dir, DataManifest.FileName))) generate(d, dir);
            using var ds = TokenDataset.Open(dir);
            return new DataInfo(dir, ds.Train.Count, ds.VocabSize);
        });
    }

    /// <summary>A registry as shown to people: the SQLite path, or the PostgreSQL host and database without the password.</summary>
    public static string Show(string registry)
    {
        if (!RunRegistry.IsPostgres(registry)) return registry;
        try
        {
            var b = new Npgsql.NpgsqlConnectionStringBuilder(PostgresRegistry.FromUri(registry));
            return $"postgresql://{b.Host}:{b.Port}/{b.Database}";
        }
        catch (ArgumentException)
        {
            return "postgresql (connection string)";
        }
    }
}
