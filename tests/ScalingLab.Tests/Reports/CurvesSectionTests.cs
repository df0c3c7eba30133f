using System.Text.Json.Nodes;
using ScalingLab.Reports;
using ScalingLab.Sweeps;
using ScalingLab.Tests.Sweeps;
using ScalingLab.Tests.Laws;
using ScalingLab.Training;

namespace ScalingLab.Tests.Reports;

public sealed class CurvesSectionTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalinglab-curves-");

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>
    /// A sweep whose runs are "done" without training: every step logged with a training loss that falls with steps
    /// and N, and (with <paramref name="accum"/> 2) gradient norms drawn from a known noise scale, as the trainer logs them.
    /// </summary>
    private static SweepFolder FakeSweep(string root, int accum)
    {
        string data = SweepCliTests.MakeData(Path.Combine(root, "data"));
        string spec = Path.Combine(root, "s.yaml");
        File.WriteAllText(spec, $$"""
            name: fake
            data: { dir: data }
            model: { head_size: 8 }
            train: { batch: 2, seq: 16, accum: {{accum}} }
            axes: { models: [1x8, 2x16, 2x32], data_sizes: [8k, 16k], seeds: [1] }
            """);
        var folder = SweepFolder.Create(spec, Path.Combine(root, "sw"));
        var runs = folder.Expand((_, _) => throw new InvalidOperationException("no generator"));
        using var reg = folder.OpenRegistry();
        reg.Submit(folder.Dir, runs);
        int k = 0;
        while (reg.Claim("w") is { } r)
        {
            var c = r.Config;
            double n = ScalingLab.Model.ModelAccounting.NonEmbeddingParams(c.Model);
            double scale = 3 + 30 / Math.Pow(n, 0.3);
            var sim = NoiseScaleAnalysisTests.Simulate(scale, 2e4, 0.2, (int)c.Steps, 32, 32 * accum + (accum == 1 ? 1 : 0), (ulong)(100 + k++), dim: 64);
            Directory.CreateDirectory(r.RunDir);
            double final = 0;
            using (var log = new MetricsLog(Path.Combine(r.RunDir, "metrics.jsonl")))
            {
                foreach (var m in sim)
                {
                    final = m.TrainLoss!.Value;
                    bool eval = m.Step % 10 == 0 || m.Step == c.Steps;
                    log.Append(m with
                    {
                        Tokens = m.Step * c.Train.TokensPerStep, GradNormMicro = accum > 1 ? m.GradNormMicro : null,
                        ValLoss = eval ? final : null, TrainEvalLoss = eval ? final : null,
                    });
                }
            }
            reg.Complete(r.Id, "w", new JsonObject { ["final_val_loss"] = final, ["min_val_loss"] = final }.ToJsonString());
        }
        return folder;
    }

    private static (ReportSection Section, CurvesFindings? Findings) Build(SweepFolder folder)
    {
        var done = SweepReport.Collect(folder, out _);
        var ctx = new ReportContext(folder, done, Path.Combine(folder.Dir, "analysis"), new ReportOptions { Bootstrap = 0, Threads = 2 }, TextWriter.Null);
        var s = CurvesSection.Build(ctx, out var f);
        return (s, f);
    }

    private static string Text(ReportSection s) =>
        string.Join("\n", s.Blocks.Select(b => b switch { ReportText t => t.Text, ReportTable t => string.Join("|", t.Rows.SelectMany(r => r)), _ => "" }));

    [Fact]
    public void RunsWithAccumulationGetBCritPerRunAFigureAndTheLearningCurveFit()
    {
        var folder = FakeSweep(_dir.FullName, accum: 2);
        var (s, f) = Build(folder);
        Assert.NotNull(f);
        Assert.Equal(6, f!.NoiseScale.Runs.Count);
        Assert.Empty(f.NoiseScale.NotLogged);
        Assert.All(f.NoiseScale.Runs, r => Assert.NotEmpty(r.Bins));
        Assert.NotNull(f.NoiseScale.Fit);
        Assert.NotNull(f.LearningCurves);
        Assert.Equal(6, f.LearningCurves!.RunsCorrected);
        Assert.Equal(["curves-bcrit.svg", "curves-lns.svg"], s.Blocks.OfType<ReportFigure>().Select(x => x.FileName));
        string text = Text(s);
        Assert.Contains("2E+08", text); // Kaplan's B_* beside ours
        Assert.Contains("WebText2", text);
        Assert.True(File.Exists(Path.Combine(folder.Dir, "analysis", "curves", "noise-scale.json")));
        Assert.True(File.Exists(Path.Combine(folder.Dir, "analysis", "curves", "learning-curves.json")));
    }

    [Fact]
    public void RunsWithoutAccumulationSayHowToEnableTheNoiseScale()
    {
        var (s, f) = Build(FakeSweep(_dir.FullName, accum: 1));
        Assert.Empty(f!.NoiseScale.Runs);
        Assert.Equal(6, f.NoiseScale.NotLogged.Count);
        string text = Text(s);
        Assert.Contains("did not log grad_norm_micro", text);
        Assert.Contains("train.accum: 2", text);
        Assert.Contains("S_min = S: no run measured B_crit", text); // the learning curves are fitted uncorrected, and say so
        Assert.Equal(["curves-lns.svg"], s.Blocks.OfType<ReportFigure>().Select(x => x.FileName));
    }
}
