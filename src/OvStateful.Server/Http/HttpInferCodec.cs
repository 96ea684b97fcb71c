using System.Text;
using System.Text.Json;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.Server.Protocol;
using OvStateful.Server.SharedMemory;

namespace OvStateful.Server.Http;

/// <summary>A decoded KServe v2 REST infer request and how each output is to be returned.</summary>
internal sealed record HttpInferRequest(InferenceRequest Request, bool BinaryByDefault, IReadOnlyDictionary<string, bool> BinaryOutputs)
{
    /// <summary>The request's tensors in shared memory (SharedMemory/); null when it uses none. The endpoint disposes it.</summary>
    public SharedMemoryTensors? SharedMemory { get; init; }

    public bool IsBinary(string output) => BinaryOutputs.TryGetValue(output, out var b) ? b : BinaryByDefault;
}

/// <summary>
/// KServe v2 REST inference bodies, with Triton's binary tensor data extension: a JSON
/// header of Inference-Header-Content-Length bytes, then each binary input's bytes in input
/// order (sizes in the inputs' binary_data_size parameters).
/// </summary>
internal static class HttpInferCodec
{
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static HttpInferRequest Decode(string model, string? version, ReadOnlyMemory<byte> body, long? headerLength, SharedMemoryRegistry? sharedMemory = null)
    {
        SharedMemoryTensors? bound = null;
        try
        {
            var decoded = DecodeBody(model, version, body, headerLength, sharedMemory, ref bound);
            return bound is null ? decoded : decoded with { SharedMemory = bound };
        }
        catch
        {
            bound?.Dispose();
            throw;
        }
    }

    private static HttpInferRequest DecodeBody(string model, string? version, ReadOnlyMemory<byte> body, long? headerLength, SharedMemoryRegistry? sharedMemory, ref SharedMemoryTensors? bound)
    {
        var jsonLength = body.Length;
        if (headerLength is long h)
        {
            if (h < 0 || h > body.Length)
                throw ServerErrors.Invalid($"header {HeaderLengthHeader} is {h}; the body has {body.Length} bytes");
            jsonLength = (int)h;
        }

        JsonText.Check(body.Span[..jsonLength], new JsonReaderOptions { MaxDepth = DocumentOptions.MaxDepth });
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body[..jsonLength], DocumentOptions);
        }
        catch (JsonException e)
        {
            throw ServerErrors.Invalid($"request body is not valid JSON: {e.Message}");
        }

        using (doc)
        {
            try
            {
                return Decode(model, version, body, doc.RootElement, jsonLength, sharedMemory, ref bound);
            }
            catch (InvalidOperationException e)
            {
                // A value of another JSON kind than expected where no check above names it: still the request's fault.
                throw ServerErrors.Invalid($"request body has a value of the wrong JSON kind: {e.Message}");
            }
        }
    }

    private static HttpInferRequest Decode(string model, string? version, ReadOnlyMemory<byte> body, JsonElement root, int jsonLength, SharedMemoryRegistry? sharedMemory, ref SharedMemoryTensors? bound)
    {
        {
            if (root.ValueKind != JsonValueKind.Object) throw ServerErrors.Invalid("request body must be a JSON object with 'inputs'");

            string? id = null;
            if (root.TryGetProperty("id", out var idElement))
            {
                if (idElement.ValueKind != JsonValueKind.String) throw ServerErrors.Invalid("'id' must be a string");
                id = idElement.GetString();
            }

            var sequenceId = default(Core.Sequences.SequenceId);
            bool start = false, end = false, binaryDefault = false;
            if (root.TryGetProperty("parameters", out var parameters))
            {
                if (parameters.ValueKind != JsonValueKind.Object) throw ServerErrors.Invalid("'parameters' must be a JSON object");
                foreach (var p in parameters.EnumerateObject())
                {
                    switch (p.Name)
                    {
                        case SequenceParameters.SequenceId:
                            sequenceId = p.Value.ValueKind switch
                            {
                                JsonValueKind.Number => SequenceParameters.FromJsonNumber(p.Value.GetRawText()),
                                JsonValueKind.String => SequenceParameters.FromString(p.Value.GetString()!),
                                _ => throw ServerErrors.Invalid($"parameter 'sequence_id' is {p.Value.ValueKind}; expected an unsigned 64-bit number or a string"),
                            };
                            break;
                        case SequenceParameters.SequenceStart: start = Bool(p, "parameter"); break;
                        case SequenceParameters.SequenceEnd: end = Bool(p, "parameter"); break;
                        case "binary_data_output": binaryDefault = Bool(p, "parameter"); break;
                    }
                }
            }

            if (!root.TryGetProperty("inputs", out var inputsElement) || inputsElement.ValueKind != JsonValueKind.Array)
                throw ServerErrors.Invalid("request body needs 'inputs': an array of {name, shape, datatype, data}");

            var binaryOffset = jsonLength;
            var inputs = new List<Tensor>();
            var index = 0;
            foreach (var input in inputsElement.EnumerateArray())
            {
                inputs.Add(DecodeInput(input, index++, body, ref binaryOffset, sharedMemory, ref bound));
            }
            if (binaryOffset != body.Length)
                throw ServerErrors.Invalid($"request has {body.Length - binaryOffset} bytes of binary data that no input's 'binary_data_size' accounts for");

            List<string>? requested = null;
            var binaryOutputs = new Dictionary<string, bool>(StringComparer.Ordinal);
            if (root.TryGetProperty("outputs", out var outputsElement))
            {
                if (outputsElement.ValueKind != JsonValueKind.Array) throw ServerErrors.Invalid("'outputs' must be an array of {name, parameters}");
                requested = [];
                var o = 0;
                foreach (var output in outputsElement.EnumerateArray())
                {
                    if (output.ValueKind != JsonValueKind.Object) throw ServerErrors.Invalid($"outputs[{o}] is {output.ValueKind}; expected an object with 'name'");
                    var name = RequiredString(output, "name", $"outputs[{o++}]");
                    requested.Add(name);
                    if (output.TryGetProperty("parameters", out var op) && op.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var p in op.EnumerateObject())
                        {
                            if (p.Name == "binary_data") binaryOutputs[name] = Bool(p, $"output '{name}' parameter");
                            else if (p.Name == "classification")
                                throw ServerErrors.Invalid($"output '{name}' asks for classification, which this server does not offer");
                        }
                        if (SharedMemoryTensors.FromJson(op, name) is { } place) SharedMemoryTensors.For(ref bound, sharedMemory).BindOutput(place, name);
                    }
                }
            }

            var request = new InferenceRequest
            {
                ModelName = model,
                ModelVersion = version,
                RequestId = id,
                SequenceId = sequenceId,
                SequenceStart = start,
                SequenceEnd = end,
                Inputs = inputs,
                RequestedOutputs = requested is { Count: > 0 } ? requested : null,
            };
            return new HttpInferRequest(request, binaryDefault, binaryOutputs);
        }
    }

    private static Tensor DecodeInput(JsonElement input, int index, ReadOnlyMemory<byte> body, ref int binaryOffset, SharedMemoryRegistry? sharedMemory, ref SharedMemoryTensors? bound)
    {
        if (input.ValueKind != JsonValueKind.Object) throw ServerErrors.Invalid($"inputs[{index}] must be an object with name, shape, datatype, data");
        var name = RequiredString(input, "name", $"inputs[{index}]");
        var type = TensorBytes.ParseDatatype(name, RequiredString(input, "datatype", $"input '{name}'"));
        if (!input.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw ServerErrors.Invalid($"input '{name}' needs 'shape': an array of dimensions");
        var shape = new List<long>();
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim))
                throw ServerErrors.Invalid($"input '{name}' 'shape' holds {d.GetRawText()}; dimensions must be whole numbers");
            shape.Add(dim);
        }

        long? binarySize = null;
        if (input.TryGetProperty("parameters", out var parameters) && SharedMemoryTensors.FromJson(parameters, name) is { } place)
        {
            if (input.TryGetProperty("data", out _) || parameters.TryGetProperty("binary_data_size", out _))
                throw ServerErrors.Invalid($"input '{name}' has parameter '{SharedMemoryTensors.RegionParameter}' and also 'data' or 'binary_data_size'; its data comes from one place");
            return new Tensor(name, type, shape.ToArray(), SharedMemoryTensors.For(ref bound, sharedMemory).ReadInput(place, name, type, shape));
        }
        if (parameters.ValueKind == JsonValueKind.Object
            && parameters.TryGetProperty("binary_data_size", out var sizeElement))
        {
            if (!sizeElement.TryGetInt64(out var size) || size < 0)
                throw ServerErrors.Invalid($"input '{name}' parameter 'binary_data_size' is {sizeElement.GetRawText()}; expected a byte count >= 0");
            binarySize = size;
        }

        ReadOnlyMemory<byte> data;
        var hasJsonData = input.TryGetProperty("data", out var dataElement);
        if (binarySize is long n)
        {
            if (hasJsonData) throw ServerErrors.Invalid($"input '{name}' has both 'data' and 'binary_data_size'; send one");
            if (n > body.Length - binaryOffset)
                throw ServerErrors.Invalid($"input '{name}' parameter 'binary_data_size' is {n} but only {body.Length - binaryOffset} bytes of binary data remain");
            // No copy: the body buffer belongs to this request and outlives the step.
            data = body.Slice(binaryOffset, (int)n);
            binaryOffset += (int)n;
            TensorBytes.CheckRaw(name, type, shape, data.Span, "its binary data");
        }
        else
        {
            if (!hasJsonData) throw ServerErrors.Invalid($"input '{name}' has neither 'data' nor a 'binary_data_size' parameter");
            data = JsonTensorData.Decode(name, type, shape, dataElement);
        }
        return new Tensor(name, type, shape.ToArray(), data);
    }

    private static string RequiredString(JsonElement e, string property, string where) =>
        e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw ServerErrors.Invalid($"{where} needs '{property}' as a string");

    private static bool Bool(JsonProperty p, string what) => p.Value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw ServerErrors.Invalid($"{what} '{p.Name}' is {p.Value.GetRawText()}; expected true or false"),
    };

    /// <summary>The response body and, when any output is binary, the JSON header's length.</summary>
    public static (byte[] Body, int? HeaderLength) Encode(InferenceResponse response, InferenceRequest request, HttpInferRequest options)
    {
        var json = new System.Buffers.ArrayBufferWriter<byte>();
        var binary = new List<ReadOnlyMemory<byte>>();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteString("model_name", response.ModelName);
            w.WriteString("model_version", response.ModelVersion);
            if (!string.IsNullOrEmpty(response.RequestId)) w.WriteString("id", response.RequestId);
            if (!request.SequenceId.IsNone)
            {
                w.WriteStartObject("parameters");
                if (request.SequenceId.IsString) w.WriteString(SequenceParameters.SequenceId, request.SequenceId.Text);
                else w.WriteNumber(SequenceParameters.SequenceId, request.SequenceId.Number);
                w.WriteBoolean(SequenceParameters.SequenceStart, request.SequenceStart);
                w.WriteBoolean(SequenceParameters.SequenceEnd, request.SequenceEnd);
                foreach (var (key, value) in response.Parameters ?? []) w.WriteString(key, value);
                w.WriteEndObject();
            }
            w.WriteStartArray("outputs");
            foreach (var t in response.Outputs)
            {
                w.WriteStartObject();
                w.WriteString("name", t.Name);
                w.WriteString("datatype", t.DataType.WireName());
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                if (options.SharedMemory?.IsBound(t.Name) == true)
                {
                    // Written to its shared-memory region: listed without data, as Triton lists it.
                }
                else if (options.IsBinary(t.Name))
                {
                    w.WriteStartObject("parameters");
                    w.WriteNumber("binary_data_size", t.Data.Length);
                    w.WriteEndObject();
                    binary.Add(t.Data);
                }
                else
                {
                    w.WritePropertyName("data");
                    JsonTensorData.Encode(w, t);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }

        if (binary.Count == 0) return (json.WrittenSpan.ToArray(), null);
        var total = json.WrittenCount + binary.Sum(b => b.Length);
        var body = new byte[total];
        json.WrittenSpan.CopyTo(body);
        var offset = json.WrittenCount;
        foreach (var b in binary)
        {
            b.Span.CopyTo(body.AsSpan(offset));
            offset += b.Length;
        }
        return (body, json.WrittenCount);
    }

    public static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
