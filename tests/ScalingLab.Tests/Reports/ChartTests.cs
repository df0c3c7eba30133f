using System.Globalization;
using System.Xml.Linq;
using ScalingLab.Reports;

namespace ScalingLab.Tests.Reports;

public class ChartTests
{
    private static readonly XNamespace S = "http://www.w3.org/2000/svg";

    [Fact]
    public void LinearTicksStepByOneTwoOrFive()
    {
        var t = Ticks.For(0, 10, AxisScale.Linear);
        Assert.Equal([0, 2, 4, 6, 8, 10], t.Select(x => x.Value));
        Assert.Equal(["0", "2", "4", "6", "8", "10"], t.Select(x => x.Label));
        var u = Ticks.For(0.1, 0.4, AxisScale.Linear);
        Assert.Equal(["0.10", "0.15", "0.20", "0.25", "0.30", "0.35", "0.40"], u.Select(x => x.Label));
        Assert.Equal(0.05, Ticks.LinearStep(0.1, 0.4, 6), 12);
        Assert.Equal(500, Ticks.LinearStep(0, 3000, 6), 12);
    }

    [Fact]
    public void LogTicksLabelDecadesWithMinorTicksBetween()
    {
        var t = Ticks.For(1e2, 1e6, AxisScale.Log);
        var majors = t.Where(x => x.Major).ToList();
        Assert.Equal([1e2, 1e3, 1e4, 1e5, 1e6], majors.Select(x => x.Value));
        Assert.Equal(["100", "1000", "1e4", "1e5", "1e6"], majors.Select(x => x.Label));
        // 2..9 × 10^k between each pair of decades, unlabelled on a 4-decade axis.
        Assert.Equal(4 * 8, t.Count(x => !x.Major));
        Assert.All(t.Where(x => !x.Major), x => Assert.Equal("", x.Label));
        Assert.Contains(t, x => Math.Abs(x.Value - 3e4) < 1e-6);
    }

    [Fact]
    public void NarrowLogAxisLabelsMinorTicksAndWideOneThinsDecades()
    {
        // 2..9 on a log axis: less than a decade, so every mantissa is labelled.
        var narrow = Ticks.For(2, 9, AxisScale.Log);
        Assert.Equal(["2", "3", "4", "5", "6", "7", "8", "9"], narrow.Where(x => x.Label != "").Select(x => x.Label));
        // Under half a decade: linear steps, still placed on the log axis.
        var tight = Ticks.For(2, 3.4, AxisScale.Log);
        Assert.Equal(["2.0", "2.2", "2.4", "2.6", "2.8", "3.0", "3.2", "3.4"], tight.Select(x => x.Label));
        // 20 decades: at most ~8 labelled, no minor ticks.
        var wide = Ticks.For(1e0, 1e20, AxisScale.Log);
        Assert.InRange(wide.Count(x => x.Label != ""), 5, 11);
        Assert.Contains(wide, x => x.Label == "1e18"); // every third decade, anchored at 10^0
    }

    [Fact]
    public void SvgIsWellFormedScalableAndEscapesText()
    {
        var chart = new Chart("loss vs N", "parameters N", "loss", AxisScale.Log, AxisScale.Log);
        chart.Scatter("runs", [1e2, 1e3, 1e4, -5, double.NaN], [1, 10, 100, 3, 3]);
        chart.Line("fit <α=0.3 & β>", [1e2, 1e4], [1, 100], dashed: true);
        chart.Band("90% band", [1e2, 1e4], [1, 50], [2, 100]);
        var doc = XDocument.Parse(chart.ToSvg());
        Assert.Equal("0 0 900 600", doc.Root!.Attribute("viewBox")!.Value);
        Assert.Contains(doc.Descendants(S + "text"), t => t.Value.Trim() == "fit <α=0.3 & β>"); // escaped, round-trips
        var ids = doc.Descendants().Select(e => e.Attribute("id")?.Value).OfType<string>().ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void LogAxisPlacesPointsByDecade()
    {
        // Three points a decade apart on log-log axes with fixed ends: in the picture the middle one is halfway.
        var chart = new Chart("", "N", "loss", AxisScale.Log, AxisScale.Log) { Width = 600, Height = 500 };
        chart.X.Min = 50; chart.X.Max = 2e4; chart.Y.Min = 0.5; chart.Y.Max = 200;
        chart.Series.Add(new Series("runs", [1e2, 1e3, 1e4], [1, 10, 100]) { Kind = SeriesKind.Scatter, Color = "#d62728", MarkerRadius = 5, InLegend = false });
        string png = Path.Combine(Path.GetTempPath(), $"scalinglab-chart-{Environment.ProcessId}.png");
        chart.Save(png);
        try
        {
            var img = PngImage.Read(png);
            Assert.Equal((600, 500), (img.Width, img.Height));
            // Red pixels, grouped into three blobs by x.
            var red = new List<(int X, int Y)>();
            for (int y = 0; y < img.Height; y++)
                for (int x = 0; x < img.Width; x++)
                    if (img[x, y] is var p && p.R > 180 && p.G < 90 && p.B < 90) red.Add((x, y));
            var blobs = red.OrderBy(p => p.X).Aggregate(new List<List<(int X, int Y)>>(), (acc, p) =>
            {
                if (acc.Count == 0 || p.X - acc[^1][^1].X > 3) acc.Add([]);
                acc[^1].Add(p);
                return acc;
            }).Select(b => (X: b.Average(p => p.X), Y: b.Average(p => p.Y))).ToList();
            Assert.Equal(3, blobs.Count);
            Assert.Equal((blobs[0].X + blobs[2].X) / 2, blobs[1].X, 1.0);
            Assert.Equal((blobs[0].Y + blobs[2].Y) / 2, blobs[1].Y, 1.0);
            Assert.True(blobs[2].Y < blobs[0].Y); // larger y is higher up
        }
        finally { File.Delete(png); }
    }

    [Fact]
    public void HistogramCountsEveryFiniteValueOnce()
    {
        var chart = new Chart("h").Histogram("values", [0, 0.1, 0.5, 0.99, 1.0, double.NaN], bins: 2);
        var bars = chart.Bars.Single();
        Assert.Equal([0, 0.5], bars.Left);
        Assert.Equal([2, 3], bars.Height); // [0, 0.5) holds 0 and 0.1; [0.5, 1] holds 0.5, 0.99, 1.0
        Assert.NotEmpty(XDocument.Parse(chart.ToSvg()).Descendants(S + "path"));
    }

    [Fact]
    public void GridFitsTheReportColumnWithUniqueIds()
    {
        var a = new Chart("a") { Width = 560, Height = 400 }.Line("x", [0, 1], [0, 1]);
        var b = new Chart("b") { Width = 560, Height = 400 }.Line("y", [0, 1], [1, 0]);
        var doc = XDocument.Parse(ChartGrid.ToSvg([a, b, a, b], 2));
        // Two 560-px panels do not fit 1060 px: scaled to 530 × 378 each, 2 × 2.
        Assert.Equal("1060", doc.Root!.Attribute("width")!.Value);
        Assert.Equal("756", doc.Root!.Attribute("height")!.Value);
        var clips = doc.Descendants(S + "clipPath").Select(c => c.Attribute("id")!.Value).ToList();
        Assert.True(clips.Count >= 4);
        Assert.Equal(clips.Count, clips.Distinct().Count());
        // Three 640-px panels: two columns, two rows.
        var wide = Enumerable.Range(0, 3).Select(_ => new Chart("w") { Width = 640, Height = 480 }.Line("x", [0, 1], [0, 1])).ToList();
        var w = XDocument.Parse(ChartGrid.ToSvg(wide, 3)).Root!;
        Assert.Equal(("1060", "794"), (w.Attribute("width")!.Value, w.Attribute("height")!.Value));
    }
}
