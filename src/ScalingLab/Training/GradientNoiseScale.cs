namespace ScalingLab.Training;

/// <summary>
/// The simple gradient noise scale of McCandlish et al. 2018 ("An Empirical Model of Large-Batch Training", eq. 2.9):
///     B_simple = tr(Σ) / |G|²,
/// with G the true gradient and Σ the per-example gradient covariance; it estimates the critical batch size
/// B_crit (Kaplan et al. 2020, §5.1, measure it in tokens). From the squared norms of minibatch-mean gradients at two
/// batch sizes, E|G_B|² = |G|² + tr(Σ)/B gives the unbiased estimators of their App. A.1:
///     |G|²   ≈ (B_big |G_big|² − B_small |G_small|²) / (B_big − B_small)
///     tr(Σ)  ≈ (|G_small|² − |G_big|²) / (1/B_small − 1/B_big).
/// Each is noisy; average them over many steps separately and divide the averages (as the paper does).
/// </summary>
public static class GradientNoiseScale
{
    /// <summary>The unbiased estimate of |G|² from one pair of measurements.</summary>
    public static double GradSquared(double smallSq, double bSmall, double bigSq, double bBig)
    {
        Check(bSmall, bBig);
        return (bBig * bigSq - bSmall * smallSq) / (bBig - bSmall);
    }

    /// <summary>The unbiased estimate of tr(Σ) from one pair of measurements.</summary>
    public static double TraceSigma(double smallSq, double bSmall, double bigSq, double bBig)
    {
        Check(bSmall, bBig);
        return (smallSq - bigSq) / (1 / bSmall - 1 / bBig);
    }

    /// <summary>
    /// B_simple from many pairs (|G_small|², |G_big|²) at fixed batch sizes: mean tr(Σ) estimate over mean |G|² estimate;
    /// NaN when there are no pairs or the mean |G|² estimate is not positive (gradient below the noise).
    /// </summary>
    public static double Estimate(IEnumerable<(double SmallSq, double BigSq)> pairs, double bSmall, double bBig)
    {
        double g = 0, s = 0;
        int n = 0;
        foreach (var (small, big) in pairs)
        {
            g += GradSquared(small, bSmall, big, bBig);
            s += TraceSigma(small, bSmall, big, bBig);
            n++;
        }
        return n == 0 || !(g > 0) ? double.NaN : s / g;
    }

    private static void Check(double bSmall, double bBig)
    {
        if (!(bSmall > 0) || !(bBig > bSmall)) throw new ArgumentException($"need 0 < B_small ({bSmall}) < B_big ({bBig})");
    }
}
