using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using static OvStateful.Core.Tests.Sequences.BatcherHarness;

namespace OvStateful.Core.Tests.Sequences;

/// <summary>
/// The batcher hands out pooled responses: one its owner released is refilled for a later
/// step, one still held is never touched, and with every response released a step's answer
/// allocates nothing on the loop.
/// </summary>
public class ResponseReuseTests
{
    [Fact]
    public async Task A_response_still_held_keeps_its_values_while_released_ones_are_refilled()
    {
        await using var h = Create(slotsPerInstance: 2, maxBatch: 2);
        var held = await h.Step(1, 1, start: true);
        var heldSum = Sum(held);
        var heldTensors = held.Outputs.ToArray();
        var released = new HashSet<InferenceResponse>(ReferenceEqualityComparer.Instance);
        var expected = new float[h.Width];
        for (var i = 0; i < 50; i++)
        {
            var r = await h.Step(2, i, start: i == 0);
            var x = h.X(i);
            for (var j = 0; j < expected.Length; j++) expected[j] += x[j];
            // Each answer is right for its own step, whether it is a new response or a refilled one.
            Assert.Equal(expected, Sum(r));
            Assert.Equal(i + 1, Steps(r));
            Assert.Equal(new long[] { 1, h.Width }, r.Outputs[0].Shape);
            released.Add(r);
            r.Release();
            r.Release(); // a second release changes nothing: the pool must not hand it out twice
        }
        // Released responses came back (the pool works), and the held one was never among them.
        Assert.True(released.Count < 50, $"{released.Count} different responses for 50 released steps");
        Assert.DoesNotContain(held, released);
        Assert.Equal(heldSum, Sum(held));
        Assert.Equal(heldTensors, held.Outputs);
        Assert.Equal(h.X(1), heldTensors[0].ToArray<float>());
    }

    [Fact]
    public async Task A_released_response_is_empty_and_a_response_made_with_new_ignores_release()
    {
        await using var h = Create();
        var r = await h.Step(1, 3, start: true);
        Assert.Equal("1", r.ModelVersion);
        r.Release();
        Assert.Empty(r.Outputs);
        var own = new InferenceResponse { ModelName = "m", ModelVersion = "1", Outputs = [new Tensor("y", DataType.Fp32, [1], new byte[4])] };
        own.Release();
        Assert.Single(own.Outputs);
    }

    [Fact]
    public async Task With_every_response_released_the_loop_allocates_nothing_per_step()
    {
        await using var h = Create(slotsPerInstance: 4, maxBatch: 4);
        for (ulong id = 1; id <= 4; id++) (await h.Step(id, 1, start: true)).Release();
        for (var round = 0; round < 100; round++)
        {
            var answers = await Task.WhenAll(Enumerable.Range(1, 4).Select(id => h.Step((ulong)id, 1)));
            foreach (var a in answers) a.Release();
        }
        var perExecute = h.Engines[0].LoopAllocations.Skip(20).ToArray();
        Assert.NotEmpty(perExecute);
        // All but the worst execution: a one-off of the runtime's (a thread-pool or timer growth) does not count; a per-step allocation shows in every one.
        var worst = perExecute.Order().ToArray()[Math.Max(0, perExecute.Length - 2)];
        Assert.True(worst == 0, $"the loop allocated {worst} bytes between executions (the last five: {string.Join(", ", perExecute.TakeLast(5))})");
    }
}
