using System.Text.Json.Nodes;
using ScalingLab.Reports;
using ScalingLab.Sweeps;
using ScalingLab.Tests.Cli;
using ScalingLab.Training;

namespace ScalingLab.Tests.Sweeps;

public sealed class ReportTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalinglab-report-");

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>A sweep whose runs are "done" with synthetic loss curves L = 2 + 30/N^0.3 + 50/D^0.3 (no training).</summary>
    internal static SweepFolder FakeDoneSweep(string root)
    {
        string data = SweepCliTests.MakeData(Path.Combine(root, "data"));
        string spec = Path.Combine(root, "s.yaml");
        File.WriteAllText(spec, """
            name: fake
            data: { dir: data }
            model: { head_size: 8 }
            train: { batch: 2, seq: 16 }
            axes: { models: [1x8, 2x16, 2x32], data_sizes: [2k, 8k, 16k], seeds: [1] }
            """);
        var folder = SweepFolder.Create(spec, Path.Combine(root, "sw"));
        var runs = folder.Expand((_, _) => throw new InvalidOperationException("no generator"));
        using var reg = folder.OpenRegistry();
        reg.Submit(folder.Dir, runs);
        while (reg.Claim("w") is { } r)
        {
            var c = r.Config;
            double n = ScalingLab.Model.ModelAccounting.NonEmbeddingParams(c.Model);
            Directory.CreateDirectory(r.RunDir);
            double final = 0;
            using (var log = new MetricsLog(Path.Combine(r.RunDir, "metrics.jsonl")))
            {
                for (long t = 256; t <= c.DataTokens; t *= 2)
                {
                    final = 2 + 30 / Math.Pow(n, 0.3) + 50 / Math.Pow(t, 0.3);
                    log.Append(new MetricsRow { Step = t / 32, Tokens = t, TrainLoss = final - 0.01, ValLoss = final });
                }
            }
            reg.Complete(r.Id, "w", new JsonObject { ["final_val_loss"] = final, ["min_val_loss"] = final }.ToJsonString());
        }
        return folder;
    }

    private static List<ReportSection> Sections(SweepFolder folder)
    {
        var done = SweepReport.Collect(folder, out var all);
        return
        [
            SweepReport.RunsTable(folder, all, done), SweepReport.LossCurves(done),
            new ReportSection("laws", "Scaling laws").Text("placeholder"),
            SweepReport.Provenance(folder, ["scalinglab report x"]),
        ];
    }

    [Fact]
    public void HtmlIsSelfContainedAndHasEverySection()
    {
        var folder = FakeDoneSweep(_dir.FullName);
        var sections = Sections(folder);
        string html = ReportDocument.Write(folder.Dir, "t", sections);
        string text = File.ReadAllText(html);
        Assert.DoesNotContain("<script", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=\"http", text);
        Assert.DoesNotContain("<?xml", text);
        foreach (var s in sections) Assert.Contains($"<section id=\"{s.Id}\">", text);
        // loss curves + loss vs N, each an image of its own SVG (no markup pasted into the page)
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(text, "<img src=\"data:image/svg\\+xml;base64,").Count);
        Assert.DoesNotContain("<svg", text);
        Assert.Contains("main-2x32-d16k-s1", text); // run names in the table
        string md = File.ReadAllText(Path.Combine(folder.Dir, "report.md"));
        Assert.Contains("## Loss curves", md);
        Assert.Contains("](report-files/loss-main.svg)", md);
        Assert.True(File.Exists(Path.Combine(folder.Dir, "report-files", "loss-main.svg")));
        Assert.Contains("| main-1x8-d2k-s1 |", md);
    }

    [Fact]
    public void RenderedReportShowsPlotsAndEverySection()
    {
        if (RenderCheck.Chromium() is null)
        {
            // scripts/setup.sh installs Debian's chromium; without it there is nothing to render with.
            Console.Error.WriteLine("skipped: Chromium not installed");
            return;
        }
        var folder = FakeDoneSweep(_dir.FullName);
        var sections = Sections(folder);
        string html = ReportDocument.Write(folder.Dir, "t", sections);
        string png = Path.Combine(folder.Dir, "report.png");
        // One render (Chromium is slow to start): the real titles must all be found, the made-up one must be missed.
        var result = RenderCheck.Run(html, png, [.. sections.Select(s => s.Title), "No such section"]);
        if (Environment.GetEnvironmentVariable("SCALINGLAB_KEEP_PNG") is { Length: > 0 } keep) File.Copy(png, keep, overwrite: true);
        Assert.Equal(["No such section"], result.MissingSections);
        Assert.True(result with { MissingSections = [] } is { Ok: true }, result.ToString());
    }
}
