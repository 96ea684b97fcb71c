using System.Net;
using System.Text.Json;
using OvStateful.Server.Tests.Infrastructure;

namespace OvStateful.Server.Tests;

/// <summary>KServe v2 REST endpoints other than infer, through real Kestrel and HttpClient.</summary>
public sealed class HttpEndpointTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonElement Body)> GetJson(string path, HttpMethod? method = null, string? body = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        if (body is not null) request.Content = Accumulate.JsonContent(body);
        using var response = await _server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Health_and_server_metadata()
    {
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/v2/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/v2/health/ready")).StatusCode);
        var (status, meta) = await GetJson("/v2");
        Assert.Equal(HttpStatusCode.OK, status);
        // Triton's name by default: Triton's own clients check it (ServerOptions.ServerName).
        Assert.Equal("triton", meta.GetProperty("name").GetString());
        var extensions = meta.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("binary_tensor_data", extensions);
        Assert.Contains("statistics", extensions);
        Assert.Contains("model_repository", extensions);
        Assert.Contains("ovs_sequence_id", extensions);
    }

    [Theory]
    [InlineData("/v2/models/accumulate")]
    [InlineData("/v2/models/accumulate/versions/1")]
    public async Task Model_metadata_lists_client_tensors_with_batch_dimension(string path)
    {
        var (status, meta) = await GetJson(path);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("accumulate", meta.GetProperty("name").GetString());
        Assert.Equal(["1"], meta.GetProperty("versions").EnumerateArray().Select(e => e.GetString()));
        var input = meta.GetProperty("inputs")[0];
        Assert.Equal("Input", input.GetProperty("name").GetString());
        Assert.Equal("FP32", input.GetProperty("datatype").GetString());
        Assert.Equal([-1L, 4, -1, 5], input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal("Output", meta.GetProperty("outputs")[0].GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("/v2/models/accumulate/ready", HttpStatusCode.OK)]
    [InlineData("/v2/models/accumulate/versions/1/ready", HttpStatusCode.OK)]
    [InlineData("/v2/models/accumulate/versions/2/ready", HttpStatusCode.NotFound)]
    [InlineData("/v2/models/nope/ready", HttpStatusCode.NotFound)]
    public async Task Model_ready(string path, HttpStatusCode expected)
    {
        Assert.Equal(expected, (await _server.Http.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task Model_config_prints_triton_field_names_and_numbers()
    {
        var (status, config) = await GetJson("/v2/models/accumulate/config");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("accumulate", config.GetProperty("name").GetString());
        Assert.Equal(16, config.GetProperty("max_batch_size").GetInt32());
        Assert.Equal("stateful", config.GetProperty("backend").GetString());
        var input = config.GetProperty("input")[0];
        Assert.Equal("TYPE_FP32", input.GetProperty("data_type").GetString());
        Assert.Equal(JsonValueKind.Number, input.GetProperty("dims")[0].ValueKind);
        Assert.Equal([4L, -1, 5], input.GetProperty("dims").EnumerateArray().Select(e => e.GetInt64()));
        var sb = config.GetProperty("sequence_batching");
        Assert.Equal(100_000_000UL, sb.GetProperty("max_sequence_idle_microseconds").GetUInt64());
        Assert.Equal(1280, sb.GetProperty("oldest").GetProperty("max_candidate_sequences").GetInt32());
        var controls = sb.GetProperty("control_input");
        Assert.Equal("ResetSequence", controls[0].GetProperty("name").GetString());
        Assert.Equal("CONTROL_SEQUENCE_START", controls[0].GetProperty("control")[0].GetProperty("kind").GetString());
        Assert.Equal([0, 1], controls[0].GetProperty("control")[0].GetProperty("int32_false_true").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("TYPE_UINT64", controls[2].GetProperty("control")[0].GetProperty("data_type").GetString());
        Assert.Equal("<<<Accumulate_In, Accumulate_Out>>>", config.GetProperty("parameters").GetProperty("state_pairs").GetProperty("string_value").GetString());
        Assert.Equal("KIND_GPU", config.GetProperty("instance_group")[0].GetProperty("kind").GetString());
        Assert.False(config.TryGetProperty("dynamic_batching", out _));
    }

    [Fact]
    public async Task Repository_index_unload_and_load()
    {
        var (status, index) = await GetJson("/v2/repository/index", HttpMethod.Post);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["accumulate", "accumulate_str", "echo"], index.EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        Assert.All(index.EnumerateArray(), e => Assert.Equal("READY", e.GetProperty("state").GetString()));

        Assert.Equal(HttpStatusCode.OK, (await _server.Http.PostAsync("/v2/repository/models/echo/unload", null)).StatusCode);
        (_, index) = await GetJson("/v2/repository/index", HttpMethod.Post);
        Assert.Equal("UNAVAILABLE", index.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "echo").GetProperty("state").GetString());
        (_, index) = await GetJson("/v2/repository/index", HttpMethod.Post, "{\"ready\": true}");
        Assert.Equal(2, index.GetArrayLength());
        // As Triton: a model unloaded on request leaves the server ready.
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/v2/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _server.Http.GetAsync("/v2/models/echo/ready")).StatusCode);
        // Triton: NOT_FOUND, "Request for unknown model: 'echo' has no available versions".
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/v2/models/echo/config")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await _server.Http.PostAsync("/v2/repository/models/echo/load", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/v2/models/echo/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/v2/health/ready")).StatusCode);

        var (loadStatus, error) = await GetJson("/v2/repository/models/nope/load", HttpMethod.Post);
        Assert.Equal(HttpStatusCode.NotFound, loadStatus);
        Assert.Contains("nope", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Statistics_use_triton_field_names()
    {
        var id = new Core.Sequences.SequenceId(7);
        using var infer = await _server.Http.PostAsync("/v2/models/accumulate/infer", Accumulate.JsonContent(Accumulate.Json(id, true, true, Accumulate.Input(7, 0))));
        Assert.Equal(HttpStatusCode.OK, infer.StatusCode);

        var (status, all) = await GetJson("/v2/models/stats");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(3, all.GetProperty("model_stats").GetArrayLength());

        foreach (var path in new[] { "/v2/models/accumulate/stats", "/v2/models/accumulate/versions/1/stats" })
        {
            var (s, one) = await GetJson(path);
            Assert.Equal(HttpStatusCode.OK, s);
            var m = one.GetProperty("model_stats")[0];
            Assert.Equal("accumulate", m.GetProperty("name").GetString());
            Assert.Equal("1", m.GetProperty("version").GetString());
            Assert.True(m.GetProperty("inference_count").GetUInt64() >= 1);
            Assert.True(m.GetProperty("execution_count").GetUInt64() >= 1);
            Assert.True(m.GetProperty("last_inference").GetUInt64() > 0);
            var stats = m.GetProperty("inference_stats");
            foreach (var key in new[] { "success", "fail", "queue", "compute_input", "compute_infer", "compute_output" })
            {
                Assert.True(stats.GetProperty(key).TryGetProperty("count", out _), key);
                Assert.True(stats.GetProperty(key).TryGetProperty("ns", out _), key);
            }
            Assert.True(stats.GetProperty("success").GetProperty("count").GetUInt64() >= 1);
            var batch = m.GetProperty("batch_stats")[0];
            Assert.Equal(1, batch.GetProperty("batch_size").GetInt32());
            Assert.Equal(20UL, batch.GetProperty("compute_infer").GetProperty("ns").GetUInt64());
        }

        Assert.Equal(HttpStatusCode.NotFound, (await GetJson("/v2/models/nope/stats")).Status);
    }

    [Fact]
    public async Task Unknown_route_is_404_json()
    {
        var (status, body) = await GetJson("/v2/nothing/here");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("/v2/nothing/here", body.GetProperty("error").GetString());
    }
}
