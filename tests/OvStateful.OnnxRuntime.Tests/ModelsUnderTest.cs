using System.Runtime.InteropServices;
using OvStateful.Core.Config;
using OvStateful.Core.Tensors;

namespace OvStateful.OnnxRuntime.Tests;

/// <summary>A real model the engine suite runs: its config, its file, and how to make one step's inputs.</summary>
internal sealed record ModelUnderTest(string Name, ModelConfig Config, string ModelFile, Func<Random, byte[][]> MakeInputs)
{
    public override string ToString() => Name;

    public static ModelUnderTest Get(string name) => name switch
    {
        "accumulate_fp32" => new(name, TestConfigs.Accumulate(name, DataType.Fp32),
            Path.Combine(TestPaths.Conformance, name, "1", name + ".onnx"), r => [Floats(r, 20, 10)]),
        "accumulate_int32" => new(name, TestConfigs.Accumulate(name, DataType.Int32),
            Path.Combine(TestPaths.Conformance, name, "1", name + ".onnx"), r => [Ints(r, 20, 100)]),
        "silero_vad" => new(name, TestConfigs.Silero(),
            Path.Combine(TestPaths.Models, "silero_vad", "1", "model.onnx"), r => [Floats(r, 512, 0.5)]),
        "gather_state" => new(name, TestConfigs.GatherState(),
            Path.Combine(AppContext.BaseDirectory, "Models", "gather_state.onnx"), r => [Longs(r.Next(0, 8))]),
        _ => throw new ArgumentException(name),
    };

    public static TheoryData<string> All => new() { "accumulate_fp32", "accumulate_int32", "silero_vad", "gather_state" };

    public static byte[] Floats(Random r, int n, double scale)
    {
        var v = new float[n];
        for (var i = 0; i < n; i++) v[i] = (float)((r.NextDouble() * 2 - 1) * scale);
        return MemoryMarshal.AsBytes(v.AsSpan()).ToArray();
    }

    public static byte[] Ints(Random r, int n, int max)
    {
        var v = new int[n];
        for (var i = 0; i < n; i++) v[i] = r.Next(-max, max);
        return MemoryMarshal.AsBytes(v.AsSpan()).ToArray();
    }

    public static byte[] Longs(params long[] v) => MemoryMarshal.AsBytes(v.AsSpan()).ToArray();
}
