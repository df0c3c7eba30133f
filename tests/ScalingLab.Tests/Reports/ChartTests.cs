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
    public void NiceRangeSnapsToDecadesAndSteps()
    {
        Assert.Equal((1e2, 1e5), Ticks.NiceRange(1.3e2, 9e4, AxisScale.Log));
        var (lo, hi) = Ticks.NiceRange(0.13, 0.38, AxisScale.Linear);
        Assert.Equal(0.10, lo, 12);
        Assert.Equal(0.40, hi, 12);
    }

    [Fact]
    public void SvgIsWellFormedAndPlacesLogPointsByDecade()
    {
        var chart = new Chart("loss vs N", "parameters N", "loss", AxisScale.Log, AxisScale.Log);
        chart.X.Min = 1e2; chart.X.Max = 1e4; chart.Y.Min = 1; chart.Y.Max = 100;
        chart.Scatter("runs", [1e2, 1e3, 1e4, -5, double.NaN], [1, 10, 100, 3, 3]);
        chart.Line("fit <α=0.3 & β>", [1e2, 1e4], [1, 100], dashed: true);
        chart.Band("90% band", [1e2, 1e4], [1, 50], [2, 100]);
        var doc = XDocument.Parse(chart.ToSvg());
        var circles = doc.Descendants(S + "circle")
            .Select(c => (X: double.Parse(c.Attribute("cx")!.Value, CultureInfo.InvariantCulture),
                          Y: double.Parse(c.Attribute("cy")!.Value, CultureInfo.InvariantCulture)))
            .ToList();
        // Legend dot + three valid points; the negative x and NaN are skipped on a log axis.
        Assert.Equal(4, circles.Count);
        var pts = circles.Take(3).ToList();
        Assert.Equal((pts[0].X + pts[2].X) / 2, pts[1].X, 0);   // 1e3 halfway between 1e2 and 1e4
        Assert.Equal((pts[0].Y + pts[2].Y) / 2, pts[1].Y, 0);
        Assert.True(pts[2].Y < pts[0].Y);                          // larger y is higher up
        Assert.Contains(doc.Descendants(S + "text"), t => t.Value == "fit <α=0.3 & β>"); // escaped, round-trips
        Assert.Single(doc.Descendants(S + "polygon"));
        Assert.Contains(doc.Descendants(S + "text"), t => t.Value == "1000");
    }

    [Fact]
    public void HistogramCountsEveryFiniteValueOnce()
    {
        var chart = new Chart("h").Histogram("values", [0, 0.1, 0.5, 0.99, 1.0, double.NaN], bins: 2);
        var bars = chart.Bars.Single();
        Assert.Equal([0, 0.5], bars.Left);
        Assert.Equal([2, 3], bars.Height); // [0, 0.5) holds 0 and 0.1; [0.5, 1] holds 0.5, 0.99, 1.0
        var doc = XDocument.Parse(chart.ToSvg());
        Assert.NotEmpty(doc.Descendants(S + "rect"));
    }

    [Fact]
    public void GridPlacesPanelsSideBySide()
    {
        var a = new Chart("a").Line("x", [0, 1], [0, 1]);
        var b = new Chart("b").Line("y", [0, 1], [1, 0]);
        var doc = XDocument.Parse(ChartGrid.ToSvg([a, b], 2));
        Assert.Equal("1800", doc.Root!.Attribute("width")!.Value);
        Assert.Equal(2, doc.Descendants(S + "clipPath").Select(c => c.Attribute("id")!.Value).Distinct().Count());
    }
}
