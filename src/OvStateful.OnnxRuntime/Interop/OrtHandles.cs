using Microsoft.Win32.SafeHandles;

namespace OvStateful.OnnxRuntime.Interop;

/// <summary>Base of every owning ORT handle: released exactly once through the matching Release* function.</summary>
internal abstract unsafe class OrtSafeHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    protected OrtSafeHandle() : base(ownsHandle: true) { }

    /// <summary>The raw pointer for a native call; the caller keeps this handle alive across the call.</summary>
    public IntPtr Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return handle;
        }
    }

    protected sealed override bool ReleaseHandle()
    {
        Release(OrtLibrary.Get().Api, handle);
        return true;
    }

    protected abstract void Release(OrtApi api, IntPtr pointer);
}

internal sealed unsafe class OrtEnvHandle : OrtSafeHandle
{
    protected override void Release(OrtApi api, IntPtr p) => api.ReleaseEnv(p);
}

internal sealed unsafe class OrtSessionOptionsHandle : OrtSafeHandle
{
    protected override void Release(OrtApi api, IntPtr p) => api.ReleaseSessionOptions(p);
}

internal sealed unsafe class OrtSessionHandle : OrtSafeHandle
{
    protected override void Release(OrtApi api, IntPtr p) => api.ReleaseSession(p);
}

internal sealed unsafe class OrtValueHandle : OrtSafeHandle
{
    protected override void Release(OrtApi api, IntPtr p) => api.ReleaseValue(p);
}

internal sealed unsafe class OrtMemoryInfoHandle : OrtSafeHandle
{
    protected override void Release(OrtApi api, IntPtr p) => api.ReleaseMemoryInfo(p);
}

internal sealed unsafe class OrtIoBindingHandle : OrtSafeHandle
{
    protected override void Release(OrtApi api, IntPtr p) => api.ReleaseIoBinding(p);
}

internal sealed unsafe class OrtRunOptionsHandle : OrtSafeHandle
{
    protected override void Release(OrtApi api, IntPtr p) => api.ReleaseRunOptions(p);
}

internal sealed unsafe class OrtTypeInfoHandle : OrtSafeHandle
{
    protected override void Release(OrtApi api, IntPtr p) => api.ReleaseTypeInfo(p);
}

internal sealed unsafe class OrtTensorTypeAndShapeInfoHandle : OrtSafeHandle
{
    protected override void Release(OrtApi api, IntPtr p) => api.ReleaseTensorTypeAndShapeInfo(p);
}

internal sealed unsafe class OrtCudaProviderOptionsHandle : OrtSafeHandle
{
    protected override void Release(OrtApi api, IntPtr p) => api.ReleaseCUDAProviderOptions(p);
}

internal sealed unsafe class OrtTensorRtProviderOptionsHandle : OrtSafeHandle
{
    protected override void Release(OrtApi api, IntPtr p) => api.ReleaseTensorRTProviderOptions(p);
}
