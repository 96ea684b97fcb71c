using Xunit;
using System.Runtime.InteropServices;
using OvStateful.Core.Config;
using OvStateful.Core.Tensors;

namespace OvStateful.Testing;

/// <summary>A real model the engine suite runs: its config, its file, and how to make one step's inputs.</summary>
public sealed record ModelUnderTest(string Name, ModelConfig Config, string ModelFile, Func<Random, byte[][]> MakeInputs)
{
    public override string ToString() => Name;

    public static ModelUnderTest Get(string name) => name switch
    {
        "accumulate_fp32" or "accumulate_int32" => new(name, TestConfigs.Conformance(name),
            Path.Combine(TestPaths.Conformance, name, "1", name + ".onnx"), name.EndsWith("fp32") ? r => [Floats(r, 20, 10)] : r => [Ints(r, 20, 100)]),
        "accumulate" => new(name, TestConfigs.Example(name), Example(name), r => [Floats(r, 20, 10)]),
        "gru_counter" => new(name, TestConfigs.Example(name), Example(name), r => [Floats(r, 8, 1)]),
        "silero_vad" or "silero_vad_v6" => new(name, TestConfigs.Example(name), Example(name), r => [Floats(r, 512, 0.5)]),
        "gather_state" => new(name, TestConfigs.GatherState(),
            Path.Combine(TestPaths.TestModels, "gather_state.onnx"), r => [Longs(r.Next(0, 8))]),
        _ => throw new ArgumentException(name),
    };

    private static string Example(string name) => Path.Combine(TestPaths.Models, name, "1", "model.onnx");

    /// <summary>
    /// Every real model the engine suite runs: the conformance models, the examples, and the test-only gather model.
    /// silero_vad_v6 (Get) is not among them: its input_context needs references that keep the context (the OpenVINO suite's).
    /// </summary>
    public static TheoryData<string> All => new() { "accumulate_fp32", "accumulate_int32", "accumulate", "gru_counter", "silero_vad", "gather_state" };

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
