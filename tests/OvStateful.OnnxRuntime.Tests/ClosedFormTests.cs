using System.Runtime.InteropServices;
using OvStateful.Core.Engines;
using static OvStateful.OnnxRuntime.Tests.OrtHarness;
using static OvStateful.Testing.EngineHarness;

namespace OvStateful.OnnxRuntime.Tests;

/// <summary>Engine results checked against values computed here, independently of ONNX Runtime.</summary>
public class ClosedFormTests
{
    // The Triton accumulate model: state += Σ over the 4 rows of the input; output = input + state.
    [Fact]
    public void Accumulate_int32_matches_the_closed_form_exactly()
    {
        var m = ModelUnderTest.Get("accumulate_int32");
        using var engine = Load(m, 4);
        var r = new Random(11);
        var sums = new int[3][];
        for (var t = 0; t < 5; t++)
        {
            var steps = new List<Step>();
            var inputs = new int[3][];
            for (var s = 0; s < 3; s++)
            {
                inputs[s] = Enumerable.Range(0, 20).Select(_ => r.Next(-1000, 1000)).ToArray();
                steps.Add(new Step(s, t == 0 ? StepFlags.Start : 0, (ulong)s + 1, [MemoryMarshal.AsBytes(inputs[s].AsSpan()).ToArray()]));
            }
            var outs = Run(engine, steps);
            for (var s = 0; s < 3; s++)
            {
                sums[s] ??= new int[5];
                for (var c = 0; c < 5; c++) for (var row = 0; row < 4; row++) sums[s][c] += inputs[s][row * 5 + c];
                var got = MemoryMarshal.Cast<byte, int>(outs[s][0]).ToArray();
                var expected = Enumerable.Range(0, 20).Select(i => inputs[s][i] + sums[s][i % 5]).ToArray();
                Assert.Equal(expected, got);
            }
        }
    }

    [Fact]
    public void Accumulate_fp32_matches_the_closed_form()
    {
        var m = ModelUnderTest.Get("accumulate_fp32");
        using var engine = Load(m, 2);
        var sum = new double[5];
        for (var t = 0; t < 4; t++)
        {
            // Small integers: every partial sum is exact in fp32, so the comparison can be exact too.
            var input = Enumerable.Range(0, 20).Select(i => (float)((i * 7 + t * 3) % 11 - 5)).ToArray();
            var outs = Run(engine, [new Step(1, t == 0 ? StepFlags.Start : 0, 9, [MemoryMarshal.AsBytes(input.AsSpan()).ToArray()])]);
            for (var c = 0; c < 5; c++) for (var row = 0; row < 4; row++) sum[c] += input[row * 5 + c];
            var got = MemoryMarshal.Cast<byte, float>(outs[0][0]).ToArray();
            Assert.Equal(Enumerable.Range(0, 20).Select(i => (float)(input[i] + sum[i % 5])).ToArray(), got);
        }
    }

    [Fact]
    public void Silero_gives_probabilities_its_state_moves_and_round_trips_bit_exactly()
    {
        var m = ModelUnderTest.Get("silero_vad");
        using var engine = Load(m, 2);
        // A 440 Hz tone, the same 512 samples twice.
        var chunk = Enumerable.Range(0, 512).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * 440 * i / 16000.0))).ToArray();
        var bytes = MemoryMarshal.AsBytes(chunk.AsSpan()).ToArray();
        var first = MemoryMarshal.Cast<byte, float>(Run(engine, [new Step(0, StepFlags.Start, 1, [bytes])])[0][0]).ToArray();
        var state1 = engine.ExportSlot(0);
        var second = MemoryMarshal.Cast<byte, float>(Run(engine, [new Step(0, 0, 1, [bytes])])[0][0]).ToArray();

        Assert.Single(first);
        Assert.InRange(first[0], 0f, 1f);
        Assert.InRange(second[0], 0f, 1f);
        Assert.NotEqual(first[0], second[0]); // same audio, different state
        Assert.Contains(MemoryMarshal.Cast<byte, float>(state1.States[0].Data.Span).ToArray(), v => v != 0f);

        // Re-importing the state after step 1 and repeating step 2 gives step 2's output again, bit for bit.
        engine.ImportSlot(1, state1);
        var replay = MemoryMarshal.Cast<byte, float>(Run(engine, [new Step(1, 0, 2, [bytes])])[0][0]).ToArray();
        Assert.Equal(BitConverter.SingleToInt32Bits(second[0]), BitConverter.SingleToInt32Bits(replay[0]));
        Assert.Equal(new long[] { 2, 1, 128 }, state1.States[0].Shape);
    }
}
