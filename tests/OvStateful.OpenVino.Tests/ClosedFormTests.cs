using OvStateful.Core.Config;
using System.Runtime.InteropServices;
using OvStateful.Core.Engines;
using static OvStateful.OpenVino.Tests.OvHarness;
using static OvStateful.Testing.EngineHarness;

namespace OvStateful.OpenVino.Tests;

/// <summary>OpenVINO engine results checked against values computed here, independently of any runtime.</summary>
public class ClosedFormTests
{
    // The Triton accumulate model: state += Σ over the 4 rows of the input; output = input + state.
    [OpenVinoTheory]
    [InlineData(OpenVinoMode.Batched)]
    [InlineData(OpenVinoMode.PerSlot)]
    public void Accumulate_int32_matches_the_closed_form_exactly(OpenVinoMode mode)
    {
        var m = OpenVinoModels.Get("accumulate_int32", mode);
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
                var expected = Enumerable.Range(0, 20).Select(i => inputs[s][i] + sums[s][i % 5]).ToArray();
                Assert.Equal(expected, MemoryMarshal.Cast<byte, int>(outs[s][0]).ToArray());
            }
        }
    }

    // gru_counter's step counter starts from initial_state/counter_start.bin (100) and counts steps.
    [OpenVinoTheory]
    [InlineData(OpenVinoMode.Batched)]
    [InlineData(OpenVinoMode.PerSlot)]
    public void The_configs_initial_state_file_is_where_a_sequence_starts(OpenVinoMode mode)
    {
        var m = OpenVinoModels.Get("gru_counter", mode);
        using var engine = Load(m, 3);
        var r = new Random(2);
        var counter = engine.States.ToList().FindIndex(s => s.InputName == "steps_in");
        Assert.Equal(100L, BitConverter.ToInt64(engine.ExportSlot(2).States[counter].Data.Span));
        for (var t = 0; t < 3; t++) Run(engine, [new Step(2, t == 0 ? StepFlags.Start : 0, 1, m.MakeInputs(r))]);
        Assert.Equal(103L, BitConverter.ToInt64(engine.ExportSlot(2).States[counter].Data.Span));
        engine.ResetSlot(2);
        Assert.Equal(100L, BitConverter.ToInt64(engine.ExportSlot(2).States[counter].Data.Span));
    }
}
