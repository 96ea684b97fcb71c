using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using OvStateful.Server.Tests.Infrastructure;
using OvStateful.Testing;

namespace OvStateful.Cluster.Tests;

/// <summary>
/// A test that needs Triton's Python client against real nodes: redis-server, Debian's python3
/// with grpcio and numpy, and ../shared/triton's tritonclient wheel; skipped with the reason elsewhere.
/// </summary>
public sealed class TritonClusterFactAttribute : FactAttribute
{
    public TritonClusterFactAttribute(string? needs = null)
    {
        if (new RedisFactAttribute().Skip is { } noRedis) { Skip = noRedis; return; }
        if (!File.Exists(TritonClusterFixture.Wheel)) { Skip = $"Triton's client wheel is not at {TritonClusterFixture.Wheel}"; return; }
        if (!File.Exists(PythonScript.Python)) { Skip = $"{PythonScript.Python} is not installed"; return; }
        if (!PythonScript.CanImport("grpc, numpy, rapidjson, geventhttpclient")) { Skip = "python3 lacks grpc, numpy, rapidjson or geventhttpclient (apt-get install python3-grpcio python3-numpy python3-rapidjson python3-geventhttpclient; .ci/run does)"; return; }
        if (needs is not null && Environment.GetEnvironmentVariable(needs) is not { Length: > 0 })
            Skip = needs == TritonClusterFixture.ExamplesVariable
                ? $"{needs} is not set: point it at triton-inference-server/client's src/python/examples (r24.10) to run Triton's sequence example programs against the cluster"
                : $"{needs} is not set: point it at a triton-inference-server/stateful_backend checkout (client/ and models/) to run its client against the cluster";
    }
}

/// <summary>
/// Redis and three real <c>ovs serve --cluster redis:// --cluster-persist</c> processes serving
/// the Triton example models (tests' TritonExamples), the stateful backend's accumulate models
/// (../shared/conformance, unchanged) and, where OVS_TRITON_STATEFUL_BACKEND names a checkout,
/// its mixed_io models. Started once for the class; every node is killed at the end.
/// </summary>
public sealed class TritonClusterFixture : IAsyncLifetime
{
    public const string ExamplesVariable = "OVS_TRITON_EXAMPLES";
    public const string StatefulBackendVariable = "OVS_TRITON_STATEFUL_BACKEND";
    public static string Wheel => Path.GetFullPath(Path.Combine(TestPaths.RepoRoot, "..", "shared", "triton", "tritonclient-2.51.0-py3-none-manylinux1_x86_64.whl"));
    private static readonly string[] s_examples = ["simple_sequence", "simple_dyna_sequence", "simple_string_dyna_sequence"];

    private NodeProcess? _redis;
    private string _repository = "";
    internal NodeProcess[] Nodes { get; } = new NodeProcess[3];
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        if (new TritonClusterFactAttribute().Skip is not null) return;
        _repository = Directory.CreateTempSubdirectory("ovs-triton-cluster-").FullName;
        var examples = Path.Combine(TestPaths.RepoRoot, "tests", "OvStateful.Server.Tests", "TritonExamples");
        foreach (var m in s_examples) ClusterFixture.CopyModel(Path.Combine(examples, m), Path.Combine(_repository, m));
        foreach (var m in new[] { "accumulate_fp32", "accumulate_int32" }) ClusterFixture.CopyModel(Path.Combine(TestPaths.Conformance, m), Path.Combine(_repository, m));
        if (Environment.GetEnvironmentVariable(StatefulBackendVariable) is { Length: > 0 } backend)
            foreach (var m in new[] { "mixed_io_int32_fp16", "mixed_io_bool_int8" }) ClusterFixture.CopyModel(Path.Combine(backend, "models", m), Path.Combine(_repository, m));
        var redisPort = ClusterFixture.FreePort();
        _redis = await NodeProcess.StartRedisAsync(redisPort);
        await Task.WhenAll(Enumerable.Range(0, 3).Select(async i =>
            Nodes[i] = await NodeProcess.StartNodeAsync($"n{i}", _repository, redisPort, ClusterFixture.FreePort(), persist: true)));
        // Placement reads the board: wait until every node has seen the other two.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await Task.WhenAll(Nodes.Select(n => NodeCountAsync(n)))).Any(c => c < 3) && DateTime.UtcNow < deadline) await Task.Delay(200);
    }

    /// <summary>Steps that arrived at <paramref name="node"/>'s fronts and ran on another node (GET /v2/cluster).</summary>
    internal async Task<long> ForwardedAsync(NodeProcess node)
    {
        var status = await _http.GetFromJsonAsync<JsonElement>(node.Http + "/v2/cluster");
        return status.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("name").GetString() == node.Name).GetProperty("forwarded").GetInt64();
    }

    private async Task<int> NodeCountAsync(NodeProcess node) =>
        (await _http.GetFromJsonAsync<JsonElement>(node.Http + "/v2/cluster")).GetProperty("nodes").GetArrayLength();

    /// <summary>
    /// Runs a Python program of Triton's with tritonclient loaded from the wheel (Debian's
    /// python3 has no pip package), as __main__ with <paramref name="args"/>, unchanged.
    /// </summary>
    public static async Task<(int Code, string Output)> RunTritonProgramAsync(string program, params string[] args)
    {
        const string Runner = "import runpy, sys; sys.path.insert(0, sys.argv[1]); import tritonclient_loader; tritonclient_loader.load(sys.argv[2]); import tritonclient.http; sys.argv = sys.argv[3:]; runpy.run_path(sys.argv[0], run_name='__main__')";
        var (code, stdout, stderr) = await PythonScript.RunAsync(["-c", Runner, Path.Combine(AppContext.BaseDirectory, "Interop"), Wheel, program, .. args], TimeSpan.FromMinutes(2));
        return (code, stdout + "\n" + stderr);
    }

    public Task DisposeAsync()
    {
        foreach (var n in Nodes) n?.Dispose();
        _redis?.Dispose();
        _http.Dispose();
        if (_repository.Length > 0) try { Directory.Delete(_repository, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }
}
