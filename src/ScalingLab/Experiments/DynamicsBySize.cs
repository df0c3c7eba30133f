using System.Globalization;
using ScalingLab.Dynamics;
using ScalingLab.Reports;

namespace ScalingLab.Experiments;

/// <summary>
/// `dynamics-by-size`: Diehl Martinez et al. (2024), "Tending Towards Stability", Fig. 1 and the MCC table: the layers
/// of larger models reach their final representation (CKA with the last checkpoint) earlier in training. Four sizes of
/// six layers, the same data order, Pythia's checkpoint schedule scaled to the run.
/// </summary>
public sealed class DynamicsBySize : IExperiment
{
    /// <summary>Rule thresholds, fixed before the run: the rank correlation of size with convergence fraction.</summary>
    public const double Rho = 0.8, MinDrop = 0.05;

    /// <inheritdoc/>
    public string Name => "dynamics-by-size";
    /// <inheritdoc/>
    public string Title => "Larger models' layers converge earlier (Diehl Martinez et al.)";
    /// <inheritdoc/>
    public string Claim =>
        "Diehl Martinez et al. (Findings of EMNLP 2024) follow Pythia models of 70M–2.8B parameters through training: " +
        "layers of larger models reach their final state early (within about 20% of training) and smoothly, layers of " +
        "small models late, and late convergence goes with low effective rank (the MCC table). Here: four GPT-2-style " +
        "models of six layers, widths 32–256 (7·10⁴–4.7·10⁶ non-embedding parameters), the same data and data order " +
        "(the Zipf-facts source), 31 checkpoints on Pythia's schedule (0, powers of two to 512, every 100 steps).";
    /// <inheritdoc/>
    public string Rule => Verdict.RuleText(
        definitions: "per size, the fraction of training at which the median layer first reaches CKA ≥ 0.45 with the final checkpoint " +
                     "(a size whose median layer never does counts as 1)",
        reproducedWhen: $"for both ATT and MLP, Spearman's ρ between size and that fraction is ≤ −{Rho} and the largest size " +
                        $"converges at least {MinDrop} of training earlier than the smallest",
        contradictedWhen: $"ρ ≥ +{Rho} for both");
    /// <inheritdoc/>
    public IReadOnlyList<PaperValue> Reference { get; } =
    [
        new("larger models' layers converge within", "≈ 20% of training", "Diehl Martinez et al. 2024, §4, Fig. 1"),
        new("MCC(early ATT, large PER of W_O), 70M → 2.8B", "1.00, 1.00, 0.84, 0.78, 0.73", "Diehl Martinez et al. 2024, MCC table"),
        new("MCC(early MLP, large PER of ∇W_down), 70M → 2.8B", "1.00, 0.71, 0.78, 0.64, 0.18", "Diehl Martinez et al. 2024, MCC table"),
    ];

    /// <inheritdoc/>
    public ExperimentSweep Sweep(bool quick) => ExperimentSweep.Of(Name, quick,
    [
        new ExperimentGrid
        {
            Name = "zipf",
            Data = k => ExperimentData.Zipf(4096, ExperimentSweep.ScaleTokens(quick ? 100_000 : 1_100_000, k), valTokens: 50_000, seed: 17),
            HeadSize = 16,
            Train = quick
                ? "batch: 4, seq: 64, lr: 2e-3, eval_windows: 16, ckpt_every: 40, ckpt_log_until: 32"
                : "batch: 8, seq: 64, lr: 2e-3, eval_windows: 64, ckpt_every: 100, ckpt_log_until: 512",
            Models = quick ? [new(6, 16), new(6, 32), new(6, 48), new(6, 64)] : [new(6, 32), new(6, 64), new(6, 128), new(6, 256)],
            DataSizes = [quick ? 51_200 : 1_024_000],
        },
    ]);

    /// <summary>What the rule is applied to: per size (N), the median-layer convergence fraction of ATT and MLP (null = never).</summary>
    public sealed record Measurement(IReadOnlyList<(double N, double? Att, double? Mlp)> Sizes);

    /// <summary>Spearman's rank correlation (average ranks for ties); NaN with fewer than 3 points or a constant side.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count < 3) return double.NaN;
        double[] Ranks(IReadOnlyList<double> v)
        {
            var idx = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
            var r = new double[v.Count];
            for (int i = 0; i < idx.Length;)
            {
                int j = i;
                while (j + 1 < idx.Length && v[idx[j + 1]] == v[idx[i]]) j++;
                for (int k = i; k <= j; k++) r[idx[k]] = (i + j) / 2.0 + 1;
                i = j + 1;
            }
            return r;
        }
        var rx = Ranks(x); var ry = Ranks(y);
        double mx = rx.Average(), my = ry.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < rx.Length; i++) { sxy += (rx[i] - mx) * (ry[i] - my); sxx += (rx[i] - mx) * (rx[i] - mx); syy += (ry[i] - my) * (ry[i] - my); }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>The verdict rule (fixed before the run).</summary>
    public static Verdict Judge(Measurement m)
    {
        var sorted = m.Sizes.OrderBy(s => s.N).ToList();
        var n = sorted.Select(s => s.N).ToList();
        var checks = new List<VerdictCheck>();
        var rhos = new List<double>();
        foreach (var (site, pick) in new (string, Func<(double N, double? Att, double? Mlp), double?>)[] { ("ATT", s => s.Att), ("MLP", s => s.Mlp) })
        {
            var f = sorted.Select(s => pick(s) ?? 1.0).ToList();
            double rho = Spearman(n, f);
            rhos.Add(rho);
            double drop = f[0] - f[^1];
            checks.Add(new($"{site}: Spearman ρ(size, convergence fraction)", rho, $"≤ −{Rho}", rho <= -Rho));
            checks.Add(new($"{site}: smallest − largest convergence fraction", drop, $"≥ {MinDrop}", drop >= MinDrop));
        }
        return Verdict.AllOf(new DynamicsBySize().Rule, checks, contradicted: rhos.All(r => r >= Rho));
    }

    /// <inheritdoc/>
    public ExperimentFindings Analyze(ExperimentContext ctx)
    {
        string dir = Path.Combine(ctx.OutDir, "dynamics");
        var result = DynamicsAnalysis.Run(new DynamicsOptions
        {
            Runs = ctx.Runs.OrderBy(r => r.N).Select(r => r.Record.RunDir).ToList(),
            OutDir = dir,
            Log = ctx.Log,
        });
        var byRun = ctx.Runs.ToDictionary(r => Path.GetFullPath(r.Record.RunDir), r => (double)r.N);
        var sizes = result.Models.Select(mo => (N: byRun.GetValueOrDefault(Path.GetFullPath(mo.Run), double.NaN), Att: mo.MedianFirstFractionAtt, Mlp: mo.MedianFirstFractionMlp))
                                 .OrderBy(s => s.N).ToList();
        var m = new Measurement(sizes);
        string Fr(double? x) => x is double v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "never";
        var rows = result.Models.Select(mo => new[]
        {
            mo.Size, SweepReport.F(byRun.GetValueOrDefault(Path.GetFullPath(mo.Run), double.NaN)), mo.Layers.ToString(CultureInfo.InvariantCulture),
            mo.Checkpoints.ToString(CultureInfo.InvariantCulture), Fr(mo.MedianFirstFractionAtt), Fr(mo.MedianFirstFractionMlp),
            mo.Mcc.ParamAtt.ToString(), mo.Mcc.GradAtt.ToString(), mo.Mcc.ParamMlp.ToString(), mo.Mcc.GradMlp.ToString(),
        }).ToList();
        var figures = Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*.svg").Order(StringComparer.Ordinal)
                .Select(f => new FigureRef(Path.Combine("dynamics", Path.GetFileName(f)), $"Training dynamics: {Path.GetFileNameWithoutExtension(f)}")).ToList()
            : [];
        return new ExperimentFindings
        {
            Verdict = Judge(m),
            Summary =
            [
                "Median-layer convergence fraction (CKA ≥ 0.45 with the final checkpoint), ATT / MLP, by size: " +
                string.Join(", ", sizes.Select(s => $"N = {SweepReport.F(s.N)}: {Fr(s.Att)} / {Fr(s.Mlp)}")) + " (paper: ≈ 0.2 for the larger Pythia models).",
                $"PER rule: {result.PerRule}. {result.MccSummary}",
            ],
            TableHead = ["size", "N", "layers", "checkpoints", "ATT converges at", "MLP converges at", "MCC θ_ATT", "MCC ∇θ_ATT", "MCC θ_MLP", "MCC ∇θ_MLP"],
            TableRows = rows,
            Figures = figures,
        };
    }
}
