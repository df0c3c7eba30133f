using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ScalingLab.Common;
using ScalingLab.Model;
using ScalingLab.Training;

namespace ScalingLab.Sweeps;

/// <summary>
/// Where a grid's tokens come from: a data folder written by `scalinglab data`, or a built-in generator
/// ("markov" or "qf") with its options, materialised once into the sweep folder.
/// </summary>
public sealed record DataSource(string? Dir, string? Generator, JsonObject? Options)
{
    /// <summary>A stable text that identifies the data (the folder, or the generator and its options).</summary>
    public string Key => Dir ?? $"{Generator}:{Canonical.Json(Options ?? new JsonObject())}";
}

/// <summary>One model shape of the grid: "LxD" or explicit fields.</summary>
public sealed record ModelShape(string Label, int NLayer, int DModel, int? NHead, int? DFf);

/// <summary>A data size: a token count, or a fraction of the training split.</summary>
public sealed record DataSize(long? Tokens, double? Fraction)
{
    /// <summary>Short label for run names ("200k", "50pct").</summary>
    public string Label => Tokens is long t ? Canonical.Count(t) : $"{Fraction!.Value * 100:0.##}pct";

    /// <summary>The number of training tokens this size means for a training split of <paramref name="trainTokens"/>.</summary>
    public long Resolve(long trainTokens) => Tokens ?? (long)Math.Floor(Fraction!.Value * trainTokens);
}

/// <summary>A grid: every model shape × data size × seed, on one data source with one set of settings.</summary>
public sealed record SweepGrid(string Name, DataSource Data, ModelFlavour Flavour, int NCtx, int HeadSize,
                               IReadOnlyList<ModelShape> Models, IReadOnlyList<DataSize> DataSizes,
                               IReadOnlyList<ulong> Seeds, TrainConfig Train, int ThreadsPerRun);

/// <summary>What the expansion needs to know about a data source once it exists on disk.</summary>
public sealed record DataInfo(string Dir, long TrainTokens, int VocabSize);

/// <summary>
/// A sweep spec (YAML or JSON): a base config, axes, a data source, and optional extra grids.
/// <code>
/// name: tiny
/// data: { generator: markov, options: { order: 2, vocab: 64, tokens: 2M } }
/// model: { flavour: gpt2, head_size: 32 }
/// train: { batch: 8, seq: 64, lr: 1e-3 }
/// axes: { models: [2x64, 4x128], data_sizes: [200k, 0.5], seeds: [1] }
/// grids: [ { name: qf, data: { generator: qf }, axes: { models: [6x64] } } ]   # optional
/// </code>
/// Every grid inherits the top-level fields and overrides what it names (data as a whole). Expanding gives one
/// <see cref="RunConfig"/> per point, each with a stable config hash.
/// </summary>
public sealed class SweepSpec
{
    private static readonly Regex NamePattern = new("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$");

    /// <summary>The sweep's name (letters, digits, '-', '_', '.').</summary>
    public required string Name { get; init; }

    /// <summary>The grids (at least one).</summary>
    public required IReadOnlyList<SweepGrid> Grids { get; init; }

    /// <summary>Parses and validates a spec; relative data folders are resolved against <paramref name="baseDir"/>.</summary>
    public static SweepSpec Parse(JsonObject root, string baseDir)
    {
        var top = new SpecFields(root, "");
        string name = top.String("name") ?? throw top.Error("name", "is missing; give the sweep a name, e.g. name: tiny");
        if (!NamePattern.IsMatch(name)) throw top.Error("name", $"'{name}' must be letters, digits, '-', '_' or '.' (at most 64)");
        var grids = new List<SweepGrid>();
        var extra = top.Array("grids");
        var baseObj = (JsonObject)root.DeepClone();
        baseObj.Remove("grids");
        baseObj.Remove("name");
        if (baseObj.ContainsKey("axes") || extra is null)
            grids.Add(ParseGrid(baseObj, "main", "", baseDir));
        if (extra is not null)
        {
            for (int i = 0; i < extra.Count; i++)
            {
                if (extra[i] is not JsonObject g) throw top.Error($"grids[{i}]", "must be a mapping of fields");
                var merged = Canonical.Merge(baseObj, g);
                // A grid's data source replaces the base one whole: a generator's options never mix with another's.
                if (g["data"] is JsonObject gd) merged["data"] = gd.DeepClone();
                string gname = (g["name"] is JsonValue gv && gv.TryGetValue(out string? gs) ? gs : null) ?? throw top.Error($"grids[{i}].name", "is missing");
                grids.Add(ParseGrid(merged, gname, $"grids[{i}]", baseDir));
            }
        }
        top.RejectUnknown("data", "model", "train", "axes", "threads_per_run");
        var dup = grids.GroupBy(g => g.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new UserError($"sweep spec: two grids are named '{dup.Key}'; give each a different name");
        return new SweepSpec { Name = name, Grids = grids };
    }

    /// <summary>Reads a spec file (YAML or JSON).</summary>
    public static SweepSpec Load(string path) =>
        Parse(SpecText.Load(path), Path.GetDirectoryName(Path.GetFullPath(path))!);

    private static SweepGrid ParseGrid(JsonObject obj, string name, string path, string baseDir)
    {
        var f = new SpecFields(obj, path);
        if (path.Length > 0) f.Raw("name");
        if (!NamePattern.IsMatch(name)) throw f.Error("name", $"'{name}' must be letters, digits, '-', '_' or '.'");

        var dataObj = f.Object("data") ?? throw f.Error("data", "is missing; give data: { dir: FOLDER } or data: { generator: markov }");
        var data = ParseData(new SpecFields(dataObj, f.Name("data")), baseDir);

        var modelObj = f.Object("model") ?? new JsonObject();
        var mf = new SpecFields(modelObj, f.Name("model"));
        string flavourText = mf.String("flavour") ?? "gpt2";
        var flavour = flavourText switch
        {
            "gpt2" => ModelFlavour.Gpt2,
            "neox" => ModelFlavour.NeoX,
            _ => throw mf.Error("flavour", $"'{flavourText}' is not a flavour; use gpt2 or neox"),
        };
        int headSize = mf.Int("head_size", 64, 1, 4096);

        var trainObj = f.Object("train") ?? new JsonObject();
        var train = ParseTrain(new SpecFields(trainObj, f.Name("train")));
        int nCtx = mf.Int("n_ctx", train.Seq, 1, 1 << 16);
        if (train.Seq > nCtx) throw mf.Error("n_ctx", $"({nCtx}) must be ≥ train.seq ({train.Seq})");
        mf.RejectUnknown();

        var axesObj = f.Object("axes") ?? throw f.Error("axes", "is missing; give axes: { models: [2x64], data_sizes: [100k] }");
        var af = new SpecFields(axesObj, f.Name("axes"));
        var models = ParseModels(af);
        var sizes = ParseSizes(af);
        var seedsArr = af.Array("seeds") ?? new JsonArray(1);
        var seeds = new List<ulong>();
        for (int i = 0; i < seedsArr.Count; i++)
        {
            if (SpecFields.Number(seedsArr[i]) is double s && s >= 0 && s == Math.Floor(s) && s < 1e18) seeds.Add((ulong)s);
            else throw af.Error($"seeds[{i}]", "must be a whole number ≥ 0");
        }
        if (seeds.Count == 0) throw af.Error("seeds", "is empty; give at least one seed");
        if (seeds.Distinct().Count() != seeds.Count) throw af.Error("seeds", "lists a seed twice");
        af.RejectUnknown();

        int threads = f.Int("threads_per_run", 1, 1, 256);
        f.RejectUnknown();
        foreach (var m in models)
        {
            try
            {
                Shape(m, flavour, nCtx, headSize, vocab: 256);
            }
            catch (UserError e)
            {
                throw new UserError($"sweep spec: {af.Name("models")} '{m.Label}': {e.Message}");
            }
        }
        return new SweepGrid(name, data, flavour, nCtx, headSize, models, sizes, seeds, train, threads);
    }

    private static DataSource ParseData(SpecFields f, string baseDir)
    {
        string? dir = f.String("dir");
        string? gen = f.String("generator");
        var options = f.Object("options");
        f.RejectUnknown();
        if ((dir is null) == (gen is null))
            throw f.Error("", $"needs exactly one of dir (a folder written by `scalinglab data`) or generator ({string.Join(", ", Data.GeneratedData.Names)})");
        if (gen is not null && !Data.GeneratedData.Names.Contains(gen))
            throw f.Error("generator", $"'{gen}' is not a built-in generator; use {string.Join(", ", Data.GeneratedData.Names)}");
        if (dir is not null && options is not null) throw f.Error("options", "applies only to a generator");
        if (gen is not null) SweepData.Validate(gen, options, f.Name("options"));
        return dir is not null
            ? new DataSource(Path.GetFullPath(Path.Combine(baseDir, dir)), null, null)
            : new DataSource(null, gen, options is null ? null : (JsonObject)options.DeepClone());
    }

    /// <summary>
    /// The spec's <c>train:</c> as the trainer's own <see cref="TrainConfig"/>: unnamed settings keep the trainer's
    /// defaults, and the trainer's range checks run here with each setting named as the spec names it (train.seq).
    /// A run's tokens, seed and threads come from the axes, its data folder from the data source.
    /// </summary>
    private static TrainConfig ParseTrain(SpecFields f)
    {
        var d = new TrainConfig();
        var t = d with
        {
            Batch = f.Int("batch", d.Batch), Seq = f.Int("seq", d.Seq), Accum = f.Int("accum", d.Accum),
            Lr = f.Double("lr", d.Lr), MinLrRatio = f.Double("min_lr_ratio", d.MinLrRatio), Warmup = f.Long("warmup", d.Warmup),
            Beta1 = (float)f.Double("beta1", d.Beta1), Beta2 = (float)f.Double("beta2", d.Beta2), Eps = (float)f.Double("eps", d.Eps),
            WeightDecay = (float)f.Double("weight_decay", d.WeightDecay), GradClip = f.Double("grad_clip", d.GradClip),
            EvalEvery = f.Long("eval_every", d.EvalEvery), EvalWindows = f.Int("eval_windows", d.EvalWindows),
            CkptEvery = f.Long("ckpt_every", d.CkptEvery), CkptLogUntil = f.Long("ckpt_log_until", d.CkptLogUntil),
            Gemm = f.String("gemm") ?? d.Gemm, Windows = f.String("windows") is { } w && w != "auto" ? w : null,
            Subset = f.Has("subset") ? f.Double("subset", 1, 0, 1, minExclusive: true) : null,
            Repeat = f.String("repeat") switch
            {
                null or "false" => null,
                "true" => true,
                var x => throw f.Error("repeat", $"must be true or false (got {x})"),
            },
        };
        string precision = f.String("precision") ?? "fp32";
        if (precision.Trim().ToLowerInvariant() is not ("fp32" or "bf16" or "auto"))
            throw f.Error("precision", $"'{precision}' is not a precision; use fp32, bf16 or auto");
        t = t with { Precision = Tensors.Precision.Resolve(precision) == "bf16" ? "bf16" : "fp32" };
        f.RejectUnknown();
        try
        {
            return t.Validate();
        }
        catch (UserError e)
        {
            throw e.Named(key => f.Name(key), "sweep spec");
        }
    }

    private static List<ModelShape> ParseModels(SpecFields af)
    {
        var arr = af.Array("models") ?? throw af.Error("models", "is missing; list shapes such as [2x64, 4x128]");
        if (arr.Count == 0) throw af.Error("models", "is empty; list at least one shape");
        var list = new List<ModelShape>();
        for (int i = 0; i < arr.Count; i++)
        {
            string at = $"models[{i}]";
            switch (arr[i])
            {
                case JsonValue v when v.TryGetValue(out string? s):
                    var parts = s.Trim().ToLowerInvariant().Split('x');
                    if (parts.Length != 2 || !int.TryParse(parts[0], out int l) || !int.TryParse(parts[1], out int d) || l < 1 || d < 1)
                        throw af.Error(at, $"'{s}' is not a shape; write LAYERSxWIDTH, e.g. 4x128");
                    list.Add(new ModelShape($"{l}x{d}", l, d, null, null));
                    break;
                case JsonObject o:
                    var mf = new SpecFields(o, af.Name(at));
                    int nl = mf.Int("n_layer", 0, 1, 1024);
                    int dm = mf.Int("d_model", 0, 1, 1 << 16);
                    if (nl == 0) throw mf.Error("n_layer", "is missing");
                    if (dm == 0) throw mf.Error("d_model", "is missing");
                    int? nh = mf.Has("n_head") ? mf.Int("n_head", 1, 1, 1024) : null;
                    int? ff = mf.Has("d_ff") ? mf.Int("d_ff", 1, 1, 1 << 20) : null;
                    mf.RejectUnknown();
                    string label = $"{nl}x{dm}" + (nh is null ? "" : $"h{nh}") + (ff is null ? "" : $"f{ff}");
                    list.Add(new ModelShape(label, nl, dm, nh, ff));
                    break;
                default:
                    throw af.Error(at, "must be a shape such as 4x128 or { n_layer: 4, d_model: 128 }");
            }
        }
        if (list.Select(m => m.Label).Distinct().Count() != list.Count) throw af.Error("models", "lists a shape twice");
        return list;
    }

    private static List<DataSize> ParseSizes(SpecFields af)
    {
        var arr = af.Array("data_sizes") ?? new JsonArray(1.0);
        if (arr.Count == 0) throw af.Error("data_sizes", "is empty; give token counts (200k) or fractions (0.5)");
        var list = new List<DataSize>();
        for (int i = 0; i < arr.Count; i++)
        {
            double d = double.NaN;
            if (arr[i] is JsonValue v)
            {
                if (SpecFields.Number(v) is double n) d = n;
                else if (v.TryGetValue(out string? s) && SpecFields.TryParseCount(s, out double p)) d = p;
            }
            if (!(d > 0)) throw af.Error($"data_sizes[{i}]", "must be a token count ≥ 1 (e.g. 200k) or a fraction in (0, 1]");
            // A number in (0, 1] is a fraction of the training split; above 1 it is a token count.
            if (d <= 1) list.Add(new DataSize(null, d));
            else if (d == Math.Floor(d)) list.Add(new DataSize((long)d, null));
            else throw af.Error($"data_sizes[{i}]", $"{d.ToString(CultureInfo.InvariantCulture)} is neither a whole token count nor a fraction in (0, 1]");
        }
        if (list.Select(s => s.Label).Distinct().Count() != list.Count) throw af.Error("data_sizes", "lists a size twice");
        return list;
    }

    /// <summary>The model config of <paramref name="m"/> on this grid (d_ff = 4·d_model and heads of head_size unless given).</summary>
    public static ModelConfig Shape(ModelShape m, ModelFlavour flavour, int nCtx, int headSize, int vocab)
    {
        int heads = m.NHead ?? Math.Max(1, m.DModel / headSize);
        return new ModelConfig
        {
            NLayer = m.NLayer, DModel = m.DModel, NHead = heads, DFf = m.DFf ?? 4 * m.DModel,
            NCtx = nCtx, VocabSize = vocab, Flavour = flavour,
        }.Validate();
    }

    /// <summary>
    /// Every run of the sweep: grids in order, then model × data size × seed. <paramref name="resolve"/> turns a data
    /// source into a folder on disk (materialising a generator once) with its training-split size and vocabulary.
    /// </summary>
    public IReadOnlyList<RunConfig> Expand(Func<DataSource, DataInfo> resolve)
    {
        var runs = new List<RunConfig>();
        foreach (var g in Grids)
        {
            var info = resolve(g.Data);
            foreach (var m in g.Models)
            foreach (var size in g.DataSizes)
            foreach (var seed in g.Seeds)
            {
                long available = g.Train.Subset is double sub ? Math.Max(1, (long)Math.Floor(sub * info.TrainTokens)) : info.TrainTokens;
                long tokens = size.Resolve(info.TrainTokens);
                if (tokens > available && g.Train.Repeat != true)
                    throw new UserError($"sweep spec: grid '{g.Name}' asks for {tokens} training tokens but the data has {available}{(g.Train.Subset is null ? "" : " in train.subset")}; lower axes.data_sizes, make more data, or set train.repeat: true to train several epochs");
                if (tokens < (long)g.Train.Batch * g.Train.Accum * g.Train.Seq)
                    throw new UserError($"sweep spec: grid '{g.Name}' data size {size.Label} is less than one update ({g.Train.Batch}×{g.Train.Accum}×{g.Train.Seq} tokens); raise it or shrink train.batch");
                runs.Add(new RunConfig
                {
                    Sweep = Name,
                    Grid = g.Name,
                    Name = $"{g.Name}-{m.Label}-d{size.Label}-s{seed}",
                    Model = Shape(m, g.Flavour, g.NCtx, g.HeadSize, info.VocabSize),
                    Train = g.Train with { Tokens = tokens, Seed = seed, Threads = g.ThreadsPerRun },
                    DataKey = g.Data.Key,
                    DataDir = info.Dir,
                    DataTokens = tokens,
                    Seed = seed,
                    Threads = g.ThreadsPerRun,
                });
            }
        }
        var dup = runs.GroupBy(r => r.Hash).FirstOrDefault(x => x.Count() > 1);
        if (dup is not null) throw new UserError($"sweep spec: runs '{string.Join("', '", dup.Select(r => r.Name))}' are the same run; remove the duplicate grid");
        return runs;
    }
}
