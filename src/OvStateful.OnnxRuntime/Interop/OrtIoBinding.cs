using System.Runtime.InteropServices;

namespace OvStateful.OnnxRuntime.Interop;

/// <summary>
/// An IoBinding: inputs and outputs bound once to OrtValues over our own memory, then run
/// any number of times with no per-run marshalling (the allocation-free hot path).
/// </summary>
internal sealed unsafe class OrtIoBinding : IDisposable
{
    private readonly OrtIoBindingHandle _handle;
    // Values stay referenced here while bound so their SafeHandles cannot be finalized under ORT.
    private readonly List<OrtValueHandle> _bound = [];

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

    public void BindInput(string name, OrtValueHandle value)
    {
        var api = OrtLibrary.Get().Api;
        fixed (byte* n = Utf8.Z(name)) OrtStatusCheck.ThrowIfFailed(api.BindInput(_handle.Pointer, n, value.Pointer));
        _bound.Add(value);
    }

    public void BindOutput(string name, OrtValueHandle value)
    {
        var api = OrtLibrary.Get().Api;
        fixed (byte* n = Utf8.Z(name)) OrtStatusCheck.ThrowIfFailed(api.BindOutput(_handle.Pointer, n, value.Pointer));
        _bound.Add(value);
    }

    /// <summary>Waits until device outputs are written (needed after a CUDA run before reading them).</summary>
    public void SynchronizeOutputs()
    {
        var api = OrtLibrary.Get().Api;
        OrtStatusCheck.ThrowIfFailed(api.SynchronizeBoundOutputs(_handle.Pointer));
    }

    public void Dispose() => _handle.Dispose();
}
