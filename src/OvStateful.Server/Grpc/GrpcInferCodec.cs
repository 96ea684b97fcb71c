using System.Buffers.Binary;
using Google.Protobuf;
using Google.Protobuf.Collections;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.Server.Protocol;
using OvStateful.Server.SharedMemory;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Grpc;

/// <summary>
/// ModelInferRequest/Response to and from Core's request types. Inputs arrive in
/// raw_input_contents (what Triton's clients send), in typed InferTensorContents, or in a
/// registered shared-memory region; outputs go out in raw_output_contents, as Triton sends
/// them (empty for those written to shared memory).
/// </summary>
internal static class GrpcInferCodec
{
    /// <summary>
    /// Decodes <paramref name="r"/>. Tensors in shared memory (parameter shared_memory_region) are
    /// resolved through <paramref name="sharedMemory"/>: inputs are read, outputs bound; then
    /// <paramref name="bound"/> holds them (null when the request uses none) and the caller
    /// disposes it once the response is written.
    /// </summary>
    public static InferenceRequest Decode(Proto.ModelInferRequest r, SharedMemoryRegistry? sharedMemory, out SharedMemoryTensors? bound)
    {
        bound = null;
        try
        {
            return DecodeTensors(r, sharedMemory, ref bound);
        }
        catch
        {
            bound?.Dispose();
            bound = null;
            throw;
        }
    }

    private static InferenceRequest DecodeTensors(Proto.ModelInferRequest r, SharedMemoryRegistry? sharedMemory, ref SharedMemoryTensors? bound)
    {
        var raw = r.RawInputContents;

        var inputs = new List<Tensor>(r.Inputs.Count);
        var nextRaw = 0;
        for (var i = 0; i < r.Inputs.Count; i++)
        {
            var input = r.Inputs[i];
            var name = input.Name;
            if (string.IsNullOrEmpty(name)) throw ServerErrors.Invalid($"inputs[{i}] has no name");
            var type = TensorBytes.ParseDatatype(name, input.Datatype);
            var shape = input.Shape.ToArray();
            ReadOnlyMemory<byte> data;
            if (SharedMemoryTensors.FromProto(input.Parameters, name) is { } place)
            {
                if (input.Contents is not null)
                    throw ServerErrors.Invalid($"input '{name}' for model '{r.ModelName}' has both 'contents' and parameter '{SharedMemoryTensors.RegionParameter}'; its data comes from one place");
                data = SharedMemoryTensors.For(ref bound, sharedMemory).ReadInput(place, name, type, shape);
            }
            else if (raw.Count > 0)
            {
                if (input.Contents is not null)
                    throw ServerErrors.Invalid($"contents field must not be specified when using raw_input_contents for '{name}' for model '{r.ModelName}'; send every input's data in raw_input_contents, or every input's in contents");
                if (nextRaw == raw.Count) throw RawCountMismatch(r);
                // No copy: a ByteString is immutable and lives as long as the tensor refers to it.
                data = raw[nextRaw++].Memory;
                TensorBytes.CheckRaw(name, type, shape, data.Span, "raw_input_contents");
            }
            else
            {
                if (input.Contents is null)
                    throw ServerErrors.Invalid($"input '{name}' for model '{r.ModelName}' has no data: set its 'contents', the request's raw_input_contents, or parameter '{SharedMemoryTensors.RegionParameter}'");
                data = FromContents(name, type, shape, input.Contents);
            }
            inputs.Add(new Tensor(name, type, shape, data));
        }
        if (nextRaw != raw.Count) throw RawCountMismatch(r);

        // Looked up, not enumerated: the map's enumerator is a boxed object per request.
        var parameters = r.Parameters;
        var sequenceId = parameters.TryGetValue(SequenceParameters.SequenceId, out var idParameter) ? SequenceIdOf(idParameter) : default;
        var start = parameters.TryGetValue(SequenceParameters.SequenceStart, out var startParameter) && Bool(SequenceParameters.SequenceStart, startParameter);
        var end = parameters.TryGetValue(SequenceParameters.SequenceEnd, out var endParameter) && Bool(SequenceParameters.SequenceEnd, endParameter);

        List<string>? requested = null;
        if (r.Outputs.Count > 0)
        {
            requested = new List<string>(r.Outputs.Count);
            foreach (var o in r.Outputs)
            {
                if (o.Parameters.ContainsKey("classification"))
                    throw ServerErrors.Invalid($"output '{o.Name}' asks for classification, which this server does not offer");
                if (SharedMemoryTensors.FromProto(o.Parameters, o.Name) is { } place)
                {
                    SharedMemoryTensors.For(ref bound, sharedMemory).BindOutput(place, o.Name);
                }
                requested.Add(o.Name);
            }
        }

        return new InferenceRequest
        {
            ModelName = r.ModelName,
            ModelVersion = string.IsNullOrEmpty(r.ModelVersion) ? null : r.ModelVersion,
            RequestId = string.IsNullOrEmpty(r.Id) ? null : r.Id,
            SequenceId = sequenceId,
            SequenceStart = start,
            SequenceEnd = end,
            Inputs = inputs,
            RequestedOutputs = requested,
        };
    }

    // Triton's clients send raw_input_contents for the inputs not in shared memory, in input order.
    private static InferenceException RawCountMismatch(Proto.ModelInferRequest r)
    {
        var rawInputs = r.Inputs.Count(i => !i.Parameters.ContainsKey(SharedMemoryTensors.RegionParameter));
        return ServerErrors.Invalid($"raw_input_contents has {r.RawInputContents.Count} entries for {rawInputs} inputs not in shared memory (model '{r.ModelName}'); expected one per such input, in input order");
    }

    private static Core.Sequences.SequenceId SequenceIdOf(Proto.InferParameter p) => p.ParameterChoiceCase switch
    {
        Proto.InferParameter.ParameterChoiceOneofCase.Int64Param => SequenceParameters.FromInt64(p.Int64Param),
        Proto.InferParameter.ParameterChoiceOneofCase.Uint64Param => SequenceParameters.FromUInt64(p.Uint64Param),
        Proto.InferParameter.ParameterChoiceOneofCase.StringParam => SequenceParameters.FromString(p.StringParam),
        _ => throw ServerErrors.Invalid($"parameter 'sequence_id' is a {p.ParameterChoiceCase}; expected int64_param, uint64_param or string_param"),
    };

    /// <summary>
    /// The request's sequence id without decoding the rest (none when absent or invalid: such a
    /// request fails on its own, waiting for no other step), for ordering a stream's responses.
    /// </summary>
    public static Core.Sequences.SequenceId PeekSequenceId(Proto.ModelInferRequest r)
    {
        if (!r.Parameters.TryGetValue(SequenceParameters.SequenceId, out var p)) return default;
        try
        {
            return SequenceIdOf(p);
        }
        catch (InferenceException)
        {
            return default;
        }
    }

    private static bool Bool(string key, Proto.InferParameter p) =>
        p.ParameterChoiceCase == Proto.InferParameter.ParameterChoiceOneofCase.BoolParam
            ? p.BoolParam
            : throw ServerErrors.Invalid($"parameter '{key}' is a {p.ParameterChoiceCase}; expected bool_param");

    /// <summary>
    /// The response; outputs bound to shared memory (<paramref name="bound"/>) are listed with
    /// empty contents, as Triton lists them. <paramref name="into"/>, when given, is a response
    /// already written to its stream: it is refilled in place (its parameter map, output tensors
    /// and lists keep their storage), so a stream's steady state allocates little per step.
    /// </summary>
    public static Proto.ModelInferResponse Encode(InferenceResponse response, InferenceRequest request, SharedMemoryTensors? bound = null, Proto.ModelInferResponse? into = null)
    {
        var p = into ?? new Proto.ModelInferResponse();
        p.ModelName = response.ModelName;
        p.ModelVersion = response.ModelVersion;
        p.Id = response.RequestId ?? request.RequestId ?? "";
        EncodeParameters(p.Parameters, response, request);
        var outputs = response.Outputs;
        if (p.Outputs.Count != outputs.Count)
        {
            p.Outputs.Clear();
            for (var i = 0; i < outputs.Count; i++) p.Outputs.Add(new Proto.ModelInferResponse.Types.InferOutputTensor());
        }
        p.RawOutputContents.Clear();
        for (var i = 0; i < outputs.Count; i++)
        {
            var t = outputs[i];
            var o = p.Outputs[i];
            o.Name = t.Name;
            o.Datatype = t.DataType.WireName();
            o.Shape.Clear();
            o.Shape.AddRange(t.Shape);
            p.RawOutputContents.Add(bound?.IsBound(t.Name) == true ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(t.Data));
        }
        return p;
    }

    // Shared by every response: messages are only read once encoded, never changed.
    private static readonly Proto.InferParameter True = new() { BoolParam = true };
    private static readonly Proto.InferParameter False = new() { BoolParam = false };

    /// <summary>A sequence step's response echoes its sequence id, start and end (then any response parameters); others have none.</summary>
    private static void EncodeParameters(MapField<string, Proto.InferParameter> map, InferenceResponse response, InferenceRequest request)
    {
        var extra = response.Parameters;
        var id = request.SequenceId;
        // A refilled map with exactly the three sequence keys is updated in place: replacing a
        // key's value keeps its entry, so the steady state allocates nothing here.
        if (id.IsNone || extra is { Count: > 0 } || map.Count != 3 || !map.TryGetValue(SequenceParameters.SequenceId, out var idParameter))
        {
            map.Clear();
            if (id.IsNone) return;
            idParameter = new Proto.InferParameter();
            map[SequenceParameters.SequenceId] = idParameter;
        }
        if (id.IsString) idParameter.StringParam = id.Text;
        else idParameter.Uint64Param = id.Number;
        map[SequenceParameters.SequenceStart] = request.SequenceStart ? True : False;
        map[SequenceParameters.SequenceEnd] = request.SequenceEnd ? True : False;
        foreach (var (key, value) in extra ?? []) map[key] = new Proto.InferParameter { StringParam = value };
    }

    /// <summary>Typed contents to little-endian bytes; the element count must match the shape.</summary>
    private static byte[] FromContents(string name, DataType type, long[] shape, Proto.InferTensorContents c)
    {
        var count = TensorBytes.ElementCount(name, shape);
        switch (type)
        {
            case DataType.Bool:
                Check(name, type, shape, count, c.BoolContents.Count, "bool_contents");
                return c.BoolContents.Select(b => b ? (byte)1 : (byte)0).ToArray();
            case DataType.Int8:
                Check(name, type, shape, count, c.IntContents.Count, "int_contents");
                return Narrow(name, c.IntContents, 1, v => v is >= sbyte.MinValue and <= sbyte.MaxValue, (v, d) => d[0] = unchecked((byte)(sbyte)v));
            case DataType.Int16:
                Check(name, type, shape, count, c.IntContents.Count, "int_contents");
                return Narrow(name, c.IntContents, 2, v => v is >= short.MinValue and <= short.MaxValue, (v, d) => BinaryPrimitives.WriteInt16LittleEndian(d, (short)v));
            case DataType.Int32:
                Check(name, type, shape, count, c.IntContents.Count, "int_contents");
                return Narrow(name, c.IntContents, 4, _ => true, (v, d) => BinaryPrimitives.WriteInt32LittleEndian(d, v));
            case DataType.Int64:
                Check(name, type, shape, count, c.Int64Contents.Count, "int64_contents");
                return Narrow(name, c.Int64Contents, 8, _ => true, (v, d) => BinaryPrimitives.WriteInt64LittleEndian(d, v));
            case DataType.UInt8:
                Check(name, type, shape, count, c.UintContents.Count, "uint_contents");
                return Narrow(name, c.UintContents, 1, v => v <= byte.MaxValue, (v, d) => d[0] = (byte)v);
            case DataType.UInt16:
                Check(name, type, shape, count, c.UintContents.Count, "uint_contents");
                return Narrow(name, c.UintContents, 2, v => v <= ushort.MaxValue, (v, d) => BinaryPrimitives.WriteUInt16LittleEndian(d, (ushort)v));
            case DataType.UInt32:
                Check(name, type, shape, count, c.UintContents.Count, "uint_contents");
                return Narrow(name, c.UintContents, 4, _ => true, (v, d) => BinaryPrimitives.WriteUInt32LittleEndian(d, v));
            case DataType.UInt64:
                Check(name, type, shape, count, c.Uint64Contents.Count, "uint64_contents");
                return Narrow(name, c.Uint64Contents, 8, _ => true, (v, d) => BinaryPrimitives.WriteUInt64LittleEndian(d, v));
            case DataType.Fp32:
                Check(name, type, shape, count, c.Fp32Contents.Count, "fp32_contents");
                return Narrow(name, c.Fp32Contents, 4, _ => true, (v, d) => BinaryPrimitives.WriteSingleLittleEndian(d, v));
            case DataType.Fp64:
                Check(name, type, shape, count, c.Fp64Contents.Count, "fp64_contents");
                return Narrow(name, c.Fp64Contents, 8, _ => true, (v, d) => BinaryPrimitives.WriteDoubleLittleEndian(d, v));
            case DataType.String:
                Check(name, type, shape, count, c.BytesContents.Count, "bytes_contents");
                return TensorBytes.JoinStrings(c.BytesContents.Select(b => b.Memory).ToList());
            default:
                throw ServerErrors.Invalid($"input '{name}' is {type.WireName()}, which has no typed contents field; send it in raw_input_contents");
        }
    }

    private static void Check(string name, DataType type, long[] shape, long expected, int actual, string field)
    {
        if (actual != expected)
            throw ServerErrors.Invalid($"input '{name}' has {actual} values in contents.{field}; shape {Shapes.Format(shape)} of {type.WireName()} needs {expected}");
    }

    private delegate void ElementWriter<T>(T value, Span<byte> destination);

    private static byte[] Narrow<T>(string name, RepeatedField<T> values, int size, Func<T, bool> inRange, ElementWriter<T> write)
    {
        var bytes = new byte[values.Count * size];
        for (var i = 0; i < values.Count; i++)
        {
            if (!inRange(values[i])) throw ServerErrors.Invalid($"input '{name}' value {i} ({values[i]}) is out of range for its datatype");
            write(values[i], bytes.AsSpan(i * size, size));
        }
        return bytes;
    }
}
