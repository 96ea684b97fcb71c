using System.Runtime.InteropServices;

namespace OvStateful.OnnxRuntime.Interop;

/// <summary>
/// An IoBinding: inputs and outputs bound once to OrtValues over our own memory, then run
/// any number of times with no per-run marshalling (the allocation-free hot path).
/// </summary>
internal sealed unsafe class OrtIoBinding : IDisposable
{
    private readonly OrtIoBindingHandle _handle;
    // name -> the value bound under it, referenced so its SafeHandle cannot be finalized while bound.
    private readonly Dictionary<string, OrtValueHandle> _bound = new(StringComparer.Ordinal);

    private OrtIoBinding(OrtIoBindingHandle handle) => _handle = handle;

    internal OrtIoBindingHandle Handle => _handle;

    public static OrtIoBinding Create(OrtSession session)
    {
        var api = OrtLibrary.Get().Api;
        var handle = new OrtIoBindingHandle();
        IntPtr p;
        OrtStatusCheck.ThrowIfFailed(api.CreateIoBinding(session.Handle.Pointer, &p));
        Marshal.InitHandle(handle, p);
        return new OrtIoBinding(handle);
    }

    /// <summary>Binds (or rebinds) an input; <paramref name="utf8Name"/> may be passed to avoid encoding per call.</summary>
    public void BindInput(string name, OrtValueHandle value, byte[]? utf8Name = null)
    {
        var api = OrtLibrary.Get().Api;
        fixed (byte* n = utf8Name ?? Utf8.Z(name)) OrtStatusCheck.ThrowIfFailed(api.BindInput(_handle.Pointer, n, value.Pointer));
        _bound[name] = value;
    }

    public void BindOutput(string name, OrtValueHandle value)
    {
        var api = OrtLibrary.Get().Api;
        fixed (byte* n = Utf8.Z(name)) OrtStatusCheck.ThrowIfFailed(api.BindOutput(_handle.Pointer, n, value.Pointer));
        _bound["\0out:" + name] = value;
    }

    /// <summary>Waits until device outputs are written (needed after a CUDA run before reading them).</summary>
    public void SynchronizeOutputs()
    {
        var api = OrtLibrary.Get().Api;
        OrtStatusCheck.ThrowIfFailed(api.SynchronizeBoundOutputs(_handle.Pointer));
    }

    public void Dispose() => _handle.Dispose();
}
