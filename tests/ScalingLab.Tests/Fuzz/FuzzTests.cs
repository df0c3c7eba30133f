using System.Diagnostics;
using ScalingLab.Common;

namespace ScalingLab.Tests.Fuzz;

/// <summary>
/// The seeded mutation fuzzer over every input format (<see cref="FuzzFormats"/>): 10,000 mutated inputs per format
/// per run, reproducible from (format, seed, case). Each case must end in success or a one-line <see cref="UserError"/>;
/// an unhandled exception, a case that runs past the time limit (a hang), or one that allocates far more than its
/// input could justify (an allocation sized by an unchecked header) fails the test, naming the case and saving its
/// bytes. The counts are printed. Findings of the AFL++ harness live on as files in Fuzz/regressions/FORMAT/.
/// </summary>
public class FuzzTests
{
    /// <summary>Cases per format per CI run (SCALINGLAB_FUZZ_CASES overrides it for a longer or shorter local run).</summary>
    public static readonly int Cases = int.TryParse(Environment.GetEnvironmentVariable("SCALINGLAB_FUZZ_CASES"), out int n) && n > 0 ? n : 10_000;

    /// <summary>The fixed fuzz seed (change it to explore; the suite stays reproducible).</summary>
    public const ulong Seed = 16;

    /// <summary>A case may take this long (a generous bound on a shared 2-core machine; a hang takes forever).</summary>
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Formats => new(FuzzFormats.All.Select(f => f.Name));

    [Theory]
    [MemberData(nameof(Formats))]
    public void EveryCaseEndsInSuccessOrAOneLineUserError(string name)
    {
        var format = FuzzFormats.All.Single(f => f.Name == name);
        var inputs = Enumerable.Range(0, Cases).Select(i => Mutator.Mutate(format.Seeds, Seed, i, format.Text));
        var regressions = RegressionInputs(name);
        var result = Run(format, format.Seeds.Concat(regressions).Concat(inputs));
        Console.WriteLine($"fuzz {name}: {result.Cases} cases ({format.Seeds.Count} seeds, {regressions.Count} regression inputs, {Cases} mutants, seed {Seed}): " +
                          $"{result.Ok} parsed, {result.UserErrors} one-line user errors, {result.Failures.Count} failures, " +
                          $"max {result.MaxAllocated / 1024} KB allocated in one case, {result.Elapsed.TotalSeconds:F1} s");
        Assert.True(result.Failures.Count == 0, $"fuzz {name}: {result.Failures.Count} failures; first: {string.Join("\n", result.Failures.Take(5))}");
        Assert.All(format.Seeds, s => Assert.Null(RunOne(format, s, Work(format)).Error)); // the seeds themselves are valid
    }

    public sealed record Result(int Cases, int Ok, int UserErrors, List<string> Failures, long MaxAllocated, TimeSpan Elapsed);

    private static string Work(FuzzFormat format)
    {
        // In memory (/dev/shm) where there is one: the cases write a file each.
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string dir = Path.Combine(root, $"sl-fuzz-{format.Name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        format.Setup?.Invoke(dir);
        return dir;
    }

    /// <summary>Runs the inputs one by one on a worker thread watched for hangs.</summary>
    public static Result Run(FuzzFormat format, IEnumerable<byte[]> inputs)
    {
        string dir = Work(format);
        int cases = 0, ok = 0, userErrors = 0;
        long maxAlloc = 0;
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        long caseStarted = 0; // Stopwatch ticks; 0 = idle
        byte[]? current = null;
        var worker = new Thread(() =>
        {
            foreach (var input in inputs)
            {
                Volatile.Write(ref current, input);
                Volatile.Write(ref caseStarted, Stopwatch.GetTimestamp());
                var (error, allocated) = RunOne(format, input, dir);
                Volatile.Write(ref caseStarted, 0);
                maxAlloc = Math.Max(maxAlloc, allocated);
                // An input of n bytes may need a few copies of itself and the parser's fixed overhead, never more.
                long allowed = 16L * 1024 * 1024 + 64L * input.Length;
                if (error is null) ok++;
                else if (error is UserError u && !u.Message.Contains('\n') && u.Message.Length > 0) userErrors++;
                else failures.Add(Save(format, cases, input, error is UserError ? $"UserError over several lines: {error.Message}" : $"{error.GetType().Name}: {error.Message}"));
                if (allocated > allowed)
                    failures.Add(Save(format, cases, input, $"allocated {allocated} bytes for a {input.Length}-byte input"));
                cases++;
            }
        }) { IsBackground = true, Name = $"fuzz-{format.Name}" };
        worker.Start();
        while (!worker.Join(200))
        {
            long started = Volatile.Read(ref caseStarted);
            if (started != 0 && Stopwatch.GetElapsedTime(started) > CaseLimit)
            {
                failures.Add(Save(format, cases, Volatile.Read(ref current)!, $"still running after {CaseLimit.TotalSeconds} s (a hang)"));
                break; // the hung thread is abandoned (background); the test fails
            }
        }
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return new Result(cases, ok, userErrors, failures, maxAlloc, clock.Elapsed);
    }

    /// <summary>One case: the input written where the parser looks for it, the parser called; its exception (or null) and bytes allocated.</summary>
    public static (Exception? Error, long Allocated) RunOne(FuzzFormat format, byte[] input, string dir)
    {
        File.WriteAllBytes(Path.Combine(dir, format.FileName), input);
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            format.Parse(dir);
            return (null, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        catch (Exception e)
        {
            return (e, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    private static string Save(FuzzFormat format, int index, byte[] input, string what)
    {
        string dir = Path.Combine(Path.GetTempPath(), "scalinglab-fuzz-failures", format.Name);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, $"case-{index}.bin");
        File.WriteAllBytes(path, input);
        return $"case {index} ({path}): {what}";
    }

    /// <summary>Inputs kept from earlier findings (the AFL++ harness, past failures): Fuzz/regressions/FORMAT/*.</summary>
    public static IReadOnlyList<byte[]> RegressionInputs(string format)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Fuzz", "regressions", format);
        return Directory.Exists(dir) ? Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList() : [];
    }
}
