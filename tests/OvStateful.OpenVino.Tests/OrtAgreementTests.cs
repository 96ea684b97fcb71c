using System.Runtime.InteropServices;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime;
using Xunit.Abstractions;
using static OvStateful.OpenVino.Tests.OvHarness;
using static OvStateful.Testing.EngineHarness;

namespace OvStateful.OpenVino.Tests;

/// <summary>
/// The OpenVINO engine against the ONNX Runtime engine, an independent runtime reading the same
/// file, on every model both read, in both modes: the same sequences (slots started, continued
/// and reused) give the same outputs and the same states after every step. Integers must be equal;
/// floats within a tolerance per model, stated with its reason below.
/// </summary>
public class OrtAgreementTests(ITestOutputHelper output)
{
    /// <summary>|OpenVINO − ONNX Runtime| ≤ Abs + Rel·|ONNX Runtime| for floats; integer tensors are compared exactly.</summary>
    internal static (double Abs, double Rel, string Why) Tolerance(string model) => model switch
    {
        // Values are small integers and their sums: exact in float32 in any order.
        "gather_state" => (0, 0, "table rows of small integers added: exact"),
        // Four float32 rows summed into the state each step: both runtimes add them in the same order here (measured: equal).
        "accumulate_fp32" or "accumulate" => (0, 0, "float32 sums that both runtimes compute bit for bit"),
        // A GRU cell: matrix products and sigmoid/tanh, vectorised differently by each runtime; y is scaled by
        // the step counter (~100), so the absolute difference reaches 1.7e-5 (relative ~1e-7).
        "gru_counter" => (1e-5, 1e-5, "float32 matrix products and activations, vectorised differently"),
        // Convolutions and an LSTM over 576 samples a step: measured up to 5e-6 over these 8 steps.
        "silero_vad_v6" => (2e-5, 1e-4, "float32 convolutions and an LSTM, vectorised differently"),
        _ => (0, 0, "exact"),
    };

    [OpenVinoTheory]
    [MemberData(nameof(OpenVinoModels.All), MemberType = typeof(OpenVinoModels))]
    public void Outputs_and_states_agree_with_ONNX_Runtime_step_by_step(string name, OpenVinoMode mode)
    {
        var m = OpenVinoModels.Get(name, mode);
        using var ov = Load(m, 4);
        using var ort = LoadOrt(name);
        var worst = Agree(ov, ort, m, $"{name} ({mode})");
        output.WriteLine($"{name} ({mode}): largest difference {worst:G3} (tolerance {Tolerance(name).Abs} + {Tolerance(name).Rel}·|y|)");
    }

    /// <summary>The ONNX Runtime engine on a model's own file and config (no engine parameter).</summary>
    internal static IStatefulEngine LoadOrt(string name, int slots = 4)
    {
        var m = ModelUnderTest.Get(name);
        return new OnnxRuntimeEngineProvider().Load(new EngineLoadContext(m.Config, Path.GetDirectoryName(m.ModelFile)!, m.ModelFile, slots));
    }

    /// <summary>
    /// Runs the same steps through both engines (4 slots: 0-2 from START for 8 steps, 3 started at
    /// step 2 and reused at step 5) and compares every output and every slot's state after each
    /// step within <see cref="Tolerance"/>; returns the largest difference.
    /// </summary>
    internal static double Agree(IStatefulEngine ov, IStatefulEngine ort, ModelUnderTest m, string what)
    {
        var tolerance = Tolerance(m.Name);
        var r = new Random(11);
        double worst = 0;
        for (var t = 0; t < 8; t++)
        {
            var steps = new List<Step>();
            for (var s = 0; s < 3; s++) steps.Add(new Step(s, t == 0 ? StepFlags.Start : 0, (ulong)s + 1, m.MakeInputs(r)));
            if (t >= 2) steps.Add(new Step(3, t is 2 or 5 ? StepFlags.Start : 0, t < 5 ? 4UL : 5UL, m.MakeInputs(r)));
            var a = Run(ov, steps);
            var b = Run(ort, steps);
            for (var e = 0; e < steps.Count; e++)
            {
                for (var o = 0; o < ov.Outputs.Count; o++)
                {
                    worst = Math.Max(worst, Compare(ov.Outputs[o].DataType, a[e][o], b[e][o], tolerance, $"{what} step {t} slot {steps[e].Slot} output {ov.Outputs[o].Name}"));
                }
            }
            for (var s = 0; s < 4; s++)
            {
                var x = ov.ExportSlot(s);
                var y = ort.ExportSlot(s);
                Assert.Equal(y.States.Select(k => k.Name), x.States.Select(k => k.Name));
                for (var k = 0; k < x.States.Count; k++)
                {
                    worst = Math.Max(worst, Compare(x.States[k].DataType, x.States[k].Data.ToArray(), y.States[k].Data.ToArray(), tolerance, $"{what} after step {t}: slot {s} state {x.States[k].Name}"));
                }
            }
        }
        return worst;
    }

    /// <summary>Checks every element; returns the largest absolute difference.</summary>
    internal static double Compare(DataType type, byte[] actual, byte[] expected, (double Abs, double Rel, string Why) tolerance, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} bytes, {expected.Length} expected");
        if (type != DataType.Fp32 || tolerance is { Abs: 0, Rel: 0 })
        {
            Assert.True(actual.AsSpan().SequenceEqual(expected), $"{what}: {type.WireName()} values differ ({(type == DataType.Fp32 ? tolerance.Why : "integers must be equal")})");
            return 0;
        }
        var x = MemoryMarshal.Cast<byte, float>(actual);
        var y = MemoryMarshal.Cast<byte, float>(expected);
        double worst = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var d = Math.Abs((double)x[i] - y[i]);
            worst = Math.Max(worst, d);
            Assert.True(d <= tolerance.Abs + tolerance.Rel * Math.Abs(y[i]), $"{what} element {i}: {x[i]} vs {y[i]} expected (tolerance {tolerance.Abs} + {tolerance.Rel}·|y|: {tolerance.Why})");
        }
        return worst;
    }
}
