using ScalingLab.Dynamics;

namespace ScalingLab.Reports;

/// <summary>
/// The report's "Training dynamics" section (Diehl Martinez et al.): CKA of each layer against the final checkpoint,
/// PER of parameters and gradients, indicators and the MCC table, for the largest-data run of each model size, from
/// <see cref="DynamicsAnalysis.Run"/>.
/// </summary>
public static class DynamicsSection
{
    /// <summary>Builds the section.</summary>
    public static ReportSection Build(ReportContext ctx)
    {
        var s = new ReportSection("dynamics", "Training dynamics");
        var runs = ctx.Done.Where(r => r.Folder.Checkpoints().Count >= 3)
                      .GroupBy(r => r.N).Select(g => g.OrderByDescending(r => r.Config.DataTokens).First()).OrderBy(r => r.N).ToList();
        if (runs.Count == 0) return s.Text("No finished run has the three or more checkpoints the analysis needs.");
        string dynDir = Path.Combine(ctx.AnalysisDir, "dynamics");
        ctx.Record(["dynamics", .. runs.SelectMany(r => new[] { "--run", r.Record.RunDir }), "--out", dynDir]);
        var result = DynamicsAnalysis.Run(new DynamicsOptions
        {
            Runs = runs.Select(r => r.Record.RunDir).ToList(), OutDir = dynDir, Threads = ctx.Threads, Log = ctx.Log,
        });
        s.Text($"Runs analysed (the largest data size of each model size): {string.Join(", ", runs.Select(r => r.Config.Name))}.");
        s.Code(result.Table().Trim());
        foreach (var (name, panels) in DynamicsReport.Charts(result))
            s.Figure($"dynamics-{name}", ChartGrid.ToSvg(panels, panels.Count), $"Dynamics: {Path.GetFileNameWithoutExtension(name)}");
        return s;
    }
}
