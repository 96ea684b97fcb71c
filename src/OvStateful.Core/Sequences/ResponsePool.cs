using System.Collections.Concurrent;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Sequences;

/// <summary>
/// One instance's released responses, refilled for later steps so that answering a step
/// allocates nothing once the pool is warm. The instance's loop rents; whoever owns a response
/// returns it (<see cref="InferenceResponse.Release"/>) from any thread. A response never
/// released is collected as any object is: the pool then makes new ones.
/// </summary>
internal sealed class ResponsePool(IReadOnlyList<TensorSpec> outputs, int capacity)
{
    // Released responses, none leased; at most capacity (more than the steps in flight would only hold memory).
    private readonly ConcurrentQueue<InferenceResponse> _free = new();

    public IReadOnlyList<TensorSpec> Outputs { get; } = outputs;

    /// <summary>A response to fill for one step (a released one when there is one).</summary>
    public InferenceResponse Rent() =>
        _free.TryDequeue(out var r) ? r : new InferenceResponse(new PooledOutputs(this)) { ModelName = "", ModelVersion = "", Outputs = [] }; // filled by Lease

    /// <summary>Takes back a response nobody reads any more (released, or rented and never handed out).</summary>
    public void Return(InferenceResponse response)
    {
        if (_free.Count < capacity) _free.Enqueue(response);
    }
}

/// <summary>
/// A pooled response's outputs: per engine output, bytes of exactly its request size and one
/// tensor over them, made on first use and overwritten by each step the response answers.
/// </summary>
internal sealed class PooledOutputs(ResponsePool pool)
{
    // _tensors[k]: engine output k's tensor over its own bytes (length RequestBytes, shape RequestShape), null until first filled.
    private readonly Tensor?[] _tensors = new Tensor?[pool.Outputs.Count];
    // The array the response hands out as Outputs, sized for the last step's output count (steps of one model ask for the same outputs, as a rule).
    private Tensor[] _list = [];

    /// <summary>The array for a response of <paramref name="count"/> outputs (filled by the caller).</summary>
    public Tensor[] List(int count) => _list.Length == count ? _list : _list = new Tensor[count];

    /// <summary>Engine output <paramref name="k"/> holding a copy of <paramref name="data"/> (exactly its RequestBytes; not BYTES).</summary>
    public Tensor Copy(int k, ReadOnlySpan<byte> data)
    {
        var spec = pool.Outputs[k];
        var tensor = _tensors[k] ??= new Tensor(spec.Name, spec.DataType, (long[])spec.RequestShape.Clone(), new byte[spec.RequestBytes]);
        // A reader may have changed the shape array it was given; each step's answer starts from the spec's.
        spec.RequestShape.CopyTo(tensor.Shape, 0);
        data.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsMemory(tensor.Data).Span);
        return tensor;
    }

    public void Return(InferenceResponse response) => pool.Return(response);
}
