using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Remote;

/// <summary>
/// KServe v2 REST inference: POST /v2/models/{model}/infer with the sequence parameters
/// (sequence_id, sequence_start, sequence_end). In binary mode (Triton's binary tensor data
/// extension) the JSON header is followed by the inputs' raw bytes and outputs come back raw;
/// in JSON mode tensors travel as JSON number arrays. Made cheap so that the load generator is
/// not what is measured: the body is written into one buffer this client reuses (it has one
/// step in flight at a time) and sent as is, the response is read, once its headers are in,
/// into another reused buffer and parsed with <see cref="Utf8JsonReader"/>; the invoker has no
/// HttpClient timeout machinery (the workload's cancellation bounds a step).
/// </summary>
internal sealed class HttpStepClient : IStepClient
{
    private const string HeaderLength = "Inference-Header-Content-Length";

    private readonly HttpMessageInvoker _http;
    private readonly Uri _uri;
    private readonly IReadOnlyList<TensorSpec> _outputs;
    private readonly bool _binary;
    /// <summary>The request body being built (JSON header, then binary inputs); reused, one step at a time.</summary>
    private readonly ArrayBufferWriter<byte> _body = new(4096);
    private readonly Utf8JsonWriter _writer;
    /// <summary>The last response's body; grows to the largest response seen.</summary>
    private byte[] _response = new byte[4096];

    public HttpStepClient(HttpMessageInvoker http, Uri baseAddress, string model, IReadOnlyList<TensorSpec> outputs, bool binary)
    {
        _http = http;
        _uri = new Uri(baseAddress, $"v2/models/{Uri.EscapeDataString(model)}/infer");
        _outputs = outputs;
        _binary = binary;
        _writer = new Utf8JsonWriter(_body);
    }

    public async ValueTask<IReadOnlyList<Tensor>> SendAsync(StepCall step, CancellationToken cancellationToken)
    {
        var headerLength = WriteBody(step);
        using var request = new HttpRequestMessage(HttpMethod.Post, _uri) { Content = new BodyContent(_body.WrittenMemory, _binary) };
        if (_binary) request.Headers.TryAddWithoutValidation(HeaderLength, LengthText(headerLength));
        HttpResponseMessage response;
        try
        {
            // SocketsHttpHandler answers once the headers are in (HttpClient's ResponseHeadersRead); the body is read below.
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new StepFailedException("transport", $"POST {_uri}: {e.Message}", e);
        }
        using (response)
        {
            var length = await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new StepFailedException($"http {(int)response.StatusCode}", $"HTTP {(int)response.StatusCode}: {ErrorText(_response.AsSpan(0, length))}");
            var jsonLength = response.Headers.NonValidated.TryGetValues(HeaderLength, out var values) && int.TryParse(values.ToString(), out var n) ? n : length;
            if (jsonLength > length) throw new StepFailedException("bad response", $"{HeaderLength} is {jsonLength} but the body has {length} bytes");
            return Parse(_response.AsSpan(0, length), jsonLength);
        }
    }

    /// <summary>The step's body into <see cref="_body"/>; returns the JSON header's length.</summary>
    private int WriteBody(StepCall step)
    {
        _body.ResetWrittenCount();
        var w = _writer;
        w.Reset(_body);
        w.WriteStartObject();
        w.WriteStartObject("parameters"u8);
        if (step.Id.IsString) w.WriteString("sequence_id"u8, step.Id.Text);
        else w.WriteNumber("sequence_id"u8, step.Id.Number);
        w.WriteBoolean("sequence_start"u8, step.Start);
        w.WriteBoolean("sequence_end"u8, step.End);
        if (_binary) w.WriteBoolean("binary_data_output"u8, true);
        w.WriteEndObject();
        w.WriteStartArray("inputs"u8);
        foreach (var t in step.Inputs)
        {
            w.WriteStartObject();
            w.WriteString("name"u8, t.Name);
            w.WriteString("datatype"u8, t.DataType.WireName());
            w.WriteStartArray("shape"u8);
            foreach (var d in t.Shape) w.WriteNumberValue(d);
            w.WriteEndArray();
            if (_binary)
            {
                w.WriteStartObject("parameters"u8);
                w.WriteNumber("binary_data_size"u8, t.Data.Length);
                w.WriteEndObject();
            }
            else
            {
                w.WritePropertyName("data"u8);
                JsonTensors.WriteData(w, t);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        var headerLength = _body.WrittenCount;
        if (_binary)
        {
            foreach (var t in step.Inputs) _body.Write(t.Data.Span);
        }
        return headerLength;
    }

    /// <summary>Reads the whole response body into <see cref="_response"/>; returns its length.</summary>
    private async ValueTask<int> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is long declared && declared > _response.Length) _response = new byte[declared];
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var length = 0;
        while (true)
        {
            if (length == _response.Length) Array.Resize(ref _response, _response.Length * 2);
            var read = await stream.ReadAsync(_response.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0) return length;
            length += read;
        }
    }

    private IReadOnlyList<Tensor> Parse(ReadOnlySpan<byte> body, int jsonLength)
    {
        var json = body[..jsonLength];
        var result = new List<Tensor>(_outputs.Count);
        var offset = jsonLength;
        var r = new Utf8JsonReader(json);
        r.Read();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (!r.ValueTextEquals("outputs"u8))
            {
                r.Skip();
                continue;
            }
            r.Read();
            while (r.Read() && r.TokenType == JsonTokenType.StartObject)
            {
                string? name = null;
                var type = DataType.Invalid;
                long[] shape = [];
                long binarySize = -1;
                int dataStart = -1, dataEnd = -1;
                while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                {
                    if (r.ValueTextEquals("name"u8)) { r.Read(); name = OutputName(ref r); }
                    else if (r.ValueTextEquals("datatype"u8)) { r.Read(); DataTypes.TryParseWire(r.GetString(), out type); }
                    else if (r.ValueTextEquals("shape"u8)) { r.Read(); shape = Shape(ref r); }
                    else if (r.ValueTextEquals("parameters"u8))
                    {
                        r.Read();
                        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                        {
                            if (r.ValueTextEquals("binary_data_size"u8)) { r.Read(); binarySize = r.GetInt64(); }
                            else r.Skip();
                        }
                    }
                    else if (r.ValueTextEquals("data"u8))
                    {
                        r.Read();
                        dataStart = (int)r.TokenStartIndex;
                        r.Skip();
                        dataEnd = (int)r.BytesConsumed;
                    }
                    else r.Skip();
                }
                byte[] data;
                if (binarySize >= 0)
                {
                    if (offset + binarySize > body.Length)
                        throw new StepFailedException("bad response", $"output \"{name}\" claims {binarySize} binary bytes but the body has {body.Length - offset} left");
                    data = body.Slice(offset, (int)binarySize).ToArray();
                    offset += (int)binarySize;
                }
                else
                {
                    data = dataStart >= 0 && type != DataType.String ? JsonTensors.ReadData(json[dataStart..dataEnd], type) : [];
                }
                result.Add(new Tensor(name ?? "", type, shape, data));
            }
        }
        return result;
    }

    /// <summary>The model's own name string when the output is one of its outputs (no string per step).</summary>
    private string OutputName(ref Utf8JsonReader r)
    {
        foreach (var o in _outputs)
        {
            if (r.ValueTextEquals(o.Name)) return o.Name;
        }
        return r.GetString() ?? "";
    }

    private static long[] Shape(ref Utf8JsonReader r)
    {
        Span<long> dims = stackalloc long[16];
        var n = 0;
        List<long>? more = null;
        while (r.Read() && r.TokenType == JsonTokenType.Number)
        {
            if (n < dims.Length) dims[n++] = r.GetInt64();
            else (more ??= []).Add(r.GetInt64());
        }
        return more is null ? dims[..n].ToArray() : [.. dims[..n], .. more];
    }

    private static string ErrorText(ReadOnlySpan<byte> body)
    {
        try
        {
            var r = new Utf8JsonReader(body);
            r.Read();
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("error"u8)) { r.Read(); return r.GetString() ?? ""; }
                r.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON: show the text as is.
        }
        var text = Encoding.UTF8.GetString(body);
        return text.Length > 300 ? text[..300] + "…" : text;
    }

    /// <summary>Decimal texts of header lengths, made once each.</summary>
    private static readonly string?[] LengthTexts = new string?[8192];

    private static string LengthText(int n) =>
        (uint)n < (uint)LengthTexts.Length ? LengthTexts[n] ??= n.ToString(System.Globalization.CultureInfo.InvariantCulture) : n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public ValueTask DisposeAsync()
    {
        _writer.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The request body as built in the client's buffer, sent without a copy; valid until the step's response is in.</summary>
    private sealed class BodyContent : HttpContent
    {
        private readonly ReadOnlyMemory<byte> _bytes;

        public BodyContent(ReadOnlyMemory<byte> bytes, bool binary)
        {
            _bytes = bytes;
            Headers.TryAddWithoutValidation("Content-Type", binary ? "application/octet-stream" : "application/json");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            stream.WriteAsync(_bytes).AsTask();

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            stream.WriteAsync(_bytes, cancellationToken).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = _bytes.Length;
            return true;
        }
    }
}
