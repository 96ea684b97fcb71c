using System.Net;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using OvStateful.Core.Sequences;
using OvStateful.Server.Tests.Infrastructure;
using OvStateful.Server.Tests.TestDoubles;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>
/// Every kind of bad request fails alone with its HTTP status / gRPC status and a message
/// naming the field, while a live sequence on the same server goes on untouched.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(configure: o => o.MaxRequestBodyBytes = 64 * 1024);
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string Body(string inputJson, string? parameters = "{\"sequence_id\": 5, \"sequence_start\": true}") =>
        parameters is null ? $"{{\"inputs\":[{inputJson}]}}" : $"{{\"parameters\":{parameters},\"inputs\":[{inputJson}]}}";

    private static string Floats(int n) => "[" + string.Join(",", Enumerable.Range(0, n)) + "]";

    public static TheoryData<string, string, HttpStatusCode, string> HttpCases => new()
    {
        { "accumulate", "{not json", HttpStatusCode.BadRequest, "not valid JSON" },
        { "accumulate", "[1,2]", HttpStatusCode.BadRequest, "JSON object" },
        { "accumulate", Body($"{{\"name\":\"Input\",\"shape\":[1,4,1,5],\"datatype\":\"FP64\",\"data\":{Floats(20)}}}"), HttpStatusCode.BadRequest, "input 'Input' has datatype FP64; model 'accumulate' expects FP32" },
        { "accumulate", Body($"{{\"name\":\"Input\",\"shape\":[1,20],\"datatype\":\"FP32\",\"data\":{Floats(20)}}}"), HttpStatusCode.BadRequest, "input 'Input' has shape [1, 20]; model 'accumulate' expects [1, 4, 1, 5]" },
        { "accumulate", Body($"{{\"name\":\"Input\",\"shape\":[1,4,1,5],\"datatype\":\"FP32\",\"data\":{Floats(19)}}}"), HttpStatusCode.BadRequest, "input 'Input' has 19 values in 'data'; shape [1, 4, 1, 5] needs 20" },
        { "accumulate", Body($"{{\"name\":\"Input\",\"shape\":[1,4,1,5],\"datatype\":\"FLOAT\",\"data\":{Floats(20)}}}"), HttpStatusCode.BadRequest, "input 'Input' has datatype 'FLOAT'" },
        { "accumulate", Body($"{{\"name\":\"Foo\",\"shape\":[1,4,1,5],\"datatype\":\"FP32\",\"data\":{Floats(20)}}}"), HttpStatusCode.BadRequest, "unexpected input 'Foo'" },
        { "accumulate", Body($"{{\"name\":\"Input\",\"shape\":[1,4,1,5],\"datatype\":\"FP32\",\"data\":{Floats(20)}}}", null), HttpStatusCode.BadRequest, "parameter 'sequence_id' is required" },
        { "accumulate", Body($"{{\"name\":\"Input\",\"shape\":[1,4,1,5],\"datatype\":\"FP32\",\"data\":{Floats(20)}}}", "{\"sequence_id\": 777}"), HttpStatusCode.BadRequest, "sequence 777 of model 'accumulate' is not live" },
        { "accumulate", Body($"{{\"name\":\"Input\",\"shape\":[1,4,1,5],\"datatype\":\"FP32\",\"data\":{Floats(20)}}}", "{\"sequence_id\": \"abc\", \"sequence_start\": true}"), HttpStatusCode.BadRequest, "must be an unsigned 64-bit number" },
        { "accumulate", Body($"{{\"name\":\"Input\",\"shape\":[1,4,1,5],\"datatype\":\"FP32\",\"data\":{Floats(20)}}}", "{\"sequence_id\": -3}"), HttpStatusCode.BadRequest, "parameter 'sequence_id' is -3" },
        { "accumulate", Body($"{{\"name\":\"Input\",\"shape\":[1,4,1,5],\"datatype\":\"FP32\",\"data\":{Floats(20)}}}", "{\"sequence_id\": 5, \"sequence_start\": \"yes\"}"), HttpStatusCode.BadRequest, "'sequence_start' is \"yes\"; expected true or false" },
        { "echo", Body("{\"name\":\"UINT8\",\"shape\":[1,3],\"datatype\":\"UINT8\",\"data\":[1,2,300]}", null), HttpStatusCode.BadRequest, "input 'UINT8' value 2 is 300" },
        { "echo", Body("{\"name\":\"BOOL\",\"shape\":[1,3],\"datatype\":\"BOOL\",\"data\":[1,0,1]}", null), HttpStatusCode.BadRequest, "BOOL data must be true or false" },
        { "echo", Body("{\"name\":\"INT32\",\"shape\":[1,3],\"datatype\":\"INT32\",\"data\":[1,2,3]}", null).Replace("]}", "],\"outputs\":[{\"name\":\"NOPE\"}]}"), HttpStatusCode.BadRequest, "unknown output 'NOPE'" },
        { "echo", Body("{\"name\":\"INT32\",\"shape\":[1,3],\"datatype\":\"INT32\",\"parameters\":{\"shared_memory_region\":\"r0\"}}", null), HttpStatusCode.NotFound, "Unable to find shared memory region: 'r0'" },
        { "nope", Body("{\"name\":\"X\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}", null), HttpStatusCode.NotFound, "Request for unknown model: 'nope' is not found" },
        { "accumulate/versions/3", Body($"{{\"name\":\"Input\",\"shape\":[1,4,1,5],\"datatype\":\"FP32\",\"data\":{Floats(20)}}}"), HttpStatusCode.NotFound, "Request for unknown model: 'accumulate' version 3 is not found" },
    };

    [Theory]
    [MemberData(nameof(HttpCases))]
    public async Task Http_bad_input_gets_its_status_and_message(string model, string body, HttpStatusCode status, string fragment)
    {
        var (id, expected) = await StartLiveSequence(11);
        using var response = await _server.Http.PostAsync($"/v2/models/{model}/infer", Accumulate.JsonContent(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(status, response.StatusCode);
        Assert.Contains(fragment, JsonDocument.Parse(text).RootElement.GetProperty("error").GetString());
        await AssertSequenceContinues(id, expected);
    }

    [Fact]
    public async Task Http_binary_size_mismatch_and_oversized_body()
    {
        var header = Encoding.UTF8.GetBytes("{\"inputs\":[{\"name\":\"FP32\",\"shape\":[1,3],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":8}}]}");
        var content = new ByteArrayContent([.. header, .. new byte[8]]);
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await _server.Http.PostAsync("/v2/models/echo/infer", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("input byte size mismatch for input 'FP32': its binary data holds 8 bytes; shape [1, 3] of FP32 needs 12", await response.Content.ReadAsStringAsync());

        var trailing = new ByteArrayContent([.. header, .. new byte[16]]);
        trailing.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var extra = await _server.Http.PostAsync("/v2/models/echo/infer", trailing);
        Assert.Equal(HttpStatusCode.BadRequest, extra.StatusCode);

        // Expect: 100-continue lets the client hear the early 413 instead of writing into a closed connection.
        using var bigRequest = new HttpRequestMessage(HttpMethod.Post, "/v2/models/echo/infer") { Content = new ByteArrayContent(new byte[100 * 1024]) };
        bigRequest.Headers.ExpectContinue = true;
        using var big = await _server.Http.SendAsync(bigRequest);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        Assert.Contains("MaxRequestBodyBytes", await big.Content.ReadAsStringAsync());

        // Chunked (no Content-Length): the limit still holds while reading.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/v2/models/echo/infer") { Content = new StreamContent(new MemoryStream(new byte[100 * 1024])) };
        chunked.Headers.TransferEncodingChunked = true;
        chunked.Headers.ExpectContinue = true;
        using var chunkedResponse = await _server.Http.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunkedResponse.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/v2/health/live")).StatusCode);
    }

    private static Proto.ModelInferRequest Good(SequenceId id, bool start = true) =>
        Accumulate.Grpc("accumulate", id, start, false, Accumulate.Input(1, 0));

    public static TheoryData<string, int, string> GrpcCases => new()
    {
        { "datatype", 3, "input 'Input' has datatype FP64; model 'accumulate' expects FP32" },
        { "shape", 3, "input 'Input' has shape [1, 20]; model 'accumulate' expects [1, 4, 1, 5]" },
        { "raw size", 3, "input byte size mismatch for input 'Input': raw_input_contents holds 76 bytes; shape [1, 4, 1, 5] of FP32 needs 80" },
        { "raw count", 3, "raw_input_contents has 2 entries for 1 inputs" },
        { "typed count", 3, "input 'Input' has 3 values in contents.fp32_contents; shape [1, 4, 1, 5] of FP32 needs 20" },
        { "no data", 3, "input 'Input' for model 'accumulate' has no data" },
        { "no sequence id", 3, "parameter 'sequence_id' is required" },
        { "unknown sequence", 3, "sequence 778 of model 'accumulate' is not live" },
        { "sequence id type", 3, "parameter 'sequence_id' is a BoolParam" },
        { "shared memory", 5, "Unable to find shared memory region: 'r0'" },
        { "version string", 3, "failed to get model version from specified version string 'abc'" },
        { "contents and raw", 3, "contents field must not be specified when using raw_input_contents for 'Input' for model 'accumulate'" },
        { "unknown model", 5, "Request for unknown model: 'nope' is not found" },
        { "unknown version", 5, "Request for unknown model: 'accumulate' version 3 is not found" },
    };

    [Theory]
    [MemberData(nameof(GrpcCases))]
    public async Task Grpc_bad_input_gets_its_status_and_message(string kind, int status, string fragment)
    {
        var (id, expected) = await StartLiveSequence(12);
        var r = Good(new SequenceId(5));
        switch (kind)
        {
            case "datatype": r.Inputs[0].Datatype = "FP64"; r.RawInputContents[0] = ByteString.CopyFrom(new byte[160]); break;
            case "shape": r.Inputs[0].Shape.Clear(); r.Inputs[0].Shape.Add([1, 20]); break;
            case "raw size": r.RawInputContents[0] = ByteString.CopyFrom(new byte[76]); break;
            case "raw count": r.RawInputContents.Add(ByteString.CopyFrom(new byte[80])); break;
            case "typed count":
                r.RawInputContents.Clear();
                r.Inputs[0].Contents = new Proto.InferTensorContents();
                r.Inputs[0].Contents.Fp32Contents.Add([1f, 2f, 3f]);
                break;
            case "no data": r.RawInputContents.Clear(); break;
            case "no sequence id": r.Parameters.Remove("sequence_id"); break;
            case "unknown sequence": r = Good(new SequenceId(778), start: false); break;
            case "sequence id type": r.Parameters["sequence_id"] = new Proto.InferParameter { BoolParam = true }; break;
            case "shared memory":
                r.RawInputContents.Clear();
                r.Inputs[0].Parameters["shared_memory_region"] = new Proto.InferParameter { StringParam = "r0" };
                break;
            case "unknown model": r.ModelName = "nope"; break;
            case "unknown version": r.ModelVersion = "3"; break;
            case "version string": r.ModelVersion = "abc"; break;
            case "contents and raw":
                r.Inputs[0].Contents = new Proto.InferTensorContents();
                r.Inputs[0].Contents.Fp32Contents.Add(new float[20]);
                break;
        }
        var result = await _server.Grpc.UnaryAsync("ModelInfer", r, Proto.ModelInferResponse.Parser);
        Assert.Equal(status, result.Status);
        Assert.Contains(fragment, result.Message);
        Assert.Empty(result.Messages);
        await AssertSequenceContinues(id, expected);
    }

    [Fact]
    public async Task Grpc_protocol_errors()
    {
        var garbage = await _server.Grpc.CallRawAsync("inference.GRPCInferenceService/ModelInfer", [0xFF, 0xFF, 0xFF], Proto.ModelInferResponse.Parser);
        Assert.Equal(3, garbage.Status);
        Assert.Contains("malformed protobuf ModelInferRequest", garbage.Message);

        var unknown = await _server.Grpc.UnaryAsync("NoSuchMethod", new Proto.ServerLiveRequest(), Proto.ServerLiveResponse.Parser);
        Assert.Equal(12, unknown.Status);
        var unknownService = await _server.Grpc.UnaryAsync("ServerLive", new Proto.ServerLiveRequest(), Proto.ServerLiveResponse.Parser, service: "inference.NoSuchService");
        Assert.Equal(12, unknownService.Status);

        var big = new Proto.ModelInferRequest { ModelName = "echo" };
        big.RawInputContents.Add(ByteString.CopyFrom(new byte[100 * 1024]));
        var tooLarge = await _server.Grpc.UnaryAsync("ModelInfer", big, Proto.ModelInferResponse.Parser);
        Assert.Equal(8, tooLarge.Status);

        Assert.True((await _server.Grpc.UnaryAsync("ServerLive", new Proto.ServerLiveRequest(), Proto.ServerLiveResponse.Parser)).Single.Live);
    }

    /// <summary>Starts a sequence and returns what its second step must answer if nothing disturbed it.</summary>
    private async Task<(SequenceId Id, float[] Expected)> StartLiveSequence(ulong n)
    {
        var id = new SequenceId(n);
        var reference = await Accumulate.ReferenceAsync(new AccumulatorTestModel(), id, 2);
        var first = await _server.Grpc.UnaryAsync("ModelInfer", Accumulate.Grpc("accumulate", id, true, false, Accumulate.Input(n, 0)), Proto.ModelInferResponse.Parser);
        Assert.Equal(reference[0], Accumulate.Output(first.Single));
        return (id, reference[1]);
    }

    private async Task AssertSequenceContinues(SequenceId id, float[] expected)
    {
        var second = await _server.Grpc.UnaryAsync("ModelInfer", Accumulate.Grpc("accumulate", id, false, true, Accumulate.Input(id.Number, 1)), Proto.ModelInferResponse.Parser);
        Assert.Equal(expected, Accumulate.Output(second.Single));
    }
}
