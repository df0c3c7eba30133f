namespace ScalingLab.Experiments;

/// <summary>A published figure an experiment is compared with: what it is, its value, and where it was printed.</summary>
public sealed record PaperValue(string Quantity, string Value, string Source);
