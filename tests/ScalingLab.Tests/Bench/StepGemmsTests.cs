using ScalingLab.Bench;
using ScalingLab.Model;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Bench;

public class StepGemmsTests
{
    [Fact]
    public void ThePlanMergesOverlappingOperandsIntoOneRegionAndKeepsSeparateOnesApart()
    {
        // Call 1: A (2×2, 4 floats) at byte 4000, B right after it at 4016, C at 8000. Call 2: its A starts inside call 1's
        // A (4008) and runs to 4024, so it also overlaps B [4016, 4032): A, A' and B merge into one region.
        var calls = new[]
        {
            new StepGemms.Call(false, false, 2, 2, 2, 2, 2, 2, 0f, AAt: 4000, BAt: 4016, CAt: 8000),
            new StepGemms.Call(false, false, 2, 2, 2, 2, 2, 2, 0f, AAt: 4008, BAt: 4016, CAt: 8000),
        };
        // Regions: [4000, 4032) = 8 floats and C's [8000, 8016) = 4 floats.
        var plan = new StepGemms.Plan(calls);
        Assert.Equal(8 + 4, plan.Floats);
        Assert.True(plan.Replay(new ReferenceGemm()) >= 0);
    }

    [Fact]
    public void AStepRecordedThroughTheRecorderReplaysOnBuffersNoLargerThanTheModelsOwn()
    {
        var cfg = ModelConfig.FromShape("2x16", 32, 16);
        var recorder = new StepGemms.Recorder(new ManagedGemm(1)) { Recording = true };
        var model = new TransformerLm(cfg, 2, 16, recorder, 1);
        model.InitializeWeights(1);
        var ids = Enumerable.Range(0, 32).Select(i => i % 32).ToArray();
        model.ZeroGradients();
        model.ForwardBackward(ids, ids, 2);
        var plan = new StepGemms.Plan(recorder.Calls);
        Assert.Equal(2 * 4 + 2 * 8 + 3, recorder.Calls.Count); // per layer 4 forward and 8 backward products; the LM head's 3
        // The replay touches parts of the parameters, gradients and activations only: never more floats than they hold.
        Assert.InRange(plan.Floats, 1, 2L * model.Parameters.Length + 64L * 32 * 16 * 8);
        Assert.True(plan.Replay(new ManagedGemm(1)) > 0);
    }
}
