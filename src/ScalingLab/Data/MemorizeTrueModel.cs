namespace ScalingLab.Data;

/// <summary>
/// The memorisable corpus (<see cref="SyntheticCorpora.WriteMemorize"/>) as a true model: each line is one of d
/// sequences drawn uniformly, so the probability of a line's next token is the share of the sequences that agree with
/// the line so far; the newline after L symbols is certain. Tokens of a line that began before the window are left out.
/// </summary>
public sealed class MemorizeTrueModel : ITrueModel
{
    private readonly List<int[]> _set;
    private readonly int _length;

    /// <summary>The d sequences (symbols 0..V−1; token id = symbol + 1, newline id 0).</summary>
    public MemorizeTrueModel(List<int[]> sequences)
    {
        _set = sequences;
        _length = sequences[0].Length;
        EntropyRate = Math.Log(sequences.Count) / (_length + 1);
    }

    /// <inheritdoc />
    public double EntropyRate { get; }

    /// <inheritdoc />
    public (double Nats, int Scored) LogLoss(ReadOnlySpan<int> window, int predicted)
    {
        double nats = 0;
        int scored = 0;
        int lineStart = -1; // index in the window of the current line's first token; −1 until a newline is seen
        var alive = new List<int[]>(_set.Count);
        for (int i = 1; i <= predicted; i++)
        {
            if (window[i - 1] == 0) { lineStart = i; alive.Clear(); alive.AddRange(_set); }
            if (lineStart < 0) continue;
            int pos = i - lineStart;
            scored++;
            if (pos == _length) { if (window[i] != 0) return (double.PositiveInfinity, scored); continue; }
            int before = alive.Count;
            int id = window[i];
            alive.RemoveAll(s => s[pos] + 1 != id);
            if (alive.Count == 0) return (double.PositiveInfinity, scored);
            nats -= Math.Log((double)alive.Count / before);
        }
        return (nats, scored);
    }
}
