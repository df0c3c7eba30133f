using ScalingLab.Common;
using ScalingLab.Model;

namespace ScalingLab.Dynamics;

/// <summary>
/// Collects, through the model's <see cref="ICaptureSink"/>, what the paper studies (training-dynamics.md §1):
/// per layer the attention and MLP updates written into the residual stream (n × D each, n = batch · T), and the
/// gradients of the matrices that write them — W_O and the MLP down projection — on the same batch.
/// Buffers are laid out once for n rows; each Forward/Backward overwrites them.
/// </summary>
public sealed class ActivationCapture : ICaptureSink
{
    private readonly Dictionary<string, (int Layer, Site Site)> _gradNames = new();
    private readonly int[] _slot; // layer → index into the buffers, −1 when not captured
    private readonly int _rows, _dModel;

    /// <summary>Captures <paramref name="layers"/> (all when null) of a model with <paramref name="config"/> on batches of <paramref name="rows"/> tokens.</summary>
    public ActivationCapture(ModelConfig config, int rows, IReadOnlyList<int>? layers = null)
    {
        Layers = CheckLayers(config, layers);
        _rows = rows;
        _dModel = config.DModel;
        _slot = Enumerable.Repeat(-1, config.NLayer).ToArray();
        for (int i = 0; i < Layers.Length; i++)
        {
            _slot[Layers[i]] = i;
            foreach (Site s in Enum.GetValues<Site>()) _gradNames[WriterName(config, Layers[i], s)] = (Layers[i], s);
        }
        foreach (Site s in Enum.GetValues<Site>())
        {
            Updates[s] = Layers.Select(_ => new float[rows * config.DModel]).ToArray();
            Grads[s] = Layers.Select(l => new float[WriterLength(config, s)]).ToArray();
            GradShapes[s] = Layers.Select(l => WriterShape(config, s)).ToArray();
        }
    }

    /// <summary>The layers to capture (all when <paramref name="layers"/> is null); a layer the model lacks is a <see cref="UserError"/>.</summary>
    public static int[] CheckLayers(ModelConfig config, IReadOnlyList<int>? layers)
    {
        int[] list = layers?.ToArray() ?? Enumerable.Range(0, config.NLayer).ToArray();
        foreach (int l in list)
            if (l < 0 || l >= config.NLayer)
                throw new UserError($"dynamics: layer {l} does not exist; this model has layers 0..{config.NLayer - 1}");
        if (list.Distinct().Count() != list.Length) throw new UserError("dynamics: a layer is listed twice in --layers");
        return list;
    }

    /// <summary>The captured layers, in the order of the buffers below.</summary>
    public int[] Layers { get; }

    /// <summary>Residual-stream updates, [site][index of layer in <see cref="Layers"/>] → rows × D, row-major.</summary>
    public Dictionary<Site, float[][]> Updates { get; } = new();

    /// <summary>Gradients of the writing matrices on the batch, same indexing; shapes in <see cref="GradShapes"/>.</summary>
    public Dictionary<Site, float[][]> Grads { get; } = new();

    /// <summary>Shapes of <see cref="Grads"/> (the parameter's stored shape).</summary>
    public Dictionary<Site, int[][]> GradShapes { get; } = new();

    /// <summary>
    /// The Hugging Face name of the matrix that writes site <paramref name="site"/> of <paramref name="layer"/>
    /// into the residual stream: W_O (attn.c_proj / attention.dense) or the MLP down projection.
    /// </summary>
    public static string WriterName(ModelConfig config, int layer, Site site) => (config.Flavour, site) switch
    {
        (ModelFlavour.Gpt2, Site.Att) => $"h.{layer}.attn.c_proj.weight",
        (ModelFlavour.Gpt2, Site.Mlp) => $"h.{layer}.mlp.c_proj.weight",
        (ModelFlavour.NeoX, Site.Att) => $"layers.{layer}.attention.dense.weight",
        _ => $"layers.{layer}.mlp.dense_4h_to_h.weight",
    };

    private static int[] WriterShape(ModelConfig c, Site s) =>
        s == Site.Att ? [c.DModel, c.DModel] : c.Flavour == ModelFlavour.Gpt2 ? [c.DFf, c.DModel] : [c.DModel, c.DFf];

    private static int WriterLength(ModelConfig c, Site s) => s == Site.Att ? c.DModel * c.DModel : c.DModel * c.DFf;

    /// <inheritdoc />
    public IReadOnlyCollection<string> WantedGradients => _gradNames.Keys;

    /// <inheritdoc />
    public void OnAttentionUpdate(int layer, ReadOnlySpan<float> update, int rows, int dModel) => Copy(Site.Att, layer, update, rows, dModel);

    /// <inheritdoc />
    public void OnMlpUpdate(int layer, ReadOnlySpan<float> update, int rows, int dModel) => Copy(Site.Mlp, layer, update, rows, dModel);

    /// <inheritdoc />
    public void OnFinalHidden(ReadOnlySpan<float> hidden, int rows, int dModel) { }

    /// <inheritdoc />
    public void OnGradient(string name, ReadOnlySpan<float> grad, int[] shape)
    {
        if (!_gradNames.TryGetValue(name, out var at)) return;
        var dst = Grads[at.Site][_slot[at.Layer]];
        if (grad.Length != dst.Length) throw new InvalidOperationException($"capture: gradient {name} has {grad.Length} values, expected {dst.Length}");
        grad.CopyTo(dst);
    }

    private void Copy(Site site, int layer, ReadOnlySpan<float> update, int rows, int dModel)
    {
        if (_slot[layer] < 0) return;
        if (rows != _rows || dModel != _dModel)
            throw new InvalidOperationException($"capture: built for {_rows}×{_dModel}, got {rows}×{dModel}");
        update.CopyTo(Updates[site][_slot[layer]]);
    }
}
