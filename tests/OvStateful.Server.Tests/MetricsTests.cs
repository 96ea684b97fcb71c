using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
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

    [GeneratedRegex("""^([a-z_]+)(?:\{model="([^"]*)",version="([^"]*)"(?:,quantile="([0-9.]+)")?\})? (-?[0-9.eE+]+)$""")]
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
                samples[(m.Groups[1].Value, m.Groups[2].Value)] = double.Parse(m.Groups[5].Value, System.Globalization.CultureInfo.InvariantCulture);
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
        Assert.Equal("gauge", types["nv_inference_pending_request_count"]);
        Assert.Equal(0, samples[("nv_inference_pending_request_count", "accumulate")]);
        Assert.DoesNotContain("_summary_us", text); // summary_latencies is off by default, as in Triton
        if (OperatingSystem.IsLinux())
        {
            Assert.InRange(samples[("nv_cpu_utilization", "")], 0, 1);
            Assert.InRange(samples[("nv_cpu_memory_used_bytes", "")], 1, samples[("nv_cpu_memory_total_bytes", "")]);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await _server.Metrics.GetAsync("/v2/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/metrics")).StatusCode);
    }

    /// <summary>
    /// Triton's --metrics-config summary_latencies=true, counter_latencies=false on a real model:
    /// the summaries count every request and give ordered quantiles; the duration counters are gone.
    /// </summary>
    [OrtFact]
    public async Task Summary_latencies_replace_the_counters_when_configured()
    {
        await using var registry = new ModelRegistry(Path.Combine(TestPaths.RepoRoot, "tests", "OvStateful.Server.Tests", "TritonExamples"), [new OnnxRuntimeEngineProvider()]);
        await registry.LoadAsync("simple", CancellationToken.None);
        await using var server = await TestServer.StartAsync(registry, o => { o.SummaryLatencies = true; o.CounterLatencies = false; });
        var data = Enumerable.Range(0, 16).ToArray();
        var body = new
        {
            inputs = new[]
            {
                new { name = "INPUT0", shape = new[] { 1, 16 }, datatype = "INT32", data },
                new { name = "INPUT1", shape = new[] { 1, 16 }, datatype = "INT32", data },
            },
        };
        for (var i = 0; i < 5; i++) (await server.Http.PostAsJsonAsync("/v2/models/simple/infer", body)).EnsureSuccessStatusCode();

        var text = await server.Metrics.GetStringAsync("/metrics");
        Assert.DoesNotContain("nv_inference_request_duration_us", text);
        Assert.Contains("# TYPE nv_inference_request_summary_us summary\n", text);
        Assert.Contains("nv_inference_request_summary_us_count{model=\"simple\",version=\"1\"} 5\n", text);
        foreach (var family in new[] { "request", "queue", "compute_input", "compute_infer", "compute_output" })
        {
            var quantiles = Regex.Matches(text, $"^nv_inference_{family}_summary_us\\{{model=\"simple\",version=\"1\",quantile=\"([0-9.]+)\"\\}} ([0-9.eE+]+)$", RegexOptions.Multiline)
                .Select(m => (Q: m.Groups[1].Value, V: double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).ToList();
            Assert.Equal(["0.5", "0.9", "0.95", "0.99", "0.999"], quantiles.Select(q => q.Q));
            Assert.Equal(quantiles.Select(q => q.V).Order(), quantiles.Select(q => q.V));
        }
        Assert.Contains("nv_inference_pending_request_count{model=\"simple\",version=\"1\"} 0\n", text);
    }
}
