using ScalingLab.Common;
using ScalingLab.Tests.Fuzz;

// AFL++ harness: `ScalingLab.Fuzz FORMAT` reads one input per run from stdin (SharpFuzz's persistent mode), writes it
// where the format's parser looks and parses it; a UserError is a clean rejection, any other exception a crash.
// `ScalingLab.Fuzz seeds FORMAT DIR` writes the format's seed inputs (AFL's starting corpus).
if (args.Length == 3 && args[0] == "seeds")
{
    var f = FuzzFormats.All.Single(x => x.Name == args[1]);
    Directory.CreateDirectory(args[2]);
    for (int i = 0; i < f.Seeds.Count; i++) File.WriteAllBytes(Path.Combine(args[2], $"seed-{i}"), f.Seeds[i]);
    return 0;
}
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: ScalingLab.Fuzz FORMAT | seeds FORMAT DIR (formats: tests/ScalingLab.Tests/Fuzz/FuzzFormats.cs)");
    return 2;
}
// Instrumented library code may run only inside Fuzzer.Run (SharpFuzz's shared memory is set up there), and
// FuzzFormats' seeds are built by library code: look the format up on the first input.
FuzzFormat? format = null;
string dir = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"sl-afl-{args[0]}-{Environment.ProcessId}");
SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
{
    if (format is null)
    {
        format = FuzzFormats.All.Single(x => x.Name == args[0]);
        Directory.CreateDirectory(dir);
        format.Setup?.Invoke(dir);
    }
    using var ms = new MemoryStream();
    stream.CopyTo(ms);
    File.WriteAllBytes(Path.Combine(dir, format.FileName), ms.ToArray());
    try
    {
        format.Parse(dir);
    }
    catch (UserError e) when (!e.Message.Contains('\n'))
    {
    }
});
return 0;
