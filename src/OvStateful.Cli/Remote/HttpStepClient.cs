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
/// not what is measured: the request (head and body) is written into one buffer this client
/// reuses (it has one step in flight at a time) and sent over its own keep-alive connection
/// (<see cref="Http11Connection"/>, no HttpClient), the response read into that connection's
/// reused buffer and parsed with <see cref="Utf8JsonReader"/>; the workload's cancellation bounds a step.
/// </summary>
internal sealed class HttpStepClient : IStepClient
{
    public const string HeaderLength = "Inference-Header-Content-Length";

    private readonly Http11Connection _connection;
    private readonly Uri _uri;
    private readonly IReadOnlyList<TensorSpec> _outputs;
    private readonly bool _binary;
    /// <summary>The request body being built (JSON header, then binary inputs); reused, one step at a time.</summary>
    private readonly ArrayBufferWriter<byte> _body = new(4096);
    private readonly Utf8JsonWriter _writer;
    /// <summary>The request line and the headers that never change (Host, Content-Type), up to Content-Length's value.</summary>
    private readonly byte[] _headStart;
    /// <summary>The whole request as sent: head, then <see cref="_body"/>'s bytes; grows to the largest request.</summary>
    private byte[] _request = new byte[4096];

    public HttpStepClient(Uri baseAddress, string model, IReadOnlyList<TensorSpec> outputs, bool binary)
    {
        _uri = new Uri(baseAddress, $"v2/models/{Uri.EscapeDataString(model)}/infer");
        _connection = new Http11Connection(new DnsEndPoint(_uri.Host, _uri.Port));
        _outputs = outputs;
        _binary = binary;
        _writer = new Utf8JsonWriter(_body);
        _headStart = Encoding.ASCII.GetBytes($"POST {_uri.PathAndQuery} HTTP/1.1\r\nHost: {_uri.Authority}\r\n"
            + $"Content-Type: {(binary ? "application/octet-stream" : "application/json")}\r\nContent-Length: ");
    }

    public async ValueTask<IReadOnlyList<Tensor>> SendAsync(StepCall step, CancellationToken cancellationToken)
    {
        var request = Request(WriteBody(step));
        var response = await _connection.ExchangeAsync(request, cancellationToken).ConfigureAwait(false);
        var body = _connection.Body.AsSpan(0, response.Length);
        if (response.Status is < 200 or > 299)
            throw new StepFailedException($"http {response.Status}", $"HTTP {response.Status}: {ErrorText(body)}");
        var jsonLength = response.InferenceHeaderLength >= 0 ? response.InferenceHeaderLength : response.Length;
        if (jsonLength > response.Length) throw new StepFailedException("bad response", $"{HeaderLength} is {jsonLength} but the body has {response.Length} bytes");
        return Parse(body, jsonLength);
    }

    /// <summary>The request's head (Content-Length, and the header's length in binary mode) and body in <see cref="_request"/>.</summary>
    private ReadOnlyMemory<byte> Request(int headerLength)
    {
        var body = _body.WrittenSpan;
        // Two decimal lengths (at most 10 digits each) and their CRLFs and name: well within 96 bytes.
        var most = _headStart.Length + 96 + HeaderLength.Length + body.Length;
        if (_request.Length < most) _request = new byte[Math.Max(most, _request.Length * 2)];
        var span = _request.AsSpan();
        _headStart.CopyTo(span);
        var n = _headStart.Length;
        n += Decimal(body.Length, span[n..]);
        if (_binary)
        {
            "\r\n"u8.CopyTo(span[n..]);
            n += 2;
            n += Encoding.ASCII.GetBytes(HeaderLength, span[n..]);
            ": "u8.CopyTo(span[n..]);
            n += 2;
            n += Decimal(headerLength, span[n..]);
        }
        "\r\n\r\n"u8.CopyTo(span[n..]);
        n += 4;
        body.CopyTo(span[n..]);
        return _request.AsMemory(0, n + body.Length);
    }

    private static int Decimal(int value, Span<byte> into) =>
        System.Buffers.Text.Utf8Formatter.TryFormat(value, into, out var written) ? written : throw new InvalidOperationException("no room for a length");

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

    public ValueTask DisposeAsync()
    {
        _writer.Dispose();
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }
}
