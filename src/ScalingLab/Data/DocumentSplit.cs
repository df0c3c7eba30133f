using System.Security.Cryptography;
using System.Text;
using ScalingLab.Tensors;

namespace ScalingLab.Data;

/// <summary>
/// Train/validation split by document, stable under adding documents: a document goes to validation when
/// a seeded hash of its own text falls below the validation fraction. So the decision for one document
/// never depends on the others (adding or reordering documents reshuffles nothing), identical documents
/// land in the same split (no train/val leakage through duplicates), and a new seed gives a new split.
/// </summary>
public static class DocumentSplit
{
    /// <summary>Uniform in [0, 1): SHA-256 of the document's UTF-8 bytes, mixed with the seed.</summary>
    public static double Position(string document, ulong seed)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Wtf8.GetBytes(document), hash);
        ulong h = BitConverter.ToUInt64(hash);
        return (Rng.Mix(h ^ Rng.Mix(seed + 0x9E3779B97F4A7C15UL)) >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>True when the document belongs to the validation split.</summary>
    public static bool IsValidation(string document, ulong seed, double valFraction) =>
        Position(document, seed) < valFraction;
}
