using ScalingLab.Common;

namespace ScalingLab.Reports;

/// <summary>How a series is drawn.</summary>
public enum SeriesKind
{
    /// <summary>A polyline through the points (broken where a point cannot be drawn).</summary>
    Line,
    /// <summary>One circle per point.</summary>
    Scatter,
    /// <summary>A polyline with a circle at each point.</summary>
    LineMarkers,
}

/// <summary>A named (x, y) series. Non-finite points, and non-positive ones on a log axis, are skipped.</summary>
public sealed record Series(string Name, double[] X, double[] Y)
{
    /// <summary>Line, scatter or both.</summary>
    public SeriesKind Kind { get; init; } = SeriesKind.Line;
    /// <summary>CSS colour; null picks the next categorical colour.</summary>
    public string? Color { get; init; }
    /// <summary>Dashed line (e.g. a fitted curve beside measured points).</summary>
    public bool Dashed { get; init; }
    /// <summary>Line width in pixels.</summary>
    public double Width { get; init; } = 2;
    /// <summary>Marker radius in pixels.</summary>
    public double MarkerRadius { get; init; } = 3.5;
    /// <summary>Whether the legend lists this series (false for many unlabelled curves).</summary>
    public bool InLegend { get; init; } = true;
}

/// <summary>A shaded region between two curves over the same x (e.g. a 5–95 percentile band).</summary>
public sealed record Band(string Name, double[] X, double[] Lower, double[] Upper)
{
    /// <summary>CSS colour; null picks the next categorical colour.</summary>
    public string? Color { get; init; }
    /// <summary>Fill opacity.</summary>
    public double Opacity { get; init; } = 0.2;
    /// <summary>Whether the legend lists this band.</summary>
    public bool InLegend { get; init; } = true;
}

/// <summary>Bars from x = Left[i] to Right[i] with height Height[i] (histograms, bar charts).</summary>
public sealed record Bars(string Name, double[] Left, double[] Right, double[] Height)
{
    /// <summary>CSS colour; null picks the next categorical colour.</summary>
    public string? Color { get; init; }
    /// <summary>Whether the legend lists these bars.</summary>
    public bool InLegend { get; init; } = true;
}

/// <summary>A horizontal or vertical reference line with a short label (a threshold, an optimum).</summary>
public sealed record RefLine(double Value, bool Vertical, string Label)
{
    /// <summary>CSS colour.</summary>
    public string Color { get; init; } = "#555555";
}

/// <summary>One axis: label, scale, optional fixed range, optional categorical labels.</summary>
public sealed class Axis
{
    /// <summary>Axis title, e.g. "parameters N".</summary>
    public string Label { get; set; } = "";
    /// <summary>Linear or log10.</summary>
    public AxisScale Scale { get; set; } = AxisScale.Linear;
    /// <summary>Fixed lower end; null = from the data.</summary>
    public double? Min { get; set; }
    /// <summary>Fixed upper end; null = from the data.</summary>
    public double? Max { get; set; }
    /// <summary>Replaces the numeric ticks with labels at given values (bar charts over categories).</summary>
    public IReadOnlyList<(double Value, string Label)>? Categories { get; set; }
}

/// <summary>
/// What a figure shows: line, scatter, band, bar and reference-line layers over linear or log axes, with a title,
/// axis labels and a legend. Drawing is ScottPlot's (<see cref="ChartRenderer"/>): this class is the small, stable
/// vocabulary the analyses use, so none of them depends on the plotting library's API.
/// </summary>
public sealed class Chart
{
    /// <summary>Title drawn above the plot.</summary>
    public string Title { get; set; } = "";
    /// <summary>The horizontal axis.</summary>
    public Axis X { get; } = new();
    /// <summary>The vertical axis.</summary>
    public Axis Y { get; } = new();
    /// <summary>Width in pixels.</summary>
    public int Width { get; set; } = 900;
    /// <summary>Height in pixels.</summary>
    public int Height { get; set; } = 600;
    /// <summary>Line and scatter layers, drawn in order above bands and bars.</summary>
    public List<Series> Series { get; } = [];
    /// <summary>Shaded bands, drawn first.</summary>
    public List<Band> Bands { get; } = [];
    /// <summary>Bar layers, drawn after bands.</summary>
    public List<Bars> Bars { get; } = [];
    /// <summary>Reference lines, drawn above bars, below series.</summary>
    public List<RefLine> RefLines { get; } = [];

    /// <summary>A chart with a title and axis labels/scales.</summary>
    public Chart(string title = "", string xLabel = "", string yLabel = "",
                 AxisScale xScale = AxisScale.Linear, AxisScale yScale = AxisScale.Linear)
    {
        Title = title;
        X.Label = xLabel; X.Scale = xScale;
        Y.Label = yLabel; Y.Scale = yScale;
    }

    /// <summary>Adds a line series; returns this chart.</summary>
    public Chart Line(string name, double[] x, double[] y, string? color = null, bool dashed = false)
    {
        Series.Add(new Series(name, x, y) { Kind = SeriesKind.Line, Color = color, Dashed = dashed });
        return this;
    }

    /// <summary>Adds a scatter series; returns this chart.</summary>
    public Chart Scatter(string name, double[] x, double[] y, string? color = null)
    {
        Series.Add(new Series(name, x, y) { Kind = SeriesKind.Scatter, Color = color });
        return this;
    }

    /// <summary>Adds a band between two curves; returns this chart.</summary>
    public Chart Band(string name, double[] x, double[] lower, double[] upper, string? color = null)
    {
        Bands.Add(new Band(name, x, lower, upper) { Color = color });
        return this;
    }

    /// <summary>
    /// Adds a histogram of <paramref name="values"/> (non-finite ones ignored) with <paramref name="bins"/> equal bins
    /// over [lo, hi] (default: the data's range); returns this chart.
    /// </summary>
    public Chart Histogram(string name, IEnumerable<double> values, int bins, double? lo = null, double? hi = null,
                           string? color = null)
    {
        if (bins < 1) throw new UserError($"histogram '{name}': bins must be ≥ 1 (got {bins})");
        var v = values.Where(double.IsFinite).ToArray();
        double a = lo ?? (v.Length > 0 ? v.Min() : 0), b = hi ?? (v.Length > 0 ? v.Max() : 1);
        if (!(b > a)) { a -= 0.5; b += 0.5; }
        var left = new double[bins]; var right = new double[bins]; var count = new double[bins];
        double w = (b - a) / bins;
        for (int i = 0; i < bins; i++) { left[i] = a + i * w; right[i] = a + (i + 1) * w; }
        foreach (double x in v)
        {
            if (x < a || x > b) continue;
            count[Math.Min(bins - 1, (int)((x - a) / w))]++;
        }
        Bars.Add(new Bars(name, left, right, count) { Color = color });
        return this;
    }

    /// <summary>The SVG document.</summary>
    public string ToSvg() => ChartRenderer.Svg([this], 1);

    /// <summary>The PNG image.</summary>
    public byte[] ToPng() => ChartRenderer.Png([this], 1);

    /// <summary>Writes the chart to <paramref name="path"/> atomically: PNG for a .png name, SVG otherwise.</summary>
    public void Save(string path) => ChartGrid.Save(path, [this], 1);
}
