namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab memory bound`: the cross-entropy bound (Prop. 4) and N = O(D²), optionally beside a run's plateau.</summary>
public static class MemoryBoundCommand
{
    /// <summary>The `memory bound` sub-verb.</summary>
    public static Command Create()
    {
        var n = new Option<double?>("--n") { Description = "pattern dimension n (default 1024, or the run's d_model)" };
        var N = new Option<double?>("--params") { Description = "model size N (attention + FF parameters)" };
        var D = new Option<double?>("--tokens") { Description = "data size D in tokens" };
        var seq = new Option<double?>("--seq-len") { Description = "T_max: tokens per training sequence, d = D/T_max (default 1024)" };
        var layers = new Option<double?>("--layers") { Description = "l, number of layers (default 24)" };
        var demb = new Option<double?>("--d-emb") { Description = "d_emb (default 1024)" };
        var a = new Option<double?>("--a") { Description = "A in N ≈ A·l·d_emb² (default 10, the paper's GPT-2 medium value)" };
        var run = new Option<string>("--run") { Description = "a run folder: take N, D, l, d_emb, T_max from it and print the measured plateau beside the bound" };
        return Verb.Printing("bound",
            Verb.Help("Cross-entropy lower bound (Niu et al. Prop. 4: L ≈ log Z_t + 1/Z_t ≥ 1) and the N = O(D^2) trade-off for given\n" +
            "n, N and D; with --run, beside the run's measured plateau (min val loss in metrics.jsonl).",
            "scalinglab memory bound --n 1024 --params 3.55e8 --tokens 9e9",
            "scalinglab memory bound --run runs/4x256"), [n, N, D, seq, layers, demb, a, run], parse =>
        {
            var r = LossBoundAnalysis.Run(new LossBoundOptions
            {
                Run = parse.GetValue(run), Dim = parse.GetValue(n), Params = parse.GetValue(N), Tokens = parse.GetValue(D),
                SeqLen = parse.GetValue(seq), Layers = parse.GetValue(layers), DEmb = parse.GetValue(demb), A = parse.GetValue(a),
            });
            return Verb.Print(parse, r.ToJson, o => o.Write(r.Table()));
        });
    }
}
