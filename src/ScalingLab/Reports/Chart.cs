using System.Globalization;
using System.Security;
using System.Text;
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
/// A small SVG chart: line, scatter, band and bar layers over linear or log axes, with readable ticks,
/// grid, legend, title and axis labels. Written by hand because no plotting library is served here;
/// everything a report draws goes through this one class (and <see cref="ChartGrid"/> for panels).
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
    public string ToSvg()
    {
        var sb = new StringBuilder();
        sb.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"Helvetica, Arial, sans-serif\">\n"));
        Render(sb, 0, 0, "c0");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>Writes the SVG to <paramref name="path"/> atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToSvg());

    // ---- rendering ----

    private readonly record struct LegendItem(string Name, string Color, string Kind, bool Dashed);

    /// <summary>Draws the chart into <paramref name="sb"/> with its top-left corner at (ox, oy).</summary>
    internal void Render(StringBuilder sb, double ox, double oy, string id)
    {
        // Assign colours first: the legend and the layers must agree.
        int next = 0;
        string Pick(string? c) => c ?? Palette.Category(next++);
        var bandColors = Bands.Select(b => Pick(b.Color)).ToArray();
        var barColors = Bars.Select(b => Pick(b.Color)).ToArray();
        var seriesColors = Series.Select(s => Pick(s.Color)).ToArray();

        var legend = new List<LegendItem>();
        for (int i = 0; i < Bands.Count; i++) if (Bands[i].InLegend) legend.Add(new(Bands[i].Name, bandColors[i], "band", false));
        for (int i = 0; i < Bars.Count; i++) if (Bars[i].InLegend) legend.Add(new(Bars[i].Name, barColors[i], "band", false));
        for (int i = 0; i < Series.Count; i++)
            if (Series[i].InLegend)
                legend.Add(new(Series[i].Name, seriesColors[i], Series[i].Kind == SeriesKind.Scatter ? "dot" : "line", Series[i].Dashed));
        legend.RemoveAll(l => string.IsNullOrWhiteSpace(l.Name));

        double legendWidth = legend.Count == 0 ? 0 : Math.Min(260, 40 + 6.6 * legend.Max(l => l.Name.Length));
        double left = 78, right = 20 + legendWidth, top = string.IsNullOrEmpty(Title) ? 20 : 44, bottom = 58;
        double pw = Math.Max(50, Width - left - right), ph = Math.Max(50, Height - top - bottom);
        double px = ox + left, py = oy + top;

        var (xlo, xhi) = Range(X, XValues());
        var (ylo, yhi) = Range(Y, YValues());
        double Map(double v, double lo, double hi, AxisScale s) =>
            s == AxisScale.Log ? (Math.Log10(v) - Math.Log10(lo)) / (Math.Log10(hi) - Math.Log10(lo)) : (v - lo) / (hi - lo);
        double Sx(double v) => px + pw * Map(v, xlo, xhi, X.Scale);
        double Sy(double v) => py + ph * (1 - Map(v, ylo, yhi, Y.Scale));
        bool Ok(double v, AxisScale s) => double.IsFinite(v) && (s == AxisScale.Linear || v > 0);

        sb.Append(Inv($"<rect x=\"{ox:F1}\" y=\"{oy:F1}\" width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"));
        sb.Append(Inv($"<clipPath id=\"{id}clip\"><rect x=\"{px:F1}\" y=\"{py:F1}\" width=\"{pw:F1}\" height=\"{ph:F1}\"/></clipPath>\n"));
        if (!string.IsNullOrEmpty(Title))
            sb.Append(Inv($"<text x=\"{px + pw / 2:F1}\" y=\"{oy + 28:F1}\" text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\">{Esc(Title)}</text>\n"));

        // Grid and ticks.
        var xt = X.Categories?.Select(c => new Tick(c.Value, c.Label, true)).ToList() ?? Ticks.For(xlo, xhi, X.Scale);
        var yt = Y.Categories?.Select(c => new Tick(c.Value, c.Label, true)).ToList() ?? Ticks.For(ylo, yhi, Y.Scale);
        foreach (var t in xt)
        {
            if (!Ok(t.Value, X.Scale)) continue;
            double x = Sx(t.Value);
            if (x < px - 0.5 || x > px + pw + 0.5) continue;
            if (t.Major || t.Label.Length > 0)
                sb.Append(Inv($"<line x1=\"{x:F1}\" y1=\"{py:F1}\" x2=\"{x:F1}\" y2=\"{py + ph:F1}\" stroke=\"{(t.Major ? "#e0e0e0" : "#f0f0f0")}\"/>\n"));
            double len = t.Major ? 6 : 3;
            sb.Append(Inv($"<line x1=\"{x:F1}\" y1=\"{py + ph:F1}\" x2=\"{x:F1}\" y2=\"{py + ph + len:F1}\" stroke=\"#333\"/>\n"));
            if (t.Label.Length > 0)
                sb.Append(Inv($"<text x=\"{x:F1}\" y=\"{py + ph + 20:F1}\" text-anchor=\"middle\" font-size=\"{(t.Major ? 12 : 11)}\" fill=\"#333\">{Esc(t.Label)}</text>\n"));
        }
        foreach (var t in yt)
        {
            if (!Ok(t.Value, Y.Scale)) continue;
            double y = Sy(t.Value);
            if (y < py - 0.5 || y > py + ph + 0.5) continue;
            if (t.Major || t.Label.Length > 0)
                sb.Append(Inv($"<line x1=\"{px:F1}\" y1=\"{y:F1}\" x2=\"{px + pw:F1}\" y2=\"{y:F1}\" stroke=\"{(t.Major ? "#e0e0e0" : "#f0f0f0")}\"/>\n"));
            double len = t.Major ? 6 : 3;
            sb.Append(Inv($"<line x1=\"{px - len:F1}\" y1=\"{y:F1}\" x2=\"{px:F1}\" y2=\"{y:F1}\" stroke=\"#333\"/>\n"));
            if (t.Label.Length > 0)
                sb.Append(Inv($"<text x=\"{px - 9:F1}\" y=\"{y + 4:F1}\" text-anchor=\"end\" font-size=\"{(t.Major ? 12 : 11)}\" fill=\"#333\">{Esc(t.Label)}</text>\n"));
        }

        sb.Append(Inv($"<g clip-path=\"url(#{id}clip)\">\n"));
        for (int i = 0; i < Bands.Count; i++)
        {
            var b = Bands[i];
            var up = new List<string>(); var down = new List<string>();
            for (int k = 0; k < Math.Min(b.X.Length, Math.Min(b.Lower.Length, b.Upper.Length)); k++)
            {
                if (!Ok(b.X[k], X.Scale) || !Ok(b.Lower[k], Y.Scale) || !Ok(b.Upper[k], Y.Scale)) continue;
                up.Add(Inv($"{Sx(b.X[k]):F1},{Sy(b.Upper[k]):F1}"));
                down.Add(Inv($"{Sx(b.X[k]):F1},{Sy(b.Lower[k]):F1}"));
            }
            down.Reverse();
            if (up.Count > 1)
                sb.Append(Inv($"<polygon points=\"{string.Join(' ', up.Concat(down))}\" fill=\"{bandColors[i]}\" fill-opacity=\"{b.Opacity:F2}\" stroke=\"none\"/>\n"));
        }
        for (int i = 0; i < Bars.Count; i++)
        {
            var b = Bars[i];
            double baseV = Y.Scale == AxisScale.Log ? ylo : Math.Clamp(0, ylo, yhi);
            for (int k = 0; k < Math.Min(b.Left.Length, Math.Min(b.Right.Length, b.Height.Length)); k++)
            {
                if (!Ok(b.Left[k], X.Scale) || !Ok(b.Right[k], X.Scale) || !Ok(b.Height[k], Y.Scale)) continue;
                double x0 = Sx(b.Left[k]), x1 = Sx(b.Right[k]), y0 = Sy(b.Height[k]), y1 = Sy(baseV);
                sb.Append(Inv($"<rect x=\"{Math.Min(x0, x1):F1}\" y=\"{Math.Min(y0, y1):F1}\" width=\"{Math.Abs(x1 - x0):F1}\" height=\"{Math.Abs(y1 - y0):F1}\" fill=\"{barColors[i]}\" fill-opacity=\"0.75\" stroke=\"white\" stroke-width=\"0.5\"/>\n"));
            }
        }
        foreach (var r in RefLines)
        {
            var s = r.Vertical ? X.Scale : Y.Scale;
            if (!Ok(r.Value, s)) continue;
            if (r.Vertical)
            {
                double x = Sx(r.Value);
                sb.Append(Inv($"<line x1=\"{x:F1}\" y1=\"{py:F1}\" x2=\"{x:F1}\" y2=\"{py + ph:F1}\" stroke=\"{r.Color}\" stroke-dasharray=\"3 3\"/>\n"));
                sb.Append(Inv($"<text x=\"{x + 4:F1}\" y=\"{py + 14:F1}\" font-size=\"11\" fill=\"{r.Color}\">{Esc(r.Label)}</text>\n"));
            }
            else
            {
                double y = Sy(r.Value);
                sb.Append(Inv($"<line x1=\"{px:F1}\" y1=\"{y:F1}\" x2=\"{px + pw:F1}\" y2=\"{y:F1}\" stroke=\"{r.Color}\" stroke-dasharray=\"3 3\"/>\n"));
                sb.Append(Inv($"<text x=\"{px + pw - 4:F1}\" y=\"{y - 4:F1}\" text-anchor=\"end\" font-size=\"11\" fill=\"{r.Color}\">{Esc(r.Label)}</text>\n"));
            }
        }
        for (int i = 0; i < Series.Count; i++)
        {
            var s = Series[i];
            string color = seriesColors[i];
            int n = Math.Min(s.X.Length, s.Y.Length);
            if (s.Kind != SeriesKind.Scatter)
            {
                string dash = s.Dashed ? " stroke-dasharray=\"7 4\"" : "";
                var run = new List<string>();
                void Flush()
                {
                    if (run.Count > 1)
                        sb.Append(Inv($"<polyline points=\"{string.Join(' ', run)}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{s.Width:F1}\" stroke-linejoin=\"round\"{dash}/>\n"));
                    run.Clear();
                }
                for (int k = 0; k < n; k++)
                {
                    if (Ok(s.X[k], X.Scale) && Ok(s.Y[k], Y.Scale)) run.Add(Inv($"{Sx(s.X[k]):F1},{Sy(s.Y[k]):F1}"));
                    else Flush();
                }
                Flush();
            }
            if (s.Kind != SeriesKind.Line)
            {
                for (int k = 0; k < n; k++)
                    if (Ok(s.X[k], X.Scale) && Ok(s.Y[k], Y.Scale))
                        sb.Append(Inv($"<circle cx=\"{Sx(s.X[k]):F1}\" cy=\"{Sy(s.Y[k]):F1}\" r=\"{s.MarkerRadius:F1}\" fill=\"{color}\" fill-opacity=\"0.85\"/>\n"));
            }
        }
        sb.Append("</g>\n");

        // Frame, axis labels, legend.
        sb.Append(Inv($"<rect x=\"{px:F1}\" y=\"{py:F1}\" width=\"{pw:F1}\" height=\"{ph:F1}\" fill=\"none\" stroke=\"#333\"/>\n"));
        if (!string.IsNullOrEmpty(X.Label))
            sb.Append(Inv($"<text x=\"{px + pw / 2:F1}\" y=\"{py + ph + 44:F1}\" text-anchor=\"middle\" font-size=\"14\">{Esc(X.Label)}</text>\n"));
        if (!string.IsNullOrEmpty(Y.Label))
        {
            double cx = ox + 18, cy = py + ph / 2;
            sb.Append(Inv($"<text x=\"{cx:F1}\" y=\"{cy:F1}\" text-anchor=\"middle\" font-size=\"14\" transform=\"rotate(-90 {cx:F1} {cy:F1})\">{Esc(Y.Label)}</text>\n"));
        }
        double ly = py + 8, lx = px + pw + 14;
        foreach (var l in legend)
        {
            if (ly > py + ph) break; // more entries than room: the rest would fall off the chart
            switch (l.Kind)
            {
                case "band":
                    sb.Append(Inv($"<rect x=\"{lx:F1}\" y=\"{ly - 6:F1}\" width=\"22\" height=\"12\" fill=\"{l.Color}\" fill-opacity=\"0.5\"/>\n"));
                    break;
                case "dot":
                    sb.Append(Inv($"<circle cx=\"{lx + 11:F1}\" cy=\"{ly:F1}\" r=\"4\" fill=\"{l.Color}\"/>\n"));
                    break;
                default:
                    string dash = l.Dashed ? " stroke-dasharray=\"7 4\"" : "";
                    sb.Append(Inv($"<line x1=\"{lx:F1}\" y1=\"{ly:F1}\" x2=\"{lx + 22:F1}\" y2=\"{ly:F1}\" stroke=\"{l.Color}\" stroke-width=\"2\"{dash}/>\n"));
                    break;
            }
            sb.Append(Inv($"<text x=\"{lx + 28:F1}\" y=\"{ly + 4:F1}\" font-size=\"12\">{Esc(l.Name)}</text>\n"));
            ly += 19;
        }
    }

    private IEnumerable<double> XValues() =>
        Series.SelectMany(s => s.X).Concat(Bands.SelectMany(b => b.X))
              .Concat(Bars.SelectMany(b => b.Left.Concat(b.Right)))
              .Concat(RefLines.Where(r => r.Vertical).Select(r => r.Value))
              .Concat(X.Categories?.Select(c => c.Value) ?? []);

    private IEnumerable<double> YValues() =>
        Series.SelectMany(s => s.Y).Concat(Bands.SelectMany(b => b.Lower.Concat(b.Upper)))
              .Concat(Bars.SelectMany(b => b.Height)).Concat(Bars.Count > 0 && Y.Scale == AxisScale.Linear ? [0.0] : [])
              .Concat(RefLines.Where(r => !r.Vertical).Select(r => r.Value));

    private static (double Lo, double Hi) Range(Axis axis, IEnumerable<double> values)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (double v in values)
        {
            if (!double.IsFinite(v) || (axis.Scale == AxisScale.Log && v <= 0)) continue;
            lo = Math.Min(lo, v); hi = Math.Max(hi, v);
        }
        if (lo > hi) { lo = axis.Scale == AxisScale.Log ? 1 : 0; hi = axis.Scale == AxisScale.Log ? 10 : 1; }
        if (axis.Categories is not null) { lo -= 0.5; hi += 0.5; }
        else (lo, hi) = Ticks.NiceRange(lo, hi, axis.Scale);
        if (axis.Min is double mn && (axis.Scale == AxisScale.Linear || mn > 0)) lo = mn;
        if (axis.Max is double mx && (axis.Scale == AxisScale.Linear || mx > 0)) hi = mx;
        if (!(hi > lo)) hi = axis.Scale == AxisScale.Log ? lo * 10 : lo + 1;
        return (lo, hi);
    }

    private static string Esc(string s) => SecurityElement.Escape(s) ?? "";

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Several charts side by side in one SVG (panels of a figure), laid out in rows of <c>columns</c>.</summary>
public static class ChartGrid
{
    /// <summary>The SVG of <paramref name="charts"/> in a grid; each keeps its own Width and Height.</summary>
    public static string ToSvg(IReadOnlyList<Chart> charts, int columns)
    {
        if (charts.Count == 0) throw new ArgumentException("no charts", nameof(charts));
        columns = Math.Clamp(columns, 1, charts.Count);
        int rows = (charts.Count + columns - 1) / columns;
        int cw = charts.Max(c => c.Width), ch = charts.Max(c => c.Height);
        var sb = new StringBuilder();
        sb.Append(string.Create(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{cw * columns}\" height=\"{ch * rows}\" viewBox=\"0 0 {cw * columns} {ch * rows}\" font-family=\"Helvetica, Arial, sans-serif\">\n"));
        for (int i = 0; i < charts.Count; i++)
            charts[i].Render(sb, (i % columns) * cw, (i / columns) * ch, $"c{i}");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>Writes the grid to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, IReadOnlyList<Chart> charts, int columns) =>
        AtomicFile.WriteAllText(path, ToSvg(charts, columns));
}
