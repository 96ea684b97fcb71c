using System.Runtime.InteropServices;
using System.Text.Json;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;
using static OvStateful.OnnxRuntime.Tests.OrtHarness;
using static OvStateful.Testing.EngineHarness;

namespace OvStateful.OnnxRuntime.Tests;

/// <summary>
/// The example models against values computed outside ONNX Runtime (convert/reference.py:
/// pure Python for accumulate and gru_counter, a numpy evaluator for Silero). All sequences
/// of a golden file run batched, one step of each per batch.
/// </summary>
public class GoldenTests
{
    [Theory]
    [InlineData("accumulate")]
    [InlineData("gru_counter")]
    [InlineData("silero_vad")]
    public void Batched_engine_matches_the_independent_reference(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "convert", "golden", name + ".json")));
        var root = doc.RootElement;
        var rtol = root.GetProperty("tolerance").GetProperty("rtol").GetDouble();
        var atol = root.GetProperty("tolerance").GetProperty("atol").GetDouble();
        var sequences = root.GetProperty("sequences").EnumerateArray().ToList();
        var m = ModelUnderTest.Get(name);
        using var engine = Load(m, sequences.Count + 2);
        var steps = sequences[0].GetProperty("steps").GetArrayLength();
        var checkedValues = 0;
        for (var t = 0; t < steps; t++)
        {
            var batch = new List<Step>();
            var expected = new List<JsonElement>();
            for (var s = 0; s < sequences.Count; s++)
            {
                var step = sequences[s].GetProperty("steps")[t];
                var flags = (step.GetProperty("start").GetBoolean() ? StepFlags.Start : 0) | (step.GetProperty("end").GetBoolean() ? StepFlags.End : 0);
                var inputs = engine.Inputs.Select(spec => Encode(step.GetProperty("inputs").GetProperty(spec.Name), spec.DataType)).ToArray();
                batch.Add(new Step(s + 1, flags, (ulong)s + 1, inputs));
                expected.Add(step.GetProperty("outputs"));
            }
            var outs = Run(engine, batch);
            for (var s = 0; s < sequences.Count; s++)
            {
                for (var o = 0; o < engine.Outputs.Count; o++)
                {
                    var spec = engine.Outputs[o];
                    var want = expected[s].GetProperty(spec.Name).GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                    var got = Decode(outs[s][o], spec.DataType);
                    Assert.Equal(want.Length, got.Length);
                    for (var k = 0; k < want.Length; k++)
                    {
                        Assert.True(Math.Abs(got[k] - want[k]) <= atol + rtol * Math.Abs(want[k]),
                            $"{name}: sequence {s} step {t} {spec.Name}[{k}] = {got[k]}, reference {want[k]}");
                        checkedValues++;
                    }
                }
            }
        }
        Assert.True(checkedValues > 10);
    }

    private static byte[] Encode(JsonElement tensor, DataType type)
    {
        var data = tensor.GetProperty("data").EnumerateArray();
        return type switch
        {
            DataType.Fp32 => MemoryMarshal.AsBytes(data.Select(e => e.GetSingle()).ToArray().AsSpan()).ToArray(),
            DataType.Int64 => MemoryMarshal.AsBytes(data.Select(e => e.GetInt64()).ToArray().AsSpan()).ToArray(),
            _ => throw new NotSupportedException(type.ToString()),
        };
    }

    private static double[] Decode(byte[] bytes, DataType type) => type switch
    {
        DataType.Fp32 => MemoryMarshal.Cast<byte, float>(bytes).ToArray().Select(v => (double)v).ToArray(),
        DataType.Int64 => MemoryMarshal.Cast<byte, long>(bytes).ToArray().Select(v => (double)v).ToArray(),
        _ => throw new NotSupportedException(type.ToString()),
    };
}
