using ScalingLab.Reports;

namespace ScalingLab.Tests.Reports;

public sealed class RenderCheckTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalinglab-render-test-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static bool NoChromium()
    {
        if (RenderCheck.Chromium() is not null) return false;
        Console.Error.WriteLine("skipped: Chromium not installed (scripts/setup.sh installs it)");
        return true;
    }

    /// <summary>Four histogram panels (as the radius figure draws them), a log-log chart with a band, and a contour-like set of segments.</summary>
    private static List<ReportSection> Figures()
    {
        var rng = new Random(3);
        var panels = Enumerable.Range(0, 4).Select(i =>
        {
            var c = new Chart($"{25 * (i + 1)}% subset", "nearest-neighbour distance", "vectors") { Width = 560, Height = 400 };
            c.Histogram("NN distances", Enumerable.Range(0, 200 * (i + 1)).Select(_ => 2 + rng.NextDouble() + rng.NextDouble()), 25);
            c.RefLines.Add(new RefLine(3, true, "2r = 3") { Color = "#d62728" });
            return c;
        }).ToList();
        var log = new Chart("loss vs N", "N", "loss", AxisScale.Log, AxisScale.Log);
        double[] n = [1e3, 3e3, 1e4, 3e4, 1e5];
        log.Band("band", n, [2.9, 2.7, 2.6, 2.4, 2.3], [3.2, 3.0, 2.8, 2.7, 2.6]).Scatter("runs", n, [3.1, 2.9, 2.7, 2.55, 2.45])
           .Line("fit", n, [3.05, 2.88, 2.71, 2.56, 2.44], dashed: true);
        var steps = Enumerable.Range(0, 40).Select(i => Math.Pow(2, i / 4.0)).ToArray();
        var mlp = new Chart("MLP layers", "step + 1", "CKA", AxisScale.Log);
        for (int l = 0; l < 6; l++) mlp.Line($"layer {l}", steps, steps.Select(s => 1 - Math.Exp(-s / (20.0 * (l + 1)))).ToArray());
        return
        [
            new ReportSection("radius", "Radius").Figure("radius.svg", ChartGrid.ToSvg(panels, 2), "NN distances per subset"),
            new ReportSection("fit", "Fit").Figure("fit.svg", log.ToSvg(), "loss vs N").Figure("mlp.svg", mlp.ToSvg(), "MLP CKA"),
        ];
    }

    [Fact]
    public void EveryFigureInTheReportRendersAsItsOwnFile()
    {
        if (NoChromium()) return;
        var sections = Figures();
        string html = ReportDocument.Write(_dir.FullName, "figures", sections);
        var result = RenderCheck.Run(html, Path.Combine(_dir.FullName, "page.png"), sections.Select(s => s.Title).ToList());
        Assert.True(result.Ok, result.ToString());
        Assert.Equal(3, result.Figures.Count);
        // Each figure drew plotted pixels, as many as its file shows (to 1%: anti-aliasing at the edges).
        Assert.All(result.Figures, f => Assert.InRange(f.PlottedPixels, 500, long.MaxValue));
        Assert.All(result.Figures, f => Assert.InRange(f.PlottedPixels, 0.99 * f.StandalonePlottedPixels, 1.01 * f.StandalonePlottedPixels));
        // The four histogram panels: each quadrant of the embedded figure holds bars.
        var page = PngImage.Read(result.Png);
        var radius = result.Figures.Single(f => f.File.EndsWith("radius.svg"));
        for (int q = 0; q < 4; q++)
        {
            int x0 = radius.X + (q % 2) * radius.Width / 2, y0 = radius.Y + (q / 2) * radius.Height / 2;
            long coloured = 0;
            for (int y = y0; y < y0 + radius.Height / 2; y++)
                for (int x = x0; x < x0 + radius.Width / 2; x++)
                    if (RenderCheck.Coloured(page[x, y])) coloured++;
            Assert.True(coloured > 2000, $"panel {q} of the radius figure shows {coloured} plotted pixels");
        }
    }

    [Fact]
    public void InlineSvgsWithTheSameClipIdAreCaught()
    {
        // The old report's bug: two figures pasted into one page, both clipping with id "c0clip". The second figure's
        // url(#c0clip) resolves to the first's 40-px-wide clip, so its bar (x 100..300) vanishes in the page while its
        // own file shows it.
        if (NoChromium()) return;
        static string Svg(int clipWidth, string color) =>
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"400\" height=\"200\" viewBox=\"0 0 400 200\">" +
            $"<rect width=\"400\" height=\"200\" fill=\"white\"/><clipPath id=\"c0clip\"><rect x=\"0\" y=\"0\" width=\"{clipWidth}\" height=\"200\"/></clipPath>" +
            $"<g clip-path=\"url(#c0clip)\"><rect x=\"10\" y=\"20\" width=\"20\" height=\"150\" fill=\"{color}\"/><rect x=\"100\" y=\"20\" width=\"200\" height=\"150\" fill=\"{color}\"/></g></svg>";
        string a = Svg(40, "#1f77b4"), b = Svg(400, "#d62728");
        File.WriteAllText(Path.Combine(_dir.FullName, "a.svg"), a);
        File.WriteAllText(Path.Combine(_dir.FullName, "b.svg"), b);
        string html = Path.Combine(_dir.FullName, "inline.html");
        File.WriteAllText(html, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>t</title><style>body{margin:0}figure{margin:0}svg{display:block}</style></head><body>" +
            $"<h2>Inline</h2><figure>{a.Replace("<svg ", "<svg data-file=\"a.svg\" ")}</figure><figure>{b.Replace("<svg ", "<svg data-file=\"b.svg\" ")}</figure></body></html>");
        var result = RenderCheck.Run(html, Path.Combine(_dir.FullName, "inline.png"), ["Inline"]);
        Assert.False(result.Ok);
        Assert.Equal(2, result.Figures.Count);
        Assert.True(result.Figures[0].Ok, result.Figures[0].ToString());
        var second = result.Figures[1];
        Assert.False(second.Ok);
        Assert.True(second.PlottedPixels < second.StandalonePlottedPixels / 5, second.ToString());
        Assert.True(second.DifferingFraction > 0.3, second.ToString());
    }
}
