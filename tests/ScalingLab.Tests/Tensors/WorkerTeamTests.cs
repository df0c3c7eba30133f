using ScalingLab.Tensors;

namespace ScalingLab.Tests.Tensors;

public class WorkerTeamTests
{
    /// <summary>Runs many jobs and checks each share ran exactly once per job, whatever thread ran it.</summary>
    private static void EveryShareOncePerRun(WorkerTeam team, int runs)
    {
        var counts = new int[team.Threads];
        for (int r = 0; r < runs; r++)
        {
            Array.Clear(counts);
            team.Run(w => Interlocked.Increment(ref counts[w]));
            Assert.All(counts, c => Assert.Equal(1, c));
        }
    }

    [Theory]
    [InlineData(2, 0.0)]   // workers block after every job: most shares are taken over by the caller
    [InlineData(2, 2.0)]   // the default: workers spin between jobs
    [InlineData(3, 0.05)]  // spin shorter than the gap between some jobs
    public void EveryShareRunsExactlyOnce(int threads, double spinMs)
    {
        var team = new WorkerTeam(threads) { SpinTime = TimeSpan.FromMilliseconds(spinMs) };
        EveryShareOncePerRun(team, 3000);
    }

    [Fact]
    public void AJobThatRunsTheTeamAgainRunsItsSharesInline()
    {
        var team = new WorkerTeam(2);
        var inner = new int[2, 2];
        team.Run(w => team.Run(v => inner[w, v]++));
        Assert.Equal(new[,] { { 1, 1 }, { 1, 1 } }, inner);
    }

    [Fact]
    public async Task CallersOnSeveralThreadsAllGetEveryShare()
    {
        var team = new WorkerTeam(2);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            Task.Factory.StartNew(() => EveryShareOncePerRun(team, 500), TaskCreationOptions.LongRunning)));
    }

    [Fact]
    public void AnExceptionInAWorkersShareReachesTheCaller()
    {
        var team = new WorkerTeam(2) { SpinTime = TimeSpan.FromSeconds(1) };
        var e = Assert.Throws<InvalidOperationException>(() => team.Run(w =>
        {
            Thread.SpinWait(50_000);
            if (w == 1) throw new InvalidOperationException("share 1 failed");
        }));
        Assert.Equal("share 1 failed", e.Message);
        EveryShareOncePerRun(team, 10); // the team still works
    }

    [Fact]
    public void StandDownBlocksSpinningWorkers()
    {
        var team = new WorkerTeam(3) { SpinTime = TimeSpan.FromMinutes(5) };
        team.Run(_ => Thread.SpinWait(10_000));
        Thread.Sleep(50);
        Assert.Equal(0, team.BlockedWorkers); // spinning, not blocked
        WorkerTeam.StandDown();
        var until = DateTime.UtcNow.AddSeconds(10);
        while (team.BlockedWorkers < 2 && DateTime.UtcNow < until) Thread.Sleep(1);
        Assert.Equal(2, team.BlockedWorkers);
        EveryShareOncePerRun(team, 50); // and they wake for the next job
    }

    [Fact]
    public void SharedTeamsAreOnePerThreadCount()
    {
        Assert.Same(WorkerTeam.Shared(2), WorkerTeam.Shared(2));
        Assert.NotSame(WorkerTeam.Shared(2), WorkerTeam.Shared(3));
        Assert.Equal(3, WorkerTeam.Shared(3).Threads);
    }
}
