namespace ScalingLab.Model;

/// <summary>
/// A named tensor inside <see cref="TransformerLm.Parameters"/> (and, at the same place, in
/// <see cref="TransformerLm.Gradients"/>): Hugging Face name, shape, offset and length in floats.
/// <paramref name="Decay"/> marks the matrices (embeddings included, as nanoGPT) that get weight decay;
/// biases and LayerNorm parameters do not.
/// </summary>
public sealed record ParamView(string Name, int[] Shape, int Offset, int Length, bool Decay);
