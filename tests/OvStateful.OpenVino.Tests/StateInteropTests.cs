using System.Runtime.InteropServices;
using OvStateful.Core.Tensors;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino.Tests;

/// <summary>
/// set_state/get_state through the shim on gru_counter made stateful with a dynamic batch, as
/// batched mode uses them: an int64 variable (the CPU plugin keeps it as int32 inside), and
/// variables whose batch size changes from one set_state to the next.
/// </summary>
public class StateInteropTests
{
    private static (OvCore Core, OvCompiledModel Compiled) Compile()
    {
        var core = OvCore.Create();
        using var model = core.ReadModel(Path.Combine(TestPaths.Models, "gru_counter", "1", "model.onnx"));
        model.MakeStateful([("h_in", "h_out"), ("steps_in", "steps_out")]);
        return (core, core.Compile(model, "CPU", new CompileOptions(InferencePrecision: DataType.Fp32)));
    }

    private static byte[] Bytes<T>(params T[] v) where T : unmanaged => MemoryMarshal.AsBytes(v.AsSpan()).ToArray();

    [OpenVinoFact]
    public void A_variable_takes_batch_3_then_5_then_1_and_int64_values_round_trip()
    {
        var (core, compiled) = Compile();
        using var _ = core;
        using var __ = compiled;
        using var request = compiled.CreateInferRequest();
        var steps = request.StateNames.ToList().IndexOf("steps_insteps_out");
        var h = request.StateNames.ToList().IndexOf("h_inh_out");
        var x = compiled.Find("x", output: false);
        var shape = new long[OvInferRequest.MaxRank];
        foreach (var batch in new[] { 3, 5, 1 })
        {
            var counters = Enumerable.Range(0, batch).Select(i => (long)(i * 1000 - 7)).ToArray();
            counters[0] = int.MaxValue - 1; // the largest a step can still add 1 to in int32
            request.SetState(steps, DataType.Int64, [batch, 1], Bytes(counters));
            request.SetState(h, DataType.Fp32, [batch, 16], new byte[batch * 16 * 4]);
            var xs = GC.AllocateArray<float>(batch * 8, pinned: true);
            unsafe
            {
                fixed (float* p = xs) request.SetInput(x, DataType.Fp32, [batch, 8], p);
            }
            request.Infer();

            var got = new byte[batch * 8];
            Assert.Equal(2, request.GetState(steps, DataType.Int64, got, shape));
            Assert.Equal([batch, 1L], shape[..2]);
            Assert.Equal(counters.Select(c => c + 1), MemoryMarshal.Cast<byte, long>(got).ToArray());
            var hOut = new byte[batch * 16 * 4];
            request.GetState(h, DataType.Fp32, hOut, shape);
            Assert.Equal([batch, 16L], shape[..2]);
        }
    }

    [OpenVinoFact]
    public void An_int64_value_the_plugin_cannot_hold_is_refused_by_name()
    {
        var (core, compiled) = Compile();
        using var _ = core;
        using var __ = compiled;
        using var request = compiled.CreateInferRequest();
        var steps = request.StateNames.ToList().IndexOf("steps_insteps_out");
        request.SetState(steps, DataType.Int64, [1, 1], Bytes(5L)); // learns that this plugin wants int32
        var e = Assert.Throws<OpenVinoException>(() => request.SetState(steps, DataType.Int64, [1, 1], Bytes(1L << 40)));
        Assert.Contains("steps_insteps_out holds 1099511627776, outside int32", e.Message);
    }
}
