using ScalingLab.Training;

namespace ScalingLab.Tests.Training;

public class SchedulesTests
{
    [Fact]
    public void WarmupThenCosineToFloor()
    {
        var s = new LrSchedule(1.0, 0.1, 10, 110);
        Assert.Equal(0.1, s.At(0), 12);      // (0+1)/10
        Assert.Equal(0.5, s.At(4), 12);
        Assert.Equal(1.0, s.At(9), 12);      // end of warmup
        Assert.Equal(1.0, s.At(10), 12);     // cosine starts at the peak
        Assert.Equal(0.55, s.At(60), 12);    // halfway: floor + half the range
        Assert.Equal(0.1 + 0.45 * (1 + Math.Cos(Math.PI * 0.25)), s.At(35), 12);
        Assert.Equal(0.1, s.At(110), 12);
        Assert.Equal(0.1, s.At(1000), 12);
        for (long t = 10; t < 110; t++) Assert.True(s.At(t + 1) <= s.At(t));
    }

    [Fact]
    public void PythiaCheckpointSteps()
    {
        var s = new CheckpointSchedule(LogUntil: 16, Every: 10, FinalStep: 45);
        Assert.Equal([0L, 1, 2, 4, 8, 10, 16, 20, 30, 40, 45], s.Steps());
        var none = new CheckpointSchedule(LogUntil: 0, Every: 0, FinalStep: 7);
        Assert.Equal([0L, 7], none.Steps());
    }
}
