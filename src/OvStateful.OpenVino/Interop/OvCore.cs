using System.Globalization;
using OvStateful.Core.Tensors;

namespace OvStateful.OpenVino.Interop;

/// <summary>Compile options the engine passes to ov::Core::compile_model.</summary>
/// <param name="NumStreams">0 = the device's default.</param>
/// <param name="InferencePrecision">null = the device's default (bf16 on a CPU with AMX or avx512_bf16); Fp32, Fp16 or Bf16 otherwise.</param>
/// <param name="NumThreads">INFERENCE_NUM_THREADS; 0 = the device's default (every core).</param>
internal sealed record CompileOptions(PerformanceHint Hint = PerformanceHint.Default, int NumStreams = 0, DataType? InferencePrecision = null, int NumThreads = 0)
{
    /// <summary>The options as OpenVINO property strings (its own key names); defaults are left out.</summary>
    public IReadOnlyList<(string Key, string Value)> ToProperties()
    {
        var list = new List<(string, string)>();
        if (Hint != PerformanceHint.Default) list.Add(("PERFORMANCE_HINT", Hint == PerformanceHint.Latency ? "LATENCY" : "THROUGHPUT"));
        if (NumStreams > 0) list.Add(("NUM_STREAMS", NumStreams.ToString(CultureInfo.InvariantCulture)));
        if (InferencePrecision is { } p) list.Add(("INFERENCE_PRECISION_HINT", PrecisionName(p)));
        if (NumThreads > 0) list.Add(("INFERENCE_NUM_THREADS", NumThreads.ToString(CultureInfo.InvariantCulture)));
        return list;
    }

    /// <summary>OpenVINO's spelling of an inference precision.</summary>
    public static string PrecisionName(DataType type) => type switch
    {
        DataType.Fp32 => "f32",
        DataType.Fp16 => "f16",
        DataType.Bf16 => "bf16",
        _ => throw new ArgumentException($"{type.WireName()} is not an inference precision; expected FP32, FP16 or BF16", nameof(type)),
    };
}

/// <summary>ov::Core through the shim.</summary>
internal sealed unsafe class OvCore : IDisposable
{
    private readonly CoreHandle _handle;

    private OvCore(CoreHandle handle) => _handle = handle;

    public static OvCore Create()
    {
        ShimLibrary.EnsureLoaded();
        ShimErrors.ThrowIfFailed(ShimNative.ovs_core_create(out var handle));
        return new OvCore(handle);
    }

    /// <summary>The devices OpenVINO sees here (get_available_devices): "CPU", "GPU", "GPU.1", ...</summary>
    public IReadOnlyList<string> AvailableDevices()
    {
        var joined = OvModel.ReadName((byte* b, int cap, out int needed) => ShimNative.ovs_core_available_devices(_handle, b, cap, out needed));
        return joined.Split(", ", StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Reads an ONNX file or an IR .xml.</summary>
    public OvModel ReadModel(string path)
    {
        ShimErrors.ThrowIfFailed(ShimNative.ovs_model_read(_handle, path, out var model));
        return new OvModel(model);
    }

    public OvCompiledModel Compile(OvModel model, string device, CompileOptions options)
    {
        var properties = options.ToProperties();
        using var keys = new Utf8Array(properties.Select(p => p.Key));
        using var values = new Utf8Array(properties.Select(p => p.Value));
        ShimErrors.ThrowIfFailed(ShimNative.ovs_compile(_handle, model.Handle, device, keys.Pointer, values.Pointer, properties.Count, out var compiled));
        return new OvCompiledModel(compiled);
    }

    public void Dispose() => _handle.Dispose();
}
