using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Remote;

/// <summary>
/// KServe v2 REST inference: POST /v2/models/{model}/infer with the sequence parameters
/// (sequence_id, sequence_start, sequence_end). In binary mode (Triton's binary tensor data
/// extension) the JSON header is followed by the inputs' raw bytes and outputs come back raw;
/// in JSON mode tensors travel as JSON number arrays.
/// </summary>
internal sealed class HttpStepClient(HttpClient http, string model, IReadOnlyList<Core.Engines.TensorSpec> outputs, bool binary) : IStepClient
{
    private const string HeaderLength = "Inference-Header-Content-Length";
    private readonly string _path = $"v2/models/{Uri.EscapeDataString(model)}/infer";

    public async ValueTask<IReadOnlyList<Tensor>> SendAsync(StepCall step, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _path) { Content = Body(step) };
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new StepFailedException("transport", $"POST {http.BaseAddress}{_path}: {e.Message}", e);
        }
        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new StepFailedException($"http {(int)response.StatusCode}", $"HTTP {(int)response.StatusCode}: {ErrorText(body)}");
            var jsonLength = response.Headers.TryGetValues(HeaderLength, out var values) && int.TryParse(values.FirstOrDefault(), out var n) ? n : body.Length;
            return Parse(body, jsonLength);
        }
    }

    private HttpContent Body(StepCall step)
    {
        var json = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteStartObject("parameters");
            if (step.Id.IsString) w.WriteString("sequence_id", step.Id.Text);
            else w.WriteNumber("sequence_id", step.Id.Number);
            w.WriteBoolean("sequence_start", step.Start);
            w.WriteBoolean("sequence_end", step.End);
            if (binary) w.WriteBoolean("binary_data_output", true);
            w.WriteEndObject();
            w.WriteStartArray("inputs");
            foreach (var t in step.Inputs)
            {
                w.WriteStartObject();
                w.WriteString("name", t.Name);
                w.WriteString("datatype", t.DataType.WireName());
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                if (binary)
                {
                    w.WriteStartObject("parameters");
                    w.WriteNumber("binary_data_size", t.Data.Length);
                    w.WriteEndObject();
                }
                else
                {
                    w.WritePropertyName("data");
                    JsonTensors.WriteData(w, t);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        if (!binary)
        {
            var content = new ByteArrayContent(json.WrittenSpan.ToArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return content;
        }
        var total = json.WrittenCount + step.Inputs.Sum(t => t.Data.Length);
        var bytes = new byte[total];
        json.WrittenSpan.CopyTo(bytes);
        var offset = json.WrittenCount;
        foreach (var t in step.Inputs)
        {
            t.Data.Span.CopyTo(bytes.AsSpan(offset));
            offset += t.Data.Length;
        }
        var binaryContent = new ByteArrayContent(bytes);
        binaryContent.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        binaryContent.Headers.Add(HeaderLength, json.WrittenCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return binaryContent;
    }

    private IReadOnlyList<Tensor> Parse(byte[] body, int jsonLength)
    {
        using var doc = JsonDocument.Parse(body.AsMemory(0, jsonLength));
        var result = new List<Tensor>(outputs.Count);
        var offset = jsonLength;
        if (!doc.RootElement.TryGetProperty("outputs", out var array)) return result;
        foreach (var o in array.EnumerateArray())
        {
            var name = o.GetProperty("name").GetString()!;
            DataTypes.TryParseWire(o.GetProperty("datatype").GetString(), out var type);
            var shape = o.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            byte[] data;
            if (o.TryGetProperty("parameters", out var p) && p.TryGetProperty("binary_data_size", out var size))
            {
                var n = size.GetInt32();
                if (offset + n > body.Length) throw new StepFailedException("bad response", $"output \"{name}\" claims {n} binary bytes but the body has {body.Length - offset} left");
                data = body.AsSpan(offset, n).ToArray();
                offset += n;
            }
            else
            {
                data = o.TryGetProperty("data", out var d) && type != DataType.String ? JsonTensors.ReadData(d, type) : [];
            }
            result.Add(new Tensor(name, type, shape, data));
        }
        return result;
    }

    private static string ErrorText(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("error", out var e)) return e.GetString() ?? "";
        }
        catch (JsonException)
        {
            // Not JSON: show the text as is.
        }
        var text = Encoding.UTF8.GetString(body);
        return text.Length > 300 ? text[..300] + "…" : text;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
