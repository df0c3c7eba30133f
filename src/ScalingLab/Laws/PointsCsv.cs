using System.Globalization;
using System.Text;
using ScalingLab.Common;

namespace ScalingLab.Laws;

/// <summary>Which CSV columns hold N, D, C, loss and a run name (users' files differ, so all are options).</summary>
public sealed record CsvColumns(string N = "N", string? D = "D", string? C = null, string Loss = "loss", string? Name = null);

/// <summary>
/// Reads fit points from a CSV with a header row. D comes from its column, or is derived as D = C/(6N) when only
/// a compute column is named (Besiroglu et al.'s protocol for the Chinchilla points).
/// </summary>
public static class PointsCsv
{
    /// <summary>The points of <paramref name="path"/>; missing columns and unreadable numbers are one-line UserErrors.</summary>
    public static List<FitPoint> Read(string path, CsvColumns cols)
    {
        if (!File.Exists(path)) throw new UserError($"CSV file '{path}' does not exist; check the path");
        var rows = ParseCsv(File.ReadAllText(path));
        if (rows.Count == 0)
            throw new UserError($"CSV '{path}' is empty; it needs a header row and one row per run");
        var header = rows[0];
        string have = string.Join(", ", header.Select(h => $"\"{h}\""));
        int Col(string? name, string option)
        {
            if (name is null) return -1;
            int i = Array.IndexOf(header, name);
            if (i < 0) throw new UserError($"CSV '{path}' has no column \"{name}\" ({option}); its columns are {have}");
            return i;
        }
        int nCol = Col(cols.N, "--n-column"), lossCol = Col(cols.Loss, "--loss-column");
        int cCol = Col(cols.C, "--c-column"), nameCol = Col(cols.Name, "--name-column");
        // D is optional when C is given: a default "D" column that is absent just means "derive it".
        int dCol = cols.D is null || (cCol >= 0 && Array.IndexOf(header, cols.D) < 0 && cols.D == "D") ? -1 : Col(cols.D, "--d-column");
        if (dCol < 0 && cCol < 0)
            throw new UserError($"CSV '{path}': name a token column (--d-column) or a compute column (--c-column, D = C/(6N)); its columns are {have}");

        var points = new List<FitPoint>();
        for (int row = 2; row <= rows.Count; row++)
        {
            var fields = rows[row - 1];
            if (fields.Length == 1 && fields[0].Length == 0) continue; // blank line
            if (fields.Length != header.Length)
                throw new UserError($"CSV '{path}' row {row} has {fields.Length} fields; the header has {header.Length}");
            double Num(int col, string what)
            {
                string s = fields[col];
                if (string.IsNullOrWhiteSpace(s)) throw new UserError($"CSV '{path}' row {row}: {what} is empty; fill it in or drop the row");
                if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    throw new UserError($"CSV '{path}' row {row}: {what} \"{s}\" is not a number");
                return v;
            }
            double n = Num(nCol, $"N (\"{cols.N}\")");
            double loss = Num(lossCol, $"loss (\"{cols.Loss}\")");
            double? c = cCol >= 0 ? Num(cCol, $"C (\"{cols.C}\")") : null;
            double d = dCol >= 0 ? Num(dCol, $"D (\"{cols.D}\")") : c!.Value / (6.0 * n);
            string name = nameCol >= 0 ? fields[nameCol] : $"row {row}";
            points.Add(new FitPoint(n, d, loss, c, name));
        }
        if (points.Count == 0) throw new UserError($"CSV '{path}' has a header but no rows");
        FitPoint.Validate(points);
        return points;
    }

    /// <summary>
    /// Drops the <paramref name="k"/> highest-loss points (Besiroglu et al. drop 5 outliers from the Chinchilla points:
    /// they keep loss strictly below the 5th-largest loss, so ties at that value go too).
    /// </summary>
    public static List<FitPoint> DropHighest(IReadOnlyList<FitPoint> points, int k)
    {
        if (k < 0) throw new UserError($"--drop-highest must be ≥ 0 (got {k})");
        if (k == 0) return points.ToList();
        if (k >= points.Count) throw new UserError($"--drop-highest {k} would drop all {points.Count} points");
        double threshold = points.Select(p => p.Loss).OrderByDescending(l => l).ElementAt(k - 1);
        return points.Where(p => p.Loss < threshold).ToList();
    }

    /// <summary>RFC 4180 CSV: comma-separated fields, "quoted" fields may hold commas, newlines and "" for a quote; fields trimmed.</summary>
    internal static List<string[]> ParseCsv(string text)
    {
        var rows = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else field.Append(ch);
                continue;
            }
            switch (ch)
            {
                case '"': quoted = true; any = true; break;
                case ',': fields.Add(field.ToString().Trim()); field.Clear(); any = true; break;
                case '\r': break;
                case '\n':
                    fields.Add(field.ToString().Trim()); field.Clear();
                    rows.Add(fields.ToArray()); fields.Clear(); any = false;
                    break;
                default: field.Append(ch); any = true; break;
            }
        }
        if (any || field.Length > 0) { fields.Add(field.ToString().Trim()); rows.Add(fields.ToArray()); }
        if (rows.Count > 0) rows[0] = rows[0].Select(h => h.TrimStart('\uFEFF')).ToArray(); // a BOM is not part of the name
        return rows;
    }
}
