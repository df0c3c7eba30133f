using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScalingLab.Common;
using ScalingLab.Reports;

namespace ScalingLab.Dynamics;

/// <summary>
/// Writes a dynamics analysis to a folder: every number as CSV and one JSON document, the MCC table as text,
/// and SVG plots like the paper's (percentile bands of CKA over steps on a log axis of step + 1; PER of
/// parameters and gradients over steps; one line per model size). Files go through <see cref="AtomicFile"/>.
/// </summary>
public static class DynamicsReport
{
    private static string F(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
    private static string F(double? v) => v is { } x ? F(x) : "";

    /// <summary>Writes every output file into <paramref name="outDir"/> (created if missing).</summary>
    public static IReadOnlyList<string> Write(DynamicsResult s, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var written = new List<string>();
        void Save(string name, string text) { string p = Path.Combine(outDir, name); AtomicFile.WriteAllText(p, text); written.Add(p); }
        Save("layers.csv", LayersCsv(s));
        Save("percentiles.csv", PercentilesCsv(s));
        Save("size_means.csv", SizeMeansCsv(s));
        Save("indicators.csv", IndicatorsCsv(s));
        Save("mcc.csv", MccCsv(s));
        Save("mcc.txt", s.Table());
        Save("dynamics.json", Json(s));
        foreach (var (name, panels) in Charts(s)) { string p = Path.Combine(outDir, name); ChartGrid.Save(p, panels, panels.Count); written.Add(p); }
        return written;
    }

    /// <summary>One row per (run, checkpoint, layer, site): CKA, ER and PER of the parameter and of its gradient.</summary>
    public static string LayersCsv(DynamicsResult s)
    {
        var sb = new StringBuilder("run,size,step,fraction,layer,site,cka,param_erank,param_per,grad_erank,grad_per\n");
        foreach (var r in s.Series)
            for (int c = 0; c < r.Steps.Length; c++)
                for (int l = 0; l < r.Layers; l++)
                    foreach (Site site in Enum.GetValues<Site>())
                        sb.Append(Csv(r.Run)).Append(',').Append(r.Size).Append(',').Append(r.Steps[c]).Append(',')
                          .Append(F(r.Steps[c] / (double)r.FinalStep)).Append(',').Append(r.LayerId(l)).Append(',').Append(SiteName(site)).Append(',')
                          .Append(F(r.Cka[site][c][l])).Append(',').Append(F(r.ParamRank[site][c][l])).Append(',')
                          .Append(F(r.ParamPer[site][c][l])).Append(',').Append(F(r.GradRank[site][c][l])).Append(',')
                          .Append(F(r.GradPer[site][c][l])).Append('\n');
        return sb.ToString();
    }

    /// <summary>The 10/25/50/75/90th percentiles across layers, per (run, checkpoint, site, metric).</summary>
    public static string PercentilesCsv(DynamicsResult s)
    {
        var sb = new StringBuilder("run,size,step,fraction,site,metric,p10,p25,p50,p75,p90\n");
        foreach (var r in s.Series)
            foreach (Site site in Enum.GetValues<Site>())
                foreach (var (metric, data) in Metrics(r, site))
                {
                    var p = DynamicsAnalysis.AcrossLayers(data);
                    for (int c = 0; c < r.Steps.Length; c++)
                        sb.Append(Csv(r.Run)).Append(',').Append(r.Size).Append(',').Append(r.Steps[c]).Append(',')
                          .Append(F(r.Steps[c] / (double)r.FinalStep)).Append(',').Append(SiteName(site)).Append(',').Append(metric).Append(',')
                          .Append(string.Join(',', p[c].Select(F))).Append('\n');
                }
        return sb.ToString();
    }

    /// <summary>Mean across layers per checkpoint, averaged over the runs of each size at their shared steps.</summary>
    public static string SizeMeansCsv(DynamicsResult s)
    {
        var sb = new StringBuilder("size,runs,step,site,metric,mean\n");
        foreach (var g in s.BySize)
            foreach (Site site in Enum.GetValues<Site>())
                foreach (var (metric, _) in Metrics(g.First(), site))
                {
                    var (steps, mean) = DynamicsAnalysis.SizeMean(g.ToList(), r => Metrics(r, site).First(m => m.Name == metric).Data);
                    for (int i = 0; i < steps.Length; i++)
                        sb.Append(g.Key).Append(',').Append(g.Count()).Append(',').Append(steps[i]).Append(',')
                          .Append(SiteName(site)).Append(',').Append(metric).Append(',').Append(F(mean[i])).Append('\n');
                }
        return sb.ToString();
    }

    /// <summary>The three indicators per (run, layer, site).</summary>
    public static string IndicatorsCsv(DynamicsResult s)
    {
        var sb = new StringBuilder("run,size,layer,site,early_convergence,large_param_per,large_grad_per,first_fraction_cka\n");
        foreach (var r in s.Series)
            foreach (Site site in Enum.GetValues<Site>())
            {
                var ind = DynamicsAnalysis.Indicators(r, site, s.Thresholds);
                for (int l = 0; l < r.Layers; l++)
                {
                    double? first = ConvergenceIndicators.FirstFractionReaching(r.Steps, r.CkaOfLayer(site, l), r.FinalStep, s.Thresholds.Cka);
                    sb.Append(Csv(r.Run)).Append(',').Append(r.Size).Append(',').Append(r.LayerId(l)).Append(',').Append(SiteName(site)).Append(',')
                      .Append(B(ind.Early[l])).Append(',').Append(B(ind.LargeParamPer[l])).Append(',').Append(B(ind.LargeGradPer[l])).Append(',')
                      .Append(F(first)).Append('\n');
                }
            }
        return sb.ToString();
    }

    /// <summary>The MCC table per run ("undefined" where an indicator is constant across layers).</summary>
    public static string MccCsv(DynamicsResult s)
    {
        var sb = new StringBuilder("run,size,layers,param_att,grad_att,param_mlp,grad_mlp,undefined_because\n");
        foreach (var m in s.Models)
        {
            sb.Append(Csv(m.Run)).Append(',').Append(m.Size).Append(',').Append(m.Layers).Append(',')
              .Append(string.Join(',', m.Mcc.Cells.Select(c => c.Value is { } x ? F(x) : "undefined"))).Append(',')
              .Append(Csv(string.Join(" | ", m.Mcc.Cells.Where(c => c.Undefined is not null).Select(c => c.Undefined)))).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>One JSON document with every number (NaN and undefined as null).</summary>
    public static string Json(DynamicsResult s)
    {
        var t = s.Thresholds;
        var root = new JsonObject
        {
            ["per_normalised_by"] = "min(rows, cols): the number of singular values",
            ["thresholds"] = new JsonObject
            {
                ["cka"] = t.Cka, ["early_fraction"] = t.EarlyFraction, ["param_per"] = t.ParamPer, ["grad_per_relative"] = t.GradPerRelative,
                ["rule"] = t.Rule.ToString().ToLowerInvariant(), ["early"] = t.Early.ToString().ToLowerInvariant(), ["quantile"] = t.Quantile, ["init_ratio"] = t.InitRatio,
            },
            ["early_rule"] = s.EarlyRule,
            ["per_rule"] = s.PerRule,
            ["warnings"] = new JsonArray(s.Warnings.Select(w => (JsonNode)w).ToArray()),
        };
        var runs = new JsonArray();
        foreach (var r in s.Series)
        {
            var m = DynamicsAnalysis.Mcc(r, t);
            var run = new JsonObject
            {
                ["run"] = r.Run, ["size"] = r.Size,
                ["layers"] = new JsonArray(Enumerable.Range(0, r.Layers).Select(l => (JsonNode)r.LayerId(l)).ToArray()),
                ["steps"] = new JsonArray(r.Steps.Select(x => (JsonNode)x).ToArray()),
                ["median_first_fraction"] = new JsonObject
                {
                    ["att"] = N(DynamicsAnalysis.MedianFirstFraction(r, Site.Att, t.Cka)),
                    ["mlp"] = N(DynamicsAnalysis.MedianFirstFraction(r, Site.Mlp, t.Cka)),
                },
                ["mcc"] = new JsonObject { ["param_att"] = N(m.ParamAtt.Value), ["grad_att"] = N(m.GradAtt.Value), ["param_mlp"] = N(m.ParamMlp.Value), ["grad_mlp"] = N(m.GradMlp.Value) },
                ["mcc_undefined_because"] = new JsonObject
                {
                    ["param_att"] = m.ParamAtt.Undefined, ["grad_att"] = m.GradAtt.Undefined, ["param_mlp"] = m.ParamMlp.Undefined, ["grad_mlp"] = m.GradMlp.Undefined,
                },
            };
            foreach (Site site in Enum.GetValues<Site>())
            {
                var ind = DynamicsAnalysis.Indicators(r, site, t);
                var obj = new JsonObject
                {
                    ["early_convergence"] = BoolArray(ind.Early),
                    ["large_param_per"] = BoolArray(ind.LargeParamPer),
                    ["large_grad_per"] = BoolArray(ind.LargeGradPer),
                };
                foreach (var (metric, data) in Metrics(r, site)) obj[metric] = Matrix(data);
                run[SiteName(site)] = obj;
            }
            runs.Add(run);
        }
        root["runs"] = runs;
        var sizes = new JsonArray();
        foreach (var g in s.BySize)
        {
            var size = new JsonObject { ["size"] = g.Key, ["runs"] = g.Count() };
            foreach (Site site in Enum.GetValues<Site>())
            {
                var (steps, mean) = DynamicsAnalysis.SizeMean(g.ToList(), r => r.Cka[site]);
                size[SiteName(site) + "_mean_cka"] = new JsonObject
                {
                    ["steps"] = new JsonArray(steps.Select(x => (JsonNode)x).ToArray()),
                    ["mean"] = new JsonArray(mean.Select(N).ToArray()),
                };
            }
            sizes.Add(size);
        }
        root["sizes"] = sizes;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The plots (file name, side-by-side ATT and MLP panels): per run, CKA percentile bands; per size, mean CKA and mean PER of parameters and gradients.</summary>
    public static IReadOnlyList<(string Name, IReadOnlyList<Chart> Panels)> Charts(DynamicsResult s)
    {
        var charts = new List<(string, IReadOnlyList<Chart>)>();
        var t = s.Thresholds;
        int index = 0;
        foreach (var r in s.Series)
        {
            var panels = new List<Chart>();
            foreach (Site site in Enum.GetValues<Site>())
            {
                double[] x = r.Steps.Select(v => v + 1.0).ToArray();
                var p = DynamicsAnalysis.AcrossLayers(r.Cka[site]);
                var chart = new Chart($"{r.Size} {SiteName(site).ToUpperInvariant()}: CKA with the final checkpoint across layers",
                                      "training step + 1", "CKA", AxisScale.Log);
                chart.Y.Min = 0; chart.Y.Max = 1;
                chart.Band("10–90th percentile", x, Col(p, 0), Col(p, 4), Palette.Category(0));
                chart.Band("25–75th percentile", x, Col(p, 1), Col(p, 3), Palette.Category(0));
                chart.Line("median", x, Col(p, 2), Palette.Category(0));
                chart.RefLines.Add(new RefLine(t.Cka, Vertical: false, Inv($"CKA = {t.Cka:0.##}")));
                chart.RefLines.Add(new RefLine(t.EarlyFraction * r.FinalStep + 1, Vertical: true, Inv($"{t.EarlyFraction:0%} of training")));
                panels.Add(chart);
            }
            string name = $"cka_bands_{index++:D2}_{Sanitize(r.Size)}.svg";
            charts.Add((name, panels));
        }

        // One line per model size: mean across layers (and runs), for CKA and both PERs.
        foreach (var (metric, label, file) in new[]
                 {
                     ("cka", "mean CKA with the final checkpoint", "cka_by_size.svg"),
                     ("param_per", "mean PER of parameters (ER / min(rows, cols))", "per_params_by_size.svg"),
                     ("grad_per", "mean PER of gradients (ER / min(rows, cols))", "per_grads_by_size.svg"),
                 })
        {
            var panels = new List<Chart>();
            foreach (Site site in Enum.GetValues<Site>())
            {
                var chart = new Chart($"{SiteName(site).ToUpperInvariant()}: {label}", "fraction of training", metric == "cka" ? "CKA" : "PER");
                chart.Y.Min = 0; chart.Y.Max = 1;
                int i = 0;
                foreach (var g in s.BySize)
                {
                    var (steps, mean) = DynamicsAnalysis.SizeMean(g.ToList(), r => Metrics(r, site).First(m => m.Name == metric).Data);
                    double final = g.First().FinalStep;
                    chart.Line(g.Key, steps.Select(v => v / final).ToArray(), mean, Palette.Category(i++));
                }
                panels.Add(chart);
            }
            charts.Add((file, panels));
        }
        return charts;
    }

    private static IEnumerable<(string Name, double[][] Data)> Metrics(RunDynamics r, Site site)
    {
        yield return ("cka", r.Cka[site]);
        yield return ("param_erank", r.ParamRank[site]);
        yield return ("param_per", r.ParamPer[site]);
        yield return ("grad_erank", r.GradRank[site]);
        yield return ("grad_per", r.GradPer[site]);
    }

    private static double[] Col(double[][] rows, int j) => rows.Select(row => row[j]).ToArray();
    private static string SiteName(Site s) => s == Site.Att ? "att" : "mlp";
    private static string B(bool b) => b ? "1" : "0";
    private static JsonNode? N(double? v) => v is { } x && double.IsFinite(x) ? JsonValue.Create(x) : null;
    private static JsonNode? N(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
    private static JsonArray BoolArray(bool[] b) => new(b.Select(x => (JsonNode)x).ToArray());
    private static JsonArray Matrix(double[][] m) => new(m.Select(row => (JsonNode)new JsonArray(row.Select(N).ToArray())).ToArray());
    private static string Csv(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
    private static string Sanitize(string s) => new(s.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());
    private static string Inv(FormattableString f) => f.ToString(CultureInfo.InvariantCulture);
}
