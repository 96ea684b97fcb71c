using System.Runtime.InteropServices;

namespace OvStateful.OpenVino.Interop;

/// <summary>
/// Raw imports of libovs_openvino_shim (native/include/ovs_shim.h), C names kept. The library
/// name is resolved by <see cref="ShimLibrary"/> (a DllImportResolver), so nothing here may be
/// called before <see cref="ShimLibrary.EnsureLoaded"/> succeeded. Every int return is an ovs_status.
/// Handles are borrowed for the call (the generated marshaller AddRefs them); strings are UTF-8.
/// </summary>
internal static unsafe partial class ShimNative
{
    internal const string Library = "ovs_openvino_shim";

    [LibraryImport(Library)] internal static partial int ovs_abi_version();
    [LibraryImport(Library)] internal static partial IntPtr /* const char*, thread-local, shim-owned */ ovs_last_error();
    [LibraryImport(Library)] internal static partial int ovs_runtime_version(byte* buf, int cap);
    [LibraryImport(Library)] internal static partial int ovs_runtime_location(byte* buf, int cap, out int needed);

    [LibraryImport(Library)] internal static partial int ovs_core_create(out CoreHandle core);
    [LibraryImport(Library)] internal static partial void ovs_core_free(IntPtr /* ovs_core* */ core);
    [LibraryImport(Library)] internal static partial int ovs_core_available_devices(CoreHandle core, byte* buf, int cap, out int needed);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ovs_model_read(CoreHandle core, string path, out ModelHandle model);
    [LibraryImport(Library)] internal static partial void ovs_model_free(IntPtr /* ovs_model* */ model);
    [LibraryImport(Library)] internal static partial int ovs_model_variable_count(ModelHandle model, out int count);
    [LibraryImport(Library)]
    internal static partial int ovs_model_variable_info(ModelHandle model, int index, byte* name, int cap, out int nameNeeded,
        out int element, long* dims, int dimsCap, out int rank);
    /// <param name="kind">receives an ovs_initial: 0 zeros, 1 constant (copied into dst), 2 computed from inputs.</param>
    [LibraryImport(Library)]
    internal static partial int ovs_model_variable_initial(ModelHandle model, int index, out int kind, void* dst, long dstBytes,
        out int element, long* dims, int dimsCap, out int rank);
    /// <param name="paramNames">const char* const[count], caller-owned.</param>
    [LibraryImport(Library)] internal static partial int ovs_model_make_stateful(ModelHandle model, IntPtr* paramNames, IntPtr* resultNames, int count);
    [LibraryImport(Library)] internal static partial int ovs_model_port_count(ModelHandle model, int isOutput, out int count);
    [LibraryImport(Library)]
    internal static partial int ovs_model_port_info(ModelHandle model, int isOutput, int index, byte* name, int cap, out int nameNeeded,
        out int element, long* dims, int dimsCap, out int rank);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ovs_model_port_find(ModelHandle model, int isOutput, string name, out int index);
    /// <param name="dims">all inputs' dims concatenated; ranks[i] of them per input; -1 = dynamic.</param>
    [LibraryImport(Library)] internal static partial int ovs_model_reshape(ModelHandle model, IntPtr* names, long* dims, int* ranks, int count);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ovs_model_save(ModelHandle model, string xmlPath, int compressToFp16);

    /// <param name="keys">const char* const[count] property names, caller-owned; values likewise, as strings.</param>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ovs_compile(CoreHandle core, ModelHandle model, string device, IntPtr* keys, IntPtr* values, int count,
        out CompiledModelHandle compiled);
    [LibraryImport(Library)] internal static partial void ovs_compiled_free(IntPtr /* ovs_compiled* */ compiled);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ovs_compiled_get_property(CompiledModelHandle compiled, string name, byte* buf, int cap, out int needed);
    [LibraryImport(Library)] internal static partial int ovs_compiled_port_count(CompiledModelHandle compiled, int isOutput, out int count);
    [LibraryImport(Library)]
    internal static partial int ovs_compiled_port_info(CompiledModelHandle compiled, int isOutput, int index, byte* name, int cap, out int nameNeeded,
        out int element, long* dims, int dimsCap, out int rank);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ovs_compiled_port_find(CompiledModelHandle compiled, int isOutput, string name, out int index);

    [LibraryImport(Library)] internal static partial int ovs_request_create(CompiledModelHandle compiled, out InferRequestHandle request);
    [LibraryImport(Library)] internal static partial void ovs_request_free(IntPtr /* ovs_request* */ request);
    /// <param name="data">caller memory wrapped without a copy; must stay valid until the next infer returned.</param>
    [LibraryImport(Library)] internal static partial int ovs_request_set_input(InferRequestHandle request, int index, int element, long* shape, int rank, void* data);
    [LibraryImport(Library)] internal static partial int ovs_request_infer(InferRequestHandle request);
    /// <param name="data">receives a pointer owned by the request, valid until its next set_input or infer.</param>
    [LibraryImport(Library)]
    internal static partial int ovs_request_get_output(InferRequestHandle request, int index, out void* data, out int element,
        long* shape, int shapeCap, out int rank);
    [LibraryImport(Library)] internal static partial int ovs_request_state_count(InferRequestHandle request, out int count);
    [LibraryImport(Library)] internal static partial int ovs_request_state_name(InferRequestHandle request, int index, byte* buf, int cap, out int needed);
    /// <param name="element">the variable's declared element code; an i64 variable kept as i32 is widened back.</param>
    [LibraryImport(Library)]
    internal static partial int ovs_request_get_state(InferRequestHandle request, int index, int element, void* dst, long dstBytes,
        long* shape, int shapeCap, out int rank);
    /// <param name="src">copied by the shim before it returns.</param>
    [LibraryImport(Library)] internal static partial int ovs_request_set_state(InferRequestHandle request, int index, int element, long* shape, int rank, void* src);
    [LibraryImport(Library)] internal static partial int ovs_request_reset_state(InferRequestHandle request, int index);
}
