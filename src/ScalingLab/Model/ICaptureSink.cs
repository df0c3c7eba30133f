namespace ScalingLab.Model;

/// <summary>
/// Receives what the model computes, for analysis (Dynamics, Memory). Spans are only valid during the call;
/// copy what you keep. Rows are batch·seqLen, row-major [batch, seqLen, dModel].
/// </summary>
public interface ICaptureSink
{
    /// <summary>What attention in block <paramref name="layer"/> adds to the residual stream (after its output projection).</summary>
    void OnAttentionUpdate(int layer, ReadOnlySpan<float> update, int rows, int dModel);

    /// <summary>What the MLP in block <paramref name="layer"/> adds to the residual stream.</summary>
    void OnMlpUpdate(int layer, ReadOnlySpan<float> update, int rows, int dModel);

    /// <summary>The residual stream after the last block, before the final LayerNorm.</summary>
    void OnFinalHidden(ReadOnlySpan<float> hidden, int rows, int dModel);

    /// <summary>Parameter names (Hugging Face) whose gradients <see cref="OnGradient"/> should receive.</summary>
    IReadOnlyCollection<string> WantedGradients { get; }

    /// <summary>Called at the end of Backward with the accumulated gradient of each wanted parameter.</summary>
    void OnGradient(string name, ReadOnlySpan<float> grad, int[] shape);
}
