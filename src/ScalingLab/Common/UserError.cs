namespace ScalingLab.Common;

/// <summary>
/// A problem with what the user asked for (a bad file, a bad value, a missing column).
/// The CLI prints its message as one line, without a stack trace, and exits non-zero.
/// The message names the problem and, where there is one, the fix.
/// A bad setting carries its key (<see cref="Setting"/>, snake_case as in train.json) apart from the problem, so each
/// caller names it as its user knows it: the CLI as a flag (<c>--eval-windows</c>, the default), a sweep spec as a
/// field (<c>train.eval_windows</c>) via <see cref="Named"/>.
/// </summary>
public sealed class UserError : Exception
{
    private readonly string? _text;

    /// <summary>An error with a finished message.</summary>
    public UserError(string message, int exitCode = 1) : base(OneLine(message))
    {
        _text = OneLine(message);
        ExitCode = exitCode == 0 ? 1 : exitCode;
    }

    /// <summary>Line breaks (from a quoted file or a library's message) become spaces: the message is one line.</summary>
    private static string OneLine(string message) =>
        message.Contains('\n') || message.Contains('\r') ? message.ReplaceLineEndings(" ") : message;

    private UserError(string? context, string setting, string problem, Func<string, string> name, int exitCode) : base(null)
    {
        Context = context;
        Setting = setting;
        Problem = problem;
        SettingName = name(setting);
        ExitCode = exitCode == 0 ? 1 : exitCode;
    }

    /// <summary>Process exit code the CLI returns for this error (never 0).</summary>
    public int ExitCode { get; }

    /// <summary>The setting's key (e.g. "eval_windows"), or null for an error about no single setting.</summary>
    public string? Setting { get; }

    /// <summary>What is wrong with the setting ("must be ≥ 1 (got 0)").</summary>
    public string? Problem { get; }

    /// <summary>Where the setting belongs ("train"), printed before it.</summary>
    public string? Context { get; }

    /// <summary>The setting as this error's caller names it.</summary>
    public string? SettingName { get; }

    /// <inheritdoc />
    public override string Message => _text ?? OneLine($"{(Context is null ? "" : Context + ": ")}{SettingName} {Problem}");

    /// <summary>The CLI's name of a setting key: "eval_windows" → "--eval-windows".</summary>
    public static string Flag(string key) => "--" + key.Replace('_', '-');

    /// <summary>A bad setting, named as a CLI flag until a caller renames it.</summary>
    public static UserError ForSetting(string context, string setting, string problem, int exitCode = 1) =>
        new(context, setting, problem, Flag, exitCode);

    /// <summary>
    /// This error with its setting named by <paramref name="name"/> (and <paramref name="context"/> in place of the
    /// original context, when given); an error about no setting comes back unchanged.
    /// </summary>
    public UserError Named(Func<string, string> name, string? context = null) =>
        Setting is null ? this : new UserError(context ?? Context, Setting, Problem!, name, ExitCode);
}
