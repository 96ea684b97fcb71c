using System.Text.Json;
using Google.Protobuf.Collections;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.Server.Protocol;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.SharedMemory;

/// <summary>Where a tensor's data lives in shared memory: the parameters shared_memory_region, _offset and _byte_size.</summary>
internal readonly record struct SharedMemoryPlace(string Region, ulong Offset, ulong ByteSize);

/// <summary>
/// A request's tensors in shared memory, for both protocols: inputs are read out of their
/// regions when the request is decoded (a copy, so the step never depends on a region that
/// may be unregistered before it runs); outputs bound to a region keep a lease until the
/// response has been written there (<see cref="WriteOutputs"/>), then <see cref="Dispose"/>
/// lets go. Responses list such outputs without data, as Triton's do.
/// </summary>
internal sealed class SharedMemoryTensors(SharedMemoryRegistry registry) : IDisposable
{
    public const string RegionParameter = "shared_memory_region";
    public const string OffsetParameter = "shared_memory_offset";
    public const string ByteSizeParameter = "shared_memory_byte_size";

    // Invariant: one lease per output bound to shared memory, released by Dispose.
    private readonly Dictionary<string, SharedMemoryLease> _outputs = new(StringComparer.Ordinal);

    public bool HasOutputs => _outputs.Count > 0;

    /// <summary>The request's shared-memory tensors, made on the first tensor that uses shared memory (a request that uses none allocates nothing).</summary>
    public static SharedMemoryTensors For(ref SharedMemoryTensors? bound, SharedMemoryRegistry? registry) =>
        bound ??= new SharedMemoryTensors(registry ?? throw ServerErrors.Invalid("this endpoint does not serve shared memory; send the tensor data in the request"));

    /// <summary>Whether <paramref name="output"/> goes to shared memory (then the response carries no data for it).</summary>
    public bool IsBound(string output) => _outputs.ContainsKey(output);

    /// <summary>The input's bytes, copied out of its region and checked against its shape and datatype.</summary>
    public byte[] ReadInput(SharedMemoryPlace place, string input, DataType type, long[] shape)
    {
        using var lease = registry.Acquire(place.Region, place.Offset, place.ByteSize, input);
        var data = lease.Read();
        TensorBytes.CheckRaw(input, type, shape, data, $"shared memory region '{place.Region}'");
        return data;
    }

    public void BindOutput(SharedMemoryPlace place, string output)
    {
        if (_outputs.ContainsKey(output)) throw ServerErrors.Invalid($"output '{output}' is requested twice");
        _outputs[output] = registry.Acquire(place.Region, place.Offset, place.ByteSize, output);
    }

    /// <summary>Writes every bound output of <paramref name="response"/> into its region; Triton's error when one does not fit.</summary>
    public void WriteOutputs(InferenceResponse response)
    {
        foreach (var t in response.Outputs)
        {
            if (!_outputs.TryGetValue(t.Name, out var lease)) continue;
            if (t.Data.Length > lease.ByteSize)
            {
                throw new InferenceException(InferenceErrorKind.Internal,
                    $"shared memory size specified with the request for output '{t.Name}' ({lease.ByteSize} bytes) should be at least {t.Data.Length} bytes to hold the results (model '{response.ModelName}')");
            }
            lease.Write(t.Data.Span);
        }
    }

    public void Dispose()
    {
        foreach (var lease in _outputs.Values) lease.Dispose();
        _outputs.Clear();
    }

    /// <summary>The shared-memory place a JSON tensor's parameters name, or null when it names none.</summary>
    public static SharedMemoryPlace? FromJson(JsonElement parameters, string tensor)
    {
        if (parameters.ValueKind != JsonValueKind.Object || !parameters.TryGetProperty(RegionParameter, out var region)) return null;
        if (region.ValueKind != JsonValueKind.String) throw ServerErrors.Invalid($"Unable to parse '{RegionParameter}' of tensor '{tensor}': expected the region's name as a string, got {region.GetRawText()}");
        return new SharedMemoryPlace(region.GetString()!, JsonSize(parameters, OffsetParameter, tensor), JsonSize(parameters, ByteSizeParameter, tensor));
    }

    private static ulong JsonSize(JsonElement parameters, string key, string tensor)
    {
        if (!parameters.TryGetProperty(key, out var v)) return 0;
        return v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out var n)
            ? n
            : throw ServerErrors.Invalid($"Unable to parse '{key}' of tensor '{tensor}': expected a byte count >= 0, got {v.GetRawText()}");
    }

    /// <summary>The shared-memory place a gRPC tensor's parameters name, or null when it names none.</summary>
    public static SharedMemoryPlace? FromProto(MapField<string, Proto.InferParameter> parameters, string tensor)
    {
        if (!parameters.TryGetValue(RegionParameter, out var region)) return null;
        if (region.ParameterChoiceCase != Proto.InferParameter.ParameterChoiceOneofCase.StringParam)
            throw ServerErrors.Invalid($"Unable to parse '{RegionParameter}' of tensor '{tensor}': expected string_param, got {region.ParameterChoiceCase}");
        return new SharedMemoryPlace(region.StringParam, ProtoSize(parameters, OffsetParameter, tensor), ProtoSize(parameters, ByteSizeParameter, tensor));
    }

    private static ulong ProtoSize(MapField<string, Proto.InferParameter> parameters, string key, string tensor)
    {
        if (!parameters.TryGetValue(key, out var p)) return 0;
        return p.ParameterChoiceCase switch
        {
            Proto.InferParameter.ParameterChoiceOneofCase.Int64Param when p.Int64Param >= 0 => (ulong)p.Int64Param,
            Proto.InferParameter.ParameterChoiceOneofCase.Uint64Param => p.Uint64Param,
            _ => throw ServerErrors.Invalid($"Unable to parse '{key}' of tensor '{tensor}': expected int64_param or uint64_param >= 0, got {p.ParameterChoiceCase}"),
        };
    }
}
