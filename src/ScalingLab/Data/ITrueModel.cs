namespace ScalingLab.Data;

/// <summary>
/// The generator of a synthetic corpus used as a language model: its own next-token probabilities, so the best loss any
/// model can reach on given evaluation tokens is computable (the true model's cross-entropy on them), beside the
/// population entropy rate. Implemented by <see cref="MarkovChain"/> (through <see cref="MarkovTrueModel"/>),
/// <see cref="QfTrueModel"/> and <see cref="MemorizeTrueModel"/>; <see cref="TrueModels.For"/> rebuilds the one behind
/// a data folder from its manifest.
/// </summary>
public interface ITrueModel
{
    /// <summary>Entropy rate of the source in nats per token (the true model's loss on an endless stream).</summary>
    double EntropyRate { get; }

    /// <summary>
    /// The true model's log-loss on one window as a transformer sees it: Σ −ln p(window[i] | window[0..i)) for
    /// i = 1..<paramref name="predicted"/>, the model conditioning on exactly the window's earlier tokens (no history
    /// before the window). Returns the sum and how many of those targets it scored: a target whose probability the
    /// generator cannot give from the window alone (a Question-Formation line that began before the window) is left out.
    /// </summary>
    (double Nats, int Scored) LogLoss(ReadOnlySpan<int> window, int predicted);
}

/// <summary>The true models of the built-in generators, rebuilt from a data manifest.</summary>
public static class TrueModels
{
    /// <summary>
    /// The generator behind the data folder <paramref name="dir"/> with manifest <paramref name="m"/>: Markov ("markov"),
    /// memorise ("memorize") or generated Question-Formation ("qf": the grammar saved beside the data, or McCoy's for a
    /// folder written before it was saved; null for McCoy's own files read with --from, whose generator is not ours);
    /// null for any other data.
    /// </summary>
    public static ITrueModel? For(DataManifest m, string dir)
    {
        var p = m.Parameters;
        int Int(string k) => (int)p![k]!;
        switch (m.Kind)
        {
            case "markov" when p is not null:
                return new MarkovTrueModel(MarkovChain.RandomDirichlet(Int("order"), Int("vocab"), (double)p["concentration"]!, m.Seed));
            case "memorize" when p is not null:
                return new MemorizeTrueModel(SyntheticCorpora.DistinctSequences(Int("sequences"), Int("length"), Int("vocab"), Int("min_distance"), m.Seed));
            case "qf" when p is not null && p["from_files"] is { } ff && !(bool)ff:
                string gr = Path.Combine(dir, QuestionFormation.GrammarFile);
                return QfTrueModel.Build(File.Exists(gr) ? new QfGrammar(File.ReadAllText(gr), gr) : QfGrammar.McCoy());
            default:
                return null;
        }
    }

    /// <summary>Mean true-model loss (nats per scored target) over windows given as (tokens, predicted) pairs; NaN when none scored.</summary>
    public static (double MeanNats, long Scored) CrossEntropy(ITrueModel model, IEnumerable<(int[] Window, int Predicted)> windows)
    {
        double sum = 0;
        long n = 0;
        foreach (var (w, k) in windows)
        {
            var (nats, scored) = model.LogLoss(w, k);
            sum += nats;
            n += scored;
        }
        return (n == 0 ? double.NaN : sum / n, n);
    }
}
