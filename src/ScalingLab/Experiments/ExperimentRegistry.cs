using ScalingLab.Common;

namespace ScalingLab.Experiments;

/// <summary>Every experiment `scalinglab reproduce` knows, by name.</summary>
public static class ExperimentRegistry
{
    /// <summary>The experiments, in the order `reproduce all` runs them.</summary>
    public static IReadOnlyList<IExperiment> All { get; } =
    [
        new KnownEntropyLaw(),
        new DStar(),
        new QfPlateau(),
        new DynamicsBySize(),
        new OverfitSubsets(),
        new RadiusByWidth(),
        new EnglishLaw(),
    ];

    /// <summary>
    /// The experiments a command line names: "all", one name, or a comma-separated list; an unknown name is a
    /// one-line error listing the known ones.
    /// </summary>
    public static IReadOnlyList<IExperiment> Resolve(string names)
    {
        if (names.Trim() == "all") return All;
        var list = new List<IExperiment>();
        foreach (string raw in names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var e = All.FirstOrDefault(x => x.Name == raw)
                    ?? throw new UserError($"reproduce: no experiment named '{raw}'; known: {string.Join(", ", All.Select(x => x.Name))} (or all)");
            if (!list.Contains(e)) list.Add(e);
        }
        if (list.Count == 0) throw new UserError("reproduce: name an experiment, a comma-separated list, or all");
        return list;
    }
}
