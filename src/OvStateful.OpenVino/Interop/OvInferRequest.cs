using OvStateful.Core.Tensors;

namespace OvStateful.OpenVino.Interop;

/// <summary>
/// ov::InferRequest and its variable states (listed once at creation) through the shim.
/// The per-step methods take spans and pointers and allocate nothing.
/// </summary>
internal sealed unsafe class OvInferRequest : IDisposable
{
    /// <summary>Largest tensor rank the per-step calls accept.</summary>
    public const int MaxRank = 8;

    private readonly InferRequestHandle _handle;

    internal OvInferRequest(InferRequestHandle handle)
    {
        _handle = handle;
        ShimErrors.ThrowIfFailed(ShimNative.ovs_request_state_count(_handle, out var count));
        var names = new string[count];
        for (var i = 0; i < count; i++)
        {
            var index = i;
            names[i] = OvModel.ReadName((byte* b, int cap, out int needed) => ShimNative.ovs_request_state_name(_handle, index, b, cap, out needed));
        }
        StateNames = names;
    }

    /// <summary>The request's variable states (variable_id of each), in the index order the state calls use.</summary>
    public IReadOnlyList<string> StateNames { get; }

    /// <summary>Input <paramref name="index"/> becomes a tensor over <paramref name="data"/>, which must stay valid until the next <see cref="Infer"/> has returned.</summary>
    public void SetInput(int index, DataType type, ReadOnlySpan<long> shape, void* data)
    {
        fixed (long* s = shape) ShimErrors.ThrowIfFailed(ShimNative.ovs_request_set_input(_handle, index, ShimElement.ToCode(type), s, shape.Length, data));
    }

    public void Infer() => ShimErrors.ThrowIfFailed(ShimNative.ovs_request_infer(_handle));

    /// <summary>Output <paramref name="index"/>: a pointer owned by the request (valid until the next SetInput/Infer); its shape goes into <paramref name="shape"/>.</summary>
    public void* GetOutput(int index, Span<long> shape, out int rank, out DataType type)
    {
        void* data;
        int element;
        fixed (long* s = shape) ShimErrors.ThrowIfFailed(ShimNative.ovs_request_get_output(_handle, index, out data, out element, s, shape.Length, out rank));
        type = ShimElement.FromCode(element);
        return data;
    }

    /// <summary>Copies state <paramref name="index"/> (declared <paramref name="type"/>) into <paramref name="destination"/>; returns its rank (shape in <paramref name="shape"/>).</summary>
    public int GetState(int index, DataType type, Span<byte> destination, Span<long> shape)
    {
        int rank;
        fixed (byte* d = destination)
        fixed (long* s = shape)
        {
            ShimErrors.ThrowIfFailed(ShimNative.ovs_request_get_state(_handle, index, ShimElement.ToCode(type), d, destination.Length, s, shape.Length, out rank));
        }
        return rank;
    }

    /// <summary>Replaces state <paramref name="index"/> with a copy of <paramref name="source"/> shaped <paramref name="shape"/>.</summary>
    public void SetState(int index, DataType type, ReadOnlySpan<long> shape, ReadOnlySpan<byte> source)
    {
        fixed (byte* d = source)
        fixed (long* s = shape)
        {
            ShimErrors.ThrowIfFailed(ShimNative.ovs_request_set_state(_handle, index, ShimElement.ToCode(type), s, shape.Length, d));
        }
    }

    /// <summary>Back to the ReadValue initial value; -1 resets every state of the request.</summary>
    public void ResetState(int index) => ShimErrors.ThrowIfFailed(ShimNative.ovs_request_reset_state(_handle, index));

    public void Dispose() => _handle.Dispose();
}
