using Microsoft.Win32.SafeHandles;

namespace OvStateful.OpenVino.Interop;

// One SafeHandle per owning shim object; ReleaseHandle calls the matching ovs_*_free.
// Parameterless public constructors are what the LibraryImport marshaller needs for out handles.

/// <summary>Owns an ovs_core (ov::Core).</summary>
internal sealed class CoreHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected override bool ReleaseHandle()
    {
        ShimNative.ovs_core_free(handle);
        return true;
    }
}

/// <summary>Owns an ovs_model (std::shared_ptr&lt;ov::Model&gt;).</summary>
internal sealed class ModelHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected override bool ReleaseHandle()
    {
        ShimNative.ovs_model_free(handle);
        return true;
    }
}

/// <summary>Owns an ovs_compiled (ov::CompiledModel).</summary>
internal sealed class CompiledModelHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected override bool ReleaseHandle()
    {
        ShimNative.ovs_compiled_free(handle);
        return true;
    }
}

/// <summary>Owns an ovs_request (ov::InferRequest and its variable states).</summary>
internal sealed class InferRequestHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected override bool ReleaseHandle()
    {
        ShimNative.ovs_request_free(handle);
        return true;
    }
}
