namespace ScalingLab.Common;

/// <summary>
/// A problem with what the user asked for (a bad file, a bad value, a missing column).
/// The CLI prints its message as one line, without a stack trace, and exits non-zero.
/// The message names the problem and, where there is one, the fix.
/// </summary>
public sealed class UserError(string message, int exitCode = 1) : Exception(message)
{
    /// <summary>Process exit code the CLI returns for this error (never 0).</summary>
    public int ExitCode { get; } = exitCode == 0 ? 1 : exitCode;
}
