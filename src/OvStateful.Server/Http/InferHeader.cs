using OvStateful.Core.Sequences;
using OvStateful.Core.Tensors;
using OvStateful.Server.SharedMemory;

namespace OvStateful.Server.Http;

/// <summary>One entry of the header's "inputs", as parsed; its data is resolved later, in input order.</summary>
internal struct InputHeader
{
    /// <summary>The model's own input name when the request's matches one (no string allocated), else the request's.</summary>
    public string Name;
    public DataType DataType;
    /// <summary>The model's RequestShape array when the request's dims equal it (shared, never written), else the request's.</summary>
    public long[] Shape;
    /// <summary>Byte range of the "data" JSON value inside the header; DataLength 0 when the input has no "data".</summary>
    public int DataStart, DataLength;
    /// <summary>Parameter binary_data_size: the input's bytes in the binary section; -1 when absent.</summary>
    public long BinarySize;
    /// <summary>Parameters shared_memory_*: where the input's bytes are instead; null when absent.</summary>
    public SharedMemoryPlace? SharedMemory;
}

/// <summary>One entry of the header's "outputs", as parsed.</summary>
internal struct OutputHeader
{
    /// <summary>The model's own output name when the request's matches one, else the request's.</summary>
    public string Name;
    /// <summary>Parameter binary_data; null when absent (then the request's binary_data_output decides).</summary>
    public bool? Binary;
    /// <summary>Parameters shared_memory_*: the output goes into this region instead of the response; null when absent.</summary>
    public SharedMemoryPlace? SharedMemory;
}

/// <summary>
/// A KServe v2 REST inference header (the JSON part of the body), parsed without a DOM.
/// Pooled with its lists: <see cref="Reset"/> clears it for the next request and keeps the capacity.
/// </summary>
internal sealed class InferHeader
{
    /// <summary>The request's "id"; null when absent.</summary>
    public string? Id;
    /// <summary>Parameters sequence_id (None when absent), sequence_start, sequence_end.</summary>
    public SequenceId SequenceId;
    public bool SequenceStart, SequenceEnd;
    /// <summary>Parameter binary_data_output: outputs without their own binary_data go out binary.</summary>
    public bool BinaryDataOutput;
    /// <summary>"inputs" in request order (the binary section holds their bytes in this order).</summary>
    public readonly List<InputHeader> Inputs = new(4);
    /// <summary>"outputs" in request order; empty = every output, binary or not as <see cref="BinaryDataOutput"/> says.</summary>
    public readonly List<OutputHeader> Outputs = new(4);
    /// <summary>Scratch for the dims of the input being parsed.</summary>
    public readonly List<long> Dims = new(8);

    /// <summary>Whether output <paramref name="name"/> goes out in the binary section.</summary>
    public bool IsBinary(string name)
    {
        foreach (var o in Outputs)
        {
            if (string.Equals(o.Name, name, StringComparison.Ordinal) && o.Binary is bool b) return b;
        }
        return BinaryDataOutput;
    }

    public void Reset()
    {
        Id = null;
        SequenceId = default;
        SequenceStart = SequenceEnd = BinaryDataOutput = false;
        Inputs.Clear();
        Outputs.Clear();
        Dims.Clear();
    }
}
