using OvStateful.Core.Engines;
using static OvStateful.OnnxRuntime.Tests.OrtHarness;
using static OvStateful.Testing.EngineHarness;

namespace OvStateful.OnnxRuntime.Tests;

/// <summary>
/// The CUDA variant of the engine suite: states in device memory, gathered and committed with
/// strided device copies, must give what plain ORT on CPU gives for each sequence alone
/// (within float tolerance: GPU kernels round differently), and export/import stays bit-exact.
/// </summary>
public class CudaEngineTests
{
    private static IStatefulEngine LoadCuda(ModelUnderTest m, int slots) =>
        new OnnxRuntimeEngineProvider(new OnnxRuntimeOptions { Device = "cuda:0" })
            .Load(new EngineLoadContext(m.Config, Path.GetDirectoryName(m.ModelFile)!, m.ModelFile, slots));

    [CudaTheory]
    [MemberData(nameof(ModelUnderTest.All), MemberType = typeof(ModelUnderTest))]
    public void Batched_on_cuda_matches_each_sequence_alone_on_cpu(string name)
    {
        var m = ModelUnderTest.Get(name);
        using var engine = LoadCuda(m, 8);
        Assert.Equal("onnxruntime:cuda", engine.EngineName);
        var r = new Random(42);
        var inputs = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 5).Select(_ => m.MakeInputs(r)).ToList()).ToList();
        int[] slots = [5, 0, 3, 7]; // scattered slots: strided gathers on every state
        var outs = new List<byte[][][]>();
        for (var t = 0; t < 5; t++)
            outs.Add(Run(engine, slots.Select((slot, i) => new Step(slot, t == 0 ? StepFlags.Start : 0, (ulong)i + 1, inputs[i][t])).ToList()));

        for (var i = 0; i < 4; i++)
        {
            using var alone = new PlainOrtSequence(m.Config, m.ModelFile);
            for (var t = 0; t < 5; t++)
            {
                var expected = alone.Step(inputs[i][t], start: t == 0, corrid: (ulong)i + 1);
                for (var o = 0; o < expected.Length; o++) AssertClose(expected[o], outs[t][i][o], engine.Outputs[o].DataType);
            }
        }
        var snap = engine.ExportSlot(3);
        engine.ImportSlot(1, snap);
        Assert.True(snap.States[0].Data.Span.SequenceEqual(engine.ExportSlot(1).States[0].Data.Span));
    }

    private static void AssertClose(byte[] expected, byte[] actual, Core.Tensors.DataType type)
    {
        Assert.Equal(expected.Length, actual.Length);
        if (type != Core.Tensors.DataType.Fp32) { Assert.Equal(expected, actual); return; }
        var e = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(expected);
        var a = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(actual);
        for (var k = 0; k < e.Length; k++) Assert.True(Math.Abs(e[k] - a[k]) <= 1e-4f * Math.Max(1f, Math.Abs(e[k])), $"element {k}: {a[k]} vs {e[k]}");
    }
}
