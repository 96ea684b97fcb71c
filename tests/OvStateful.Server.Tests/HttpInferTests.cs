using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OvStateful.Core.Sequences;
using OvStateful.Server.Tests.Infrastructure;
using OvStateful.Server.Tests.TestDoubles;

namespace OvStateful.Server.Tests;

/// <summary>POST /v2/models/{m}/infer: JSON tensors of every datatype, sequences, and the binary tensor data extension.</summary>
public sealed class HttpInferTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<JsonElement> PostOk(string path, string json)
    {
        using var response = await _server.Http.PostAsync(path, Accumulate.JsonContent(json));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Sequence_steps_with_nested_json_match_the_model_in_process()
    {
        var id = new SequenceId(42);
        var expected = await Accumulate.ReferenceAsync(new AccumulatorTestModel(), id, 3);
        for (var step = 0; step < 3; step++)
        {
            var response = await PostOk("/v2/models/accumulate/infer", Accumulate.Json(id, step == 0, step == 2, Accumulate.Input(42, step), $"r{step}"));
            Assert.Equal($"r{step}", response.GetProperty("id").GetString());
            Assert.Equal("accumulate", response.GetProperty("model_name").GetString());
            Assert.Equal("1", response.GetProperty("model_version").GetString());
            Assert.Equal(42UL, response.GetProperty("parameters").GetProperty("sequence_id").GetUInt64());
            var output = response.GetProperty("outputs")[0];
            Assert.Equal("FP32", output.GetProperty("datatype").GetString());
            Assert.Equal(Accumulate.Shape, output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
            Assert.Equal(expected[step], Accumulate.Output(response));
        }
    }

    [Fact]
    public async Task String_sequence_ids_reach_a_string_corrid_model()
    {
        var id = new SequenceId("client-a");
        var expected = await Accumulate.ReferenceAsync(new AccumulatorTestModel("accumulate_str", stringIds: true), id, 2);
        for (var step = 0; step < 2; step++)
        {
            var response = await PostOk("/v2/models/accumulate_str/infer", Accumulate.Json(id, step == 0, step == 1, Accumulate.Input(Accumulate.Key(id), step)));
            Assert.Equal("client-a", response.GetProperty("parameters").GetProperty("sequence_id").GetString());
            Assert.Equal(expected[step], Accumulate.Output(response));
        }
    }

    public static TheoryData<string, string> JsonValues => new()
    {
        { "BOOL", "[true, false, true]" },
        { "UINT8", "[0, 128, 255]" },
        { "UINT16", "[0, 1000, 65535]" },
        { "UINT32", "[0, 70000, 4294967295]" },
        { "UINT64", "[0, 1, 18446744073709551615]" },
        { "INT8", "[-128, 0, 127]" },
        { "INT16", "[-32768, 5, 32767]" },
        { "INT32", "[-2147483648, 7, 2147483647]" },
        { "INT64", "[-9223372036854775808, 9, 9223372036854775807]" },
        { "FP16", "[0.5, -2, 1024]" },
        { "FP32", "[0.25, -1.5, 3.75]" },
        { "FP64", "[0.1, -1e300, 2.5]" },
        { "BF16", "[1, -2, 0.5]" },
        { "BYTES", "[\"a\", \"\", \"héllo\"]" },
    };

    [Theory]
    [MemberData(nameof(JsonValues))]
    public async Task Every_datatype_round_trips_through_json(string datatype, string data)
    {
        var json = $"{{\"inputs\":[{{\"name\":\"{datatype}\",\"shape\":[1,3],\"datatype\":\"{datatype}\",\"data\":{data}}}]}}";
        var response = await PostOk("/v2/models/echo/infer", json);
        var output = response.GetProperty("outputs")[0];
        Assert.Equal("OUT_" + datatype, output.GetProperty("name").GetString());
        Assert.Equal(datatype, output.GetProperty("datatype").GetString());
        var sent = JsonDocument.Parse(data).RootElement.EnumerateArray().ToList();
        var got = output.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(sent.Count, got.Count);
        for (var i = 0; i < sent.Count; i++)
        {
            switch (datatype)
            {
                case "BOOL": Assert.Equal(sent[i].GetBoolean(), got[i].GetBoolean()); break;
                case "BYTES": Assert.Equal(sent[i].GetString(), got[i].GetString()); break;
                case "FP16" or "FP32" or "FP64" or "BF16": Assert.Equal(sent[i].GetDouble(), got[i].GetDouble()); break;
                default: Assert.Equal(sent[i].GetRawText(), got[i].GetRawText()); break;
            }
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(5_000)]
    [InlineData(40_000)]
    public async Task Large_bodies_round_trip_in_json_and_binary(int stringLength)
    {
        // Bodies past one Kestrel buffer segment (4 KiB) are read whole either way; BYTES carry
        // Triton's serialized form in binary and plain strings in JSON (escapes included).
        // As JSON text: escapes for a newline, a quote and a non-BMP character (a surrogate pair).
        var strings = new[] { new string('a', stringLength), @"é\n\""\ud83d\ude00" + new string('z', stringLength / 2), "" };
        var expected = new[] { strings[0], "é\n\"\U0001F600" + new string('z', stringLength / 2), "" };
        var json = $"{{\"inputs\":[{{\"name\":\"BYTES\",\"shape\":[1,3],\"datatype\":\"BYTES\",\"data\":[\"{strings[0]}\",\"{strings[1]}\",\"{strings[2]}\"]}}]}}";
        var response = await PostOk("/v2/models/echo/infer", json);
        Assert.Equal(expected, response.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetString()));

        var serialized = expected.SelectMany(v => BitConverter.GetBytes((uint)Encoding.UTF8.GetByteCount(v)).Concat(Encoding.UTF8.GetBytes(v))).ToArray();
        var header = Encoding.UTF8.GetBytes($"{{\"parameters\":{{\"binary_data_output\":true}},\"inputs\":[{{\"name\":\"BYTES\",\"shape\":[1,3],\"datatype\":\"BYTES\",\"parameters\":{{\"binary_data_size\":{serialized.Length}}}}}]}}");
        var content = new ByteArrayContent([.. header, .. serialized]);
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var binary = await _server.Http.PostAsync("/v2/models/echo/infer", content);
        var body = await binary.Content.ReadAsByteArrayAsync();
        Assert.True(binary.StatusCode == HttpStatusCode.OK, Encoding.UTF8.GetString(body));
        var jsonLength = int.Parse(binary.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(serialized, body.AsSpan(jsonLength).ToArray());
    }

    [Fact]
    public async Task Requested_outputs_limit_the_response()
    {
        var json = """
            {"inputs":[{"name":"INT32","shape":[1,3],"datatype":"INT32","data":[1,2,3]},
                       {"name":"FP32","shape":[1,3],"datatype":"FP32","data":[[1,2,3]]}],
             "outputs":[{"name":"OUT_FP32"}]}
            """;
        var response = await PostOk("/v2/models/echo/infer", json);
        Assert.Equal(["OUT_FP32"], response.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Binary_tensor_extension_round_trips_inputs_and_outputs()
    {
        // FP32 and BYTES in binary, INT32 in JSON; FP32 out binary (request default), INT32 out JSON (per-output override).
        var fp32 = new float[] { 1.5f, -2f, 1e-3f };
        var fp32Bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(fp32.AsSpan()).ToArray();
        var strings = new[] { "x", "yz", "" };
        var bytesData = strings.SelectMany(s => BitConverter.GetBytes((uint)Encoding.UTF8.GetByteCount(s)).Concat(Encoding.UTF8.GetBytes(s))).ToArray();
        var header = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            parameters = new { binary_data_output = true },
            inputs = new object[]
            {
                new { name = "FP32", shape = new[] { 1, 3 }, datatype = "FP32", parameters = new { binary_data_size = fp32Bytes.Length } },
                new { name = "INT32", shape = new[] { 1, 3 }, datatype = "INT32", data = new[] { 4, 5, 6 } },
                new { name = "BYTES", shape = new[] { 1, 3 }, datatype = "BYTES", parameters = new { binary_data_size = bytesData.Length } },
            },
            outputs = new object[]
            {
                new { name = "OUT_FP32" },
                new { name = "OUT_INT32", parameters = new { binary_data = false } },
                new { name = "OUT_BYTES" },
            },
        }));
        var content = new ByteArrayContent([.. header, .. fp32Bytes, .. bytesData]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var response = await _server.Http.PostAsync("/v2/models/echo/infer", content);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, Encoding.UTF8.GetString(body));
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        var jsonLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var json = JsonDocument.Parse(body.AsMemory(0, jsonLength)).RootElement;
        var outputs = json.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!);

        Assert.Equal([4, 5, 6], outputs["OUT_INT32"].GetProperty("data").EnumerateArray().Select(e => e.GetInt32()));
        var offset = jsonLength;
        var fp32Size = outputs["OUT_FP32"].GetProperty("parameters").GetProperty("binary_data_size").GetInt32();
        Assert.Equal(fp32Bytes, body.AsSpan(offset, fp32Size).ToArray());
        offset += fp32Size;
        var bytesSize = outputs["OUT_BYTES"].GetProperty("parameters").GetProperty("binary_data_size").GetInt32();
        Assert.Equal(bytesData, body.AsSpan(offset, bytesSize).ToArray());
        Assert.Equal(body.Length, offset + bytesSize);
        Assert.False(outputs["OUT_FP32"].TryGetProperty("data", out _));
    }

    [Fact]
    public async Task Binary_sequence_steps_match_json_steps()
    {
        var id = new SequenceId(9001);
        var expected = await Accumulate.ReferenceAsync(new AccumulatorTestModel(), id, 2);
        for (var step = 0; step < 2; step++)
        {
            var input = Accumulate.Input(9001, step);
            var raw = System.Runtime.InteropServices.MemoryMarshal.AsBytes(input.AsSpan()).ToArray();
            var header = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
            {
                parameters = new { sequence_id = 9001, sequence_start = step == 0, sequence_end = step == 1, binary_data_output = true },
                inputs = new[] { new { name = "Input", shape = Accumulate.Shape, datatype = "FP32", parameters = new { binary_data_size = raw.Length } } },
            }));
            var content = new ByteArrayContent([.. header, .. raw]);
            content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var response = await _server.Http.PostAsync("/v2/models/accumulate/infer", content);
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var jsonLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
            var output = new float[20];
            for (var i = 0; i < 20; i++) output[i] = BinaryPrimitives.ReadSingleLittleEndian(body.AsSpan(jsonLength + i * 4));
            Assert.Equal(expected[step], output);
        }
    }
}
