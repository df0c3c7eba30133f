namespace ScalingLab.Common;

/// <summary>
/// Progress of one long step as a percentage. On a terminal it rewrites one line in place ("\r");
/// when the writer is a file or a pipe it prints a plain line at each 10% instead, so a log stays
/// readable rather than one line of thousands of carriage returns.
/// </summary>
public sealed class ProgressLine(TextWriter writer, string label)
{
    private readonly bool _live = ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected
                                  || ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
    private int _lastTenth = -1;
    private bool _open;

    /// <summary>Reports <paramref name="fraction"/> of the work done, in [0, 1].</summary>
    public void Report(double fraction)
    {
        double percent = 100 * Math.Clamp(fraction, 0, 1);
        if (_live)
        {
            writer.Write(FormattableString.Invariant($"\r{label} {percent:0.0}%"));
            _open = true;
            return;
        }
        int tenth = (int)(percent / 10);
        if (tenth <= _lastTenth) return;
        _lastTenth = tenth;
        writer.WriteLine(FormattableString.Invariant($"{label} {tenth * 10}%"));
    }

    /// <summary>Ends the in-place line (a no-op when plain lines were printed).</summary>
    public void Finish()
    {
        if (_open) writer.WriteLine();
        _open = false;
    }
}
