using System.Globalization;
using System.Text;
using System.Text.Json;
using ScalingLab.Common;
using ScalingLab.Model;
using ScalingLab.Training;

namespace ScalingLab.Memory;

/// <summary>
/// Settings of <see cref="LossBoundAnalysis.Run"/>: a run folder to take N, D, l, d_emb and T_max from (optional), and
/// explicit values that override it. Unset values without a run take <see cref="LossBoundInputs"/>'s defaults (the
/// paper's GPT-2 medium set-up).
/// </summary>
public sealed record LossBoundOptions
{
    /// <summary>Run folder (`--run`).</summary>
    public string? Run { get; init; }
    /// <summary>n (`--n`).</summary>
    public double? Dim { get; init; }
    /// <summary>N (`--params`).</summary>
    public double? Params { get; init; }
    /// <summary>D (`--tokens`).</summary>
    public double? Tokens { get; init; }
    /// <summary>T_max (`--seq-len`).</summary>
    public double? SeqLen { get; init; }
    /// <summary>l (`--layers`).</summary>
    public double? Layers { get; init; }
    /// <summary>d_emb (`--d-emb`).</summary>
    public double? DEmb { get; init; }
    /// <summary>A in N ≈ A·l·d_emb² (`--a`).</summary>
    public double? A { get; init; }
}

/// <summary>The bound (Prop. 4) and trade-off, with the run's measured losses beside it when a run was given.</summary>
/// <param name="Bound">The calculator's answer for the resolved inputs.</param>
/// <param name="Run">The run folder, if any.</param>
/// <param name="MeasuredMinValLoss">Lowest validation loss in the run's metrics.jsonl.</param>
/// <param name="MeasuredFinalTrainLoss">Last training (batch) loss in the run's metrics.jsonl (Niu et al. quote training loss).</param>
/// <param name="MeasuredMinTrainEvalLoss">Lowest loss on the run's fixed training windows (train_eval_loss), when recorded.</param>
public sealed record LossBoundReport(LossBoundResult Bound, string? Run, double? MeasuredMinValLoss, double? MeasuredFinalTrainLoss,
                                     double? MeasuredMinTrainEvalLoss = null)
{
    /// <summary>The `--json` document: inputs and every quantity, flat, snake_case.</summary>
    public string ToJson()
    {
        var r = Bound;
        var i = r.Inputs;
        return JsonSerializer.Serialize(new
        {
            n = i.Dim, @params = i.Params, tokens = i.Tokens, seq_len = i.SeqLen, layers = i.Layers,
            d_emb = i.DEmb, a = i.A, patterns = r.PatternCount, radius = r.Radius,
            log_z_paper_lower = r.LogZPaperLower, log_z_paper_upper = r.LogZPaperUpper, log_z_exact = r.LogZExact,
            log_z_correct_lower = r.LogZCorrectLower,
            loss_bound = r.LossFloor, loss_paper_upper_z = r.LossPaperUpper, loss_paper_lower_z = r.LossPaperLower,
            loss_paper_exact_z = r.LossExact, loss_consistent_upper_z = r.ConsistentLossUpper, loss_consistent_exact_z = r.ConsistentLossExact,
            eq2_constant = r.EqTwoConstant, n_from_params = r.DimFromParams, optimal_n_for_data = r.OptimalDimForData,
            optimal_params_for_data = r.OptimalParamsForData, optimal_tokens_for_params = r.OptimalTokensForParams,
            params_per_token_squared = r.ParamsPerTokenSquared, implied_ratio = r.ImpliedRatio,
            n_for_unit_z_exact = double.IsFinite(r.DimForUnitZExact) ? r.DimForUnitZExact : (double?)null,
            run = Run, measured_min_val_loss = MeasuredMinValLoss, measured_final_train_loss = MeasuredFinalTrainLoss,
            measured_min_train_eval_loss = MeasuredMinTrainEvalLoss,
        });
    }

    /// <summary>The human text.</summary>
    public string Table()
    {
        var r = Bound;
        var i = r.Inputs;
        var sb = new StringBuilder();
        void L(FormattableString s) => sb.AppendLine(s.ToString(CultureInfo.InvariantCulture));
        L($"inputs: n = {i.Dim:G6}, N = {i.Params:G4} params, D = {i.Tokens:G4} tokens, T_max = {i.SeqLen:G6}, l = {i.Layers:G4}, d_emb = {i.DEmb:G6}, A = {i.A:G4}");
        L($"patterns d = D/T_max = {r.PatternCount:G4}; radius r = √(n/2πe) = {r.Radius:0.###} (neighbours ≈ {2 * r.Radius:0.##} apart)");
        L($"partition function log Z_t (Eq. 14): paper {r.LogZPaperLower:0.###} … {r.LogZPaperUpper:0.###}; exact d·m_n(r) {r.LogZExact:0.###} (correct lower {r.LogZCorrectLower:0.###})");
        L($"loss bound (Prop. 4): L ≥ {r.LossFloor:0} nat/token; paper's L ≈ log Z_t + 1/Z_t = {r.LossPaperUpper:G5} (upper Z), {r.LossExact:G5} (exact Z)");
        L($"  consistent reading (E_t = g_t): L ≈ log Z_t = {r.ConsistentLossUpper:0.###} (upper Z), {r.ConsistentLossExact:0.###} (exact Z), no floor at 1");
        L($"trade-off (Prop. 5, N = O(D²)): N ≈ {r.EqTwoConstant:G4}·n (Eq. 2) so this N stores n ≈ {r.DimFromParams:G4}");
        L($"  Z_t = 1 (upper end) needs n = d²/π = {r.OptimalDimForData:G4}: N* = {r.OptimalParamsForData:G4} for this D; D* = {r.OptimalTokensForParams:G4} for this N");
        L($"  N/D² = {r.ParamsPerTokenSquared:G4} (theory's constant {r.ImpliedRatio:G4}; the paper measured ≈ 8.6e-10 on OpenELM — set-up dependent)");
        L($"  with the exact ball mass, Z_t = 1 at n ≈ {r.DimForUnitZExact:G4} (grows like log D, not D²)");
        if (Run is not null)
            L($"measured: min val loss {Opt(MeasuredMinValLoss)}, min loss on fixed training windows {Opt(MeasuredMinTrainEvalLoss)}, final train (batch) loss {Opt(MeasuredFinalTrainLoss)} (bound {r.LossFloor:0})");
        return sb.ToString();
    }

    private static string Opt(double? v) => v is { } x ? x.ToString("0.####", CultureInfo.InvariantCulture) : "n/a";
}

/// <summary>Niu et al. Prop. 4 / Prop. 5 for given sizes or a run (<see cref="LossBound"/> does the arithmetic).</summary>
public static class LossBoundAnalysis
{
    /// <summary>Resolves the inputs (run, then explicit values) and computes the bound.</summary>
    public static LossBoundReport Run(LossBoundOptions o)
    {
        var inputs = new LossBoundInputs();
        double? minVal = null, lastTrain = null, minTrainEval = null;
        if (o.Run is not null) (inputs, minVal, lastTrain, minTrainEval) = FromRun(o.Run);
        inputs = inputs with
        {
            Dim = o.Dim ?? inputs.Dim, Params = o.Params ?? inputs.Params, Tokens = o.Tokens ?? inputs.Tokens,
            SeqLen = o.SeqLen ?? inputs.SeqLen, Layers = o.Layers ?? inputs.Layers, DEmb = o.DEmb ?? inputs.DEmb, A = o.A ?? inputs.A,
        };
        return new LossBoundReport(LossBound.Compute(inputs), o.Run, minVal, lastTrain, minTrainEval);
    }

    /// <summary>N (non-embedding), D (tokens trained), l, d_emb, T_max and A = N/(l·d_emb²) of a run, and its measured losses.</summary>
    public static (LossBoundInputs Inputs, double? MinValLoss, double? FinalTrainLoss, double? MinTrainEvalLoss) FromRun(string runDir)
    {
        var run = new RunFolder(runDir);
        if (!File.Exists(run.ConfigPath)) throw new UserError($"bound: '{runDir}' is not a run folder (no config.json)");
        var cfg = run.ReadModel();
        var train = run.ReadTrainOrNull();
        var rows = run.ReadMetrics();
        var vals = rows.Where(r => r.ValLoss is not null).Select(r => r.ValLoss!.Value).ToList();
        double? minVal = vals.Count > 0 ? vals.Min() : null;
        double? lastTrain = rows.LastOrDefault(r => r.TrainLoss is not null)?.TrainLoss;
        var trainEval = rows.Where(r => r.TrainEvalLoss is not null).Select(r => r.TrainEvalLoss!.Value).ToList();
        double? minTrainEval = trainEval.Count > 0 ? trainEval.Min() : null;
        long tokens = rows.Count > 0 ? rows.Max(r => r.Tokens) : 0;
        if (tokens <= 0) tokens = train?.Tokens ?? 0;
        if (tokens <= 0) throw new UserError($"bound: '{runDir}' records no trained tokens (metrics.jsonl or train.json); give --tokens");
        double nParams = ModelAccounting.NonEmbeddingParams(cfg);
        double seqLen = train?.Seq ?? cfg.NCtx;
        var inputs = new LossBoundInputs
        {
            Dim = cfg.DModel, Params = nParams, Tokens = tokens, SeqLen = seqLen, Layers = cfg.NLayer, DEmb = cfg.DModel,
            A = nParams / ((double)cfg.NLayer * cfg.DModel * cfg.DModel),
        };
        return (inputs, minVal, lastTrain, minTrainEval);
    }
}
