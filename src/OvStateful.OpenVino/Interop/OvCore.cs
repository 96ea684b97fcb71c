namespace OvStateful.OpenVino.Interop;

/// <summary>Compile options the engine passes to ov::Core::compile_model.</summary>
/// <param name="NumStreams">0 = the device's default.</param>
/// <param name="InferencePrecision">null = the device's default; Fp32 or Fp16 otherwise.</param>
internal sealed record CompileOptions(ShimHint Hint = ShimHint.Default, int NumStreams = 0, Core.Tensors.DataType? InferencePrecision = null);

/// <summary>ov::Core through the shim.</summary>
internal sealed class OvCore : IDisposable
{
    private readonly CoreHandle _handle;

    private OvCore(CoreHandle handle) => _handle = handle;

    public static OvCore Create()
    {
        ShimLibrary.EnsureLoaded();
        ShimErrors.ThrowIfFailed(ShimNative.ovs_core_create(out var handle));
        return new OvCore(handle);
    }

    /// <summary>Reads an ONNX file or an IR .xml.</summary>
    public OvModel ReadModel(string path)
    {
        ShimErrors.ThrowIfFailed(ShimNative.ovs_model_read(_handle, path, out var model));
        return new OvModel(model);
    }

    public OvCompiledModel Compile(OvModel model, string device, CompileOptions options)
    {
        var precision = options.InferencePrecision is { } p ? ShimElement.ToCode(p) : 0;
        ShimErrors.ThrowIfFailed(ShimNative.ovs_compile(_handle, model.Handle, device, (int)options.Hint, options.NumStreams, precision, out var compiled));
        return new OvCompiledModel(compiled);
    }

    public void Dispose() => _handle.Dispose();
}
