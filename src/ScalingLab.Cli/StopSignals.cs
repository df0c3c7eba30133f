using System.Runtime.InteropServices;

namespace ScalingLab.Cli;

/// <summary>
/// SIGTERM (Slurm's preemption or time-limit warning, a plain kill) and SIGINT (Ctrl-C) as a cancellation token for
/// the verb being run: the first one cancels the token and keeps the process alive, so that `train` and `sweep work`
/// can write a checkpoint at the next step boundary, put their run back in the queue and exit 0; a second one ends
/// the process at once (the default action).
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration[] _registrations;

    /// <summary>Registers the handlers.</summary>
    public StopSignals()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
        ];
    }

    /// <summary>Cancelled at the first SIGTERM or SIGINT.</summary>
    public CancellationToken Token => _cts.Token;

    private void Handle(PosixSignalContext context)
    {
        if (_cts.IsCancellationRequested) return; // the second signal: default action, the process ends
        context.Cancel = true;
        Console.Error.WriteLine($"scalinglab: {context.Signal} received; stopping at the next step boundary (send it again to stop at once)");
        _cts.Cancel();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }
}
