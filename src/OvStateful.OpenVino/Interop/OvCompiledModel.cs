using OvStateful.Core.Engines;

namespace OvStateful.OpenVino.Interop;

/// <summary>ov::CompiledModel through the shim.</summary>
internal sealed unsafe class OvCompiledModel : IDisposable
{
    private readonly CompiledModelHandle _handle;

    internal OvCompiledModel(CompiledModelHandle handle) => _handle = handle;

    public IReadOnlyList<ModelFileTensor> Inputs => Ports(0);
    public IReadOnlyList<ModelFileTensor> Outputs => Ports(1);

    /// <summary>Index of the input (or output) port carrying <paramref name="name"/> among its tensor names; -1 when none does.</summary>
    public int Find(string name, bool output)
    {
        var status = ShimNative.ovs_compiled_port_find(_handle, output ? 1 : 0, name, out var index);
        if (status == (int)ShimStatus.NotFound) return -1;
        ShimErrors.ThrowIfFailed(status);
        return index;
    }

    /// <summary>A property of the compiled model in OpenVINO's string form ("f32" for INFERENCE_PRECISION_HINT, "2" for INFERENCE_NUM_THREADS).</summary>
    public string Property(string name) =>
        OvModel.ReadName((byte* b, int cap, out int needed) => ShimNative.ovs_compiled_get_property(_handle, name, b, cap, out needed));

    public OvInferRequest CreateInferRequest()
    {
        ShimErrors.ThrowIfFailed(ShimNative.ovs_request_create(_handle, out var request));
        return new OvInferRequest(request);
    }

    public void Dispose() => _handle.Dispose();

    private ModelFileTensor[] Ports(int isOutput)
    {
        ShimErrors.ThrowIfFailed(ShimNative.ovs_compiled_port_count(_handle, isOutput, out var count));
        var ports = new ModelFileTensor[count];
        for (var i = 0; i < count; i++)
        {
            ports[i] = PortReader.Read(i, (int index, byte* n, int cap, out int needed, out int element, long* d, int dcap, out int rank) =>
                ShimNative.ovs_compiled_port_info(_handle, isOutput, index, n, cap, out needed, out element, d, dcap, out rank));
        }
        return ports;
    }
}
