using System.Net;
using System.Text.RegularExpressions;
using OvStateful.Core.Sequences;
using OvStateful.Server.Tests.Infrastructure;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>GET /metrics on the metrics port: Prometheus text with Triton's names and ours.</summary>
public sealed partial class MetricsTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [GeneratedRegex("""^([a-z_]+)\{model="([^"]*)",version="([^"]*)"\} (-?[0-9.eE+]+)$""")]
    private static partial Regex Sample();

    [Fact]
    public async Task Metrics_text_parses_and_counts_inferences()
    {
        var id = new SequenceId(3);
        await _server.Grpc.UnaryAsync("ModelInfer", Accumulate.Grpc("accumulate", id, true, false, Accumulate.Input(3, 0)), Proto.ModelInferResponse.Parser);
        await _server.Grpc.UnaryAsync("ModelInfer", Accumulate.Grpc("accumulate", id, false, false, Accumulate.Input(3, 1)), Proto.ModelInferResponse.Parser);

        using var response = await _server.Metrics.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();

        var help = new HashSet<string>();
        var types = new Dictionary<string, string>();
        var samples = new Dictionary<(string Name, string Model), double>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal)) help.Add(line.Split(' ')[2]);
            else if (line.StartsWith("# TYPE ", StringComparison.Ordinal)) types[line.Split(' ')[2]] = line.Split(' ')[3];
            else
            {
                var m = Sample().Match(line);
                Assert.True(m.Success, $"not a Prometheus sample line: {line}");
                Assert.Contains(m.Groups[1].Value, types.Keys);
                samples[(m.Groups[1].Value, m.Groups[2].Value)] = double.Parse(m.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        string[] triton = ["nv_inference_request_success", "nv_inference_request_failure", "nv_inference_count", "nv_inference_exec_count",
            "nv_inference_request_duration_us", "nv_inference_queue_duration_us", "nv_inference_compute_input_duration_us",
            "nv_inference_compute_infer_duration_us", "nv_inference_compute_output_duration_us"];
        string[] ours = ["ovs_sequences_active", "ovs_sequences_backlogged", "ovs_sequences_spilled", "ovs_spilled_bytes", "ovs_slots_total", "ovs_slots_in_use"];
        foreach (var name in triton) Assert.Equal("counter", types[name]);
        foreach (var name in ours) Assert.Equal("gauge", types[name]);
        string[] ourCounters = ["ovs_spills_total", "ovs_restores_total", "ovs_sequences_expired_total", "ovs_requests_cancelled_total"];
        foreach (var name in ourCounters) Assert.Equal("counter", types[name]);
        Assert.Equal("gauge", types["ovs_slot_utilization"]);
        Assert.Equal(types.Keys.Order(), help.Order());

        Assert.Equal(2, samples[("nv_inference_request_success", "accumulate")]);
        Assert.Equal(2, samples[("nv_inference_count", "accumulate")]);
        Assert.Equal(1, samples[("ovs_sequences_active", "accumulate")]);
        Assert.Equal(1280, samples[("ovs_slots_total", "accumulate")]);
        Assert.Equal(0, samples[("nv_inference_count", "echo")]);

        Assert.Equal(HttpStatusCode.NotFound, (await _server.Metrics.GetAsync("/v2/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/metrics")).StatusCode);
    }
}
