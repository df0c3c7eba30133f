namespace ScalingLab.Dynamics;

/// <summary>The two sublayers whose residual-stream updates and writing matrices are studied.</summary>
public enum Site
{
    /// <summary>Attention: update after W_O; parameter W_O (attn.c_proj / attention.dense).</summary>
    Att,
    /// <summary>MLP: update after the down projection; parameter mlp.c_proj / mlp.dense_4h_to_h.</summary>
    Mlp,
}

/// <summary>
/// Every number measured on one run's checkpoint series: per checkpoint c and layer l, for each site,
/// CKA(a_{l,c}, a_{l,final}) and the effective rank / PER of the parameter and of its gradient on the
/// evaluation batch. Arrays are [checkpoint][layer]. <see cref="DynamicsAnalysis"/> derives the rest.
/// </summary>
public sealed class RunDynamics
{
    /// <summary>A series for <paramref name="steps"/> (ascending; the last is the final checkpoint) and <paramref name="layers"/> layers.</summary>
    public RunDynamics(string run, string size, long[] steps, int layers)
    {
        if (steps.Length == 0) throw new ArgumentException("no checkpoints");
        for (int i = 1; i < steps.Length; i++)
            if (steps[i] <= steps[i - 1]) throw new ArgumentException("steps must ascend");
        Run = run;
        Size = size;
        Steps = steps;
        Layers = layers;
        double[][] Make() => Enumerable.Range(0, steps.Length).Select(_ => Enumerable.Repeat(double.NaN, layers).ToArray()).ToArray();
        foreach (Site s in Enum.GetValues<Site>())
        {
            Cka[s] = Make();
            ParamRank[s] = Make();
            ParamPer[s] = Make();
            GradRank[s] = Make();
            GradPer[s] = Make();
        }
    }

    /// <summary>Run folder (or a label for it).</summary>
    public string Run { get; }
    /// <summary>Model size label ("LxD") that groups runs for the per-size means.</summary>
    public string Size { get; }
    /// <summary>Checkpoint steps, ascending.</summary>
    public long[] Steps { get; }
    /// <summary>Number of layers measured.</summary>
    public int Layers { get; }
    /// <summary>The model's index of each measured layer (0..Layers−1 unless a subset was asked for).</summary>
    public int[] LayerIds { get; init; } = [];
    /// <summary>The model's index of measured layer <paramref name="l"/>.</summary>
    public int LayerId(int l) => LayerIds.Length > l ? LayerIds[l] : l;
    /// <summary>The final step (the reference checkpoint).</summary>
    public long FinalStep => Steps[^1];

    /// <summary>CKA with the final checkpoint, [checkpoint][layer].</summary>
    public Dictionary<Site, double[][]> Cka { get; } = new();
    /// <summary>Effective rank of the parameter matrix.</summary>
    public Dictionary<Site, double[][]> ParamRank { get; } = new();
    /// <summary>PER (ER / min(rows, cols)) of the parameter matrix.</summary>
    public Dictionary<Site, double[][]> ParamPer { get; } = new();
    /// <summary>Effective rank of the gradient on the evaluation batch.</summary>
    public Dictionary<Site, double[][]> GradRank { get; } = new();
    /// <summary>PER of the gradient.</summary>
    public Dictionary<Site, double[][]> GradPer { get; } = new();

    /// <summary>The CKA of one layer across checkpoints.</summary>
    public double[] CkaOfLayer(Site site, int layer) => Cka[site].Select(row => row[layer]).ToArray();
}
