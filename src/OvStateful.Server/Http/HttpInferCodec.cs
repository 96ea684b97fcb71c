using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.Server.Protocol;
using OvStateful.Server.SharedMemory;

namespace OvStateful.Server.Http;

/// <summary>
/// KServe v2 REST inference bodies, with Triton's binary tensor data extension: a JSON header
/// of Inference-Header-Content-Length bytes, then each binary input's bytes in input order
/// (sizes in the inputs' binary_data_size parameters). Requests become Core's
/// <see cref="InferenceRequest"/> whose tensors point into the body (binary data, not copied)
/// or into the exchange's pooled arrays (decoded JSON data); responses are written into the
/// response's pipe from the step's output tensors, after a JSON header made in a pooled buffer.
/// </summary>
internal static class HttpInferCodec
{
    private static readonly JsonReaderOptions JsonCheckOptions = new() { MaxDepth = 64 };
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";

    /// <summary>Decimal texts of header lengths, made once each: the response header's value costs no string per request.</summary>
    private static readonly string?[] LengthTexts = new string?[8192];

    /// <summary>The request's Inference-Header-Content-Length, or null when it has none.</summary>
    public static long? HeaderLength(HttpRequest request)
    {
        var value = request.Headers[HeaderLengthHeader];
        if (value.Count == 0) return null;
        return long.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            ? h
            : throw ServerErrors.Invalid($"header {HeaderLengthHeader} is '{value}'; expected the JSON header's byte count");
    }

    public static InferenceRequest Decode(IServedModel model, string? version, ReadOnlyMemory<byte> body, long? headerLength, SharedMemoryRegistry? sharedMemory, InferExchange exchange)
    {
        var jsonLength = body.Length;
        if (headerLength is long h)
        {
            if (h < 0 || h > body.Length)
                throw ServerErrors.Invalid($"header {HeaderLengthHeader} is {h}; the body has {body.Length} bytes");
            jsonLength = (int)h;
        }
        var json = body[..jsonLength];
        // Invalid UTF-8 and escapes (where a lone surrogate can hide) get the located check before
        // anything is read; plain UTF-8 without escapes, the common case, skips it (it allocates).
        if (!System.Text.Unicode.Utf8.IsValid(json.Span) || json.Span.IndexOf("\\u"u8) >= 0) JsonText.Check(json.Span, JsonCheckOptions);
        var header = exchange.Header;
        HeaderSkeleton.Read(json.Span, TensorNames.Of(model), header, exchange);

        var inputs = new Tensor[header.Inputs.Count];
        var binaryOffset = jsonLength;
        for (var i = 0; i < inputs.Length; i++)
        {
            var e = header.Inputs[i];
            inputs[i] = new Tensor(e.Name, e.DataType, e.Shape, InputData(in e, body, json.Span, ref binaryOffset, sharedMemory, exchange));
        }
        if (binaryOffset != body.Length)
            throw ServerErrors.Invalid($"request has {body.Length - binaryOffset} bytes of binary data that no input's 'binary_data_size' accounts for");

        string[]? requested = null;
        if (header.Outputs.Count > 0)
        {
            requested = new string[header.Outputs.Count];
            for (var k = 0; k < requested.Length; k++)
            {
                var o = header.Outputs[k];
                BindOutput(in o, sharedMemory, exchange);
                requested[k] = o.Name;
            }
        }

        return new InferenceRequest
        {
            ModelName = model.Name,
            ModelVersion = version,
            RequestId = header.Id,
            SequenceId = header.SequenceId,
            SequenceStart = header.SequenceStart,
            SequenceEnd = header.SequenceEnd,
            Inputs = inputs,
            RequestedOutputs = requested,
        };
    }

    /// <summary>
    /// The one place where an input's bytes are found: the binary section after the header (in
    /// input order; a slice of the body, nothing copied), the JSON "data" value (decoded into an
    /// array of the exchange), or a registered shared-memory region (copied out of it,
    /// <see cref="SharedMemoryTensors.ReadInput"/>).
    /// </summary>
    private static ReadOnlyMemory<byte> InputData(in InputHeader e, ReadOnlyMemory<byte> body, ReadOnlySpan<byte> json, ref int binaryOffset, SharedMemoryRegistry? sharedMemory, InferExchange exchange)
    {
        var hasData = e.DataLength > 0;
        if (e.SharedMemory is { } region)
        {
            if (hasData || e.BinarySize >= 0)
                throw ServerErrors.Invalid($"input '{e.Name}' has both 'shared_memory_region' and {(hasData ? "'data'" : "'binary_data_size'")}; send one");
            return SharedMemoryTensors.For(ref exchange.SharedMemory, sharedMemory).ReadInput(region, e.Name, e.DataType, e.Shape);
        }
        if (e.BinarySize >= 0)
        {
            if (hasData) throw ServerErrors.Invalid($"input '{e.Name}' has both 'data' and 'binary_data_size'; send one");
            if (e.BinarySize > body.Length - binaryOffset)
                throw ServerErrors.Invalid($"input '{e.Name}' parameter 'binary_data_size' is {e.BinarySize} but only {body.Length - binaryOffset} bytes of binary data remain");
            // No copy: the body is held until the response is written, after the step has run.
            var data = body.Slice(binaryOffset, (int)e.BinarySize);
            binaryOffset += (int)e.BinarySize;
            TensorBytes.CheckRaw(e.Name, e.DataType, e.Shape, data.Span, "its binary data");
            return data;
        }
        if (!hasData) throw ServerErrors.Invalid($"input '{e.Name}' has neither 'data' nor a 'binary_data_size' parameter");
        return JsonTensorData.Decode(e.Name, e.DataType, e.Shape, json.Slice(e.DataStart, e.DataLength), exchange);
    }

    /// <summary>An output asked into a region takes its lease before the step runs: a bad region fails the request, changing no state.</summary>
    private static void BindOutput(in OutputHeader o, SharedMemoryRegistry? sharedMemory, InferExchange exchange)
    {
        if (o.SharedMemory is { } place) SharedMemoryTensors.For(ref exchange.SharedMemory, sharedMemory).BindOutput(place, o.Name);
    }

    private static readonly JsonEncodedText ModelNameProperty = JsonEncodedText.Encode("model_name");
    private static readonly JsonEncodedText ModelVersionProperty = JsonEncodedText.Encode("model_version");
    private static readonly JsonEncodedText IdProperty = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText ParametersProperty = JsonEncodedText.Encode("parameters");
    private static readonly JsonEncodedText SequenceIdProperty = JsonEncodedText.Encode(SequenceParameters.SequenceId);
    private static readonly JsonEncodedText SequenceStartProperty = JsonEncodedText.Encode(SequenceParameters.SequenceStart);
    private static readonly JsonEncodedText SequenceEndProperty = JsonEncodedText.Encode(SequenceParameters.SequenceEnd);
    private static readonly JsonEncodedText OutputsProperty = JsonEncodedText.Encode("outputs");
    private static readonly JsonEncodedText NameProperty = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText DatatypeProperty = JsonEncodedText.Encode("datatype");
    private static readonly JsonEncodedText ShapeProperty = JsonEncodedText.Encode("shape");
    private static readonly JsonEncodedText DataProperty = JsonEncodedText.Encode("data");
    private static readonly JsonEncodedText BinaryDataSizeProperty = JsonEncodedText.Encode("binary_data_size");

    /// <summary>
    /// Writes the response: status, headers (Content-Length, and Inference-Header-Content-Length
    /// when any output is binary), the JSON header, then each binary output's bytes in output
    /// order, straight from the step's output tensors into the response pipe. Nothing is
    /// flushed here: Kestrel sends it when the request ends. Outputs bound to shared memory are
    /// written into their regions first (one that does not fit fails the request before anything
    /// is sent) and listed without data, as Triton lists them.
    /// </summary>
    public static void Write(HttpResponse http, InferenceResponse response, InferenceRequest request, InferExchange exchange)
    {
        var header = exchange.Header;
        var shm = exchange.SharedMemory;
        shm?.WriteOutputs(response);
        var w = exchange.Writer;
        long binaryBytes = 0;
        var binaryOutputs = 0;
        w.WriteStartObject();
        w.WriteString(ModelNameProperty, response.ModelName);
        w.WriteString(ModelVersionProperty, response.ModelVersion);
        if (!string.IsNullOrEmpty(response.RequestId)) w.WriteString(IdProperty, response.RequestId);
        if (!request.SequenceId.IsNone)
        {
            w.WriteStartObject(ParametersProperty);
            if (request.SequenceId.IsString) w.WriteString(SequenceIdProperty, request.SequenceId.Text);
            else w.WriteNumber(SequenceIdProperty, request.SequenceId.Number);
            w.WriteBoolean(SequenceStartProperty, request.SequenceStart);
            w.WriteBoolean(SequenceEndProperty, request.SequenceEnd);
            // Parameters the serving side adds (a cluster names the node that owns the sequence); none here otherwise.
            if (response.Parameters is { } extra) foreach (var (key, value) in extra) w.WriteString(key, value);
            w.WriteEndObject();
        }
        w.WriteStartArray(OutputsProperty);
        var outputs = response.Outputs;
        // Index loops: a foreach over the IReadOnlyList would allocate an enumerator per request.
        for (var i = 0; i < outputs.Count; i++)
        {
            var t = outputs[i];
            w.WriteStartObject();
            w.WriteString(NameProperty, t.Name);
            w.WriteString(DatatypeProperty, t.DataType.WireName());
            w.WriteStartArray(ShapeProperty);
            foreach (var d in t.Shape) w.WriteNumberValue(d);
            w.WriteEndArray();
            if (shm?.IsBound(t.Name) == true)
            {
                // In its region: no data here.
            }
            else if (header.IsBinary(t.Name))
            {
                w.WriteStartObject(ParametersProperty);
                w.WriteNumber(BinaryDataSizeProperty, t.Data.Length);
                w.WriteEndObject();
                binaryBytes += t.Data.Length;
                binaryOutputs++;
            }
            else
            {
                w.WritePropertyName(DataProperty);
                JsonTensorData.Encode(w, t);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();

        var json = exchange.ResponseHeader.WrittenSpan;
        http.StatusCode = StatusCodes.Status200OK;
        if (binaryOutputs > 0)
        {
            http.ContentType = "application/octet-stream";
            http.Headers[HeaderLengthHeader] = LengthText(json.Length);
        }
        else
        {
            http.ContentType = "application/json";
        }
        http.ContentLength = json.Length + binaryBytes;
        var body = http.BodyWriter;
        WriteAll(body, json);
        if (binaryOutputs == 0) return;
        for (var i = 0; i < outputs.Count; i++)
        {
            var name = outputs[i].Name;
            if (header.IsBinary(name) && shm?.IsBound(name) != true) WriteAll(body, outputs[i].Data.Span);
        }
    }

    /// <summary>
    /// Copies into the pipe asking for spans of a stated size: without a size hint a pipe over a
    /// transport whose memory pool has no minimum block (the connection-capped socket transport)
    /// hands out empty spans, and BuffersExtensions.Write then throws.
    /// </summary>
    private static void WriteAll(System.IO.Pipelines.PipeWriter body, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var span = body.GetSpan(Math.Min(data.Length, 16 * 1024));
            var n = Math.Min(span.Length, data.Length);
            data[..n].CopyTo(span);
            body.Advance(n);
            data = data[n..];
        }
    }

    private static string LengthText(int n)
    {
        if ((uint)n >= (uint)LengthTexts.Length) return n.ToString(CultureInfo.InvariantCulture);
        // A benign race: two threads may each make the same string; either is right.
        return LengthTexts[n] ??= n.ToString(CultureInfo.InvariantCulture);
    }
}
