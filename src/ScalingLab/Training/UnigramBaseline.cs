using ScalingLab.Data;

namespace ScalingLab.Training;

/// <summary>
/// The unigram baseline a language model must beat: the entropy H = −Σ p(w)·ln p(w) of the training tokens'
/// frequencies (nats/token), and the cross-entropy of the validation tokens under those frequencies with
/// add-one (Laplace) smoothing, −(1/|val|)·Σ ln((c(w)+1)/(N+V)) — the val loss of the best context-free model.
/// </summary>
public static class UnigramBaseline
{
    /// <summary>Token counts of <paramref name="tokens"/>, read in chunks.</summary>
    public static long[] Counts(ITokenSequence tokens)
    {
        var counts = new long[tokens.VocabSize];
        var buf = new int[1 << 16];
        for (long pos = 0; pos < tokens.Count; pos += buf.Length)
        {
            int n = (int)Math.Min(buf.Length, tokens.Count - pos);
            tokens.Read(pos, buf.AsSpan(0, n));
            for (int i = 0; i < n; i++) counts[buf[i]]++;
        }
        return counts;
    }

    /// <summary>Entropy in nats of the unigram distribution given by <paramref name="counts"/>.</summary>
    public static double Entropy(long[] counts)
    {
        double total = counts.Sum();
        double h = 0;
        foreach (long c in counts)
            if (c > 0) h -= c / total * Math.Log(c / total);
        return h;
    }

    /// <summary>Mean cross-entropy in nats of <paramref name="val"/> under add-one-smoothed <paramref name="trainCounts"/>.</summary>
    public static double CrossEntropy(long[] trainCounts, ITokenSequence val)
    {
        double denom = trainCounts.Sum() + (double)trainCounts.Length;
        long[] valCounts = Counts(val);
        double sum = 0;
        long n = 0;
        for (int w = 0; w < valCounts.Length; w++)
        {
            if (valCounts[w] == 0) continue;
            long c = w < trainCounts.Length ? trainCounts[w] : 0;
            sum -= valCounts[w] * Math.Log((c + 1) / denom);
            n += valCounts[w];
        }
        return n == 0 ? double.NaN : sum / n;
    }
}
