using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
using OvStateful.Server.Tests.Infrastructure;

namespace OvStateful.Server.Tests;

/// <summary>
/// A fact that needs what Triton's Python client runs on here: Debian's python3 with grpcio,
/// numpy and rapidjson (tritonclient imports both), ../shared/triton's tritonclient wheel, and ONNX Runtime; skipped, with the reason, elsewhere.
/// </summary>
public sealed class TritonClientFactAttribute : FactAttribute
{
    public static string Wheel => Path.GetFullPath(Path.Combine(TestPaths.RepoRoot, "..", "shared", "triton", "tritonclient-2.51.0-py3-none-manylinux1_x86_64.whl"));

    public TritonClientFactAttribute()
    {
        if (new GrpcioFactAttribute().Skip is { } noGrpc) { Skip = noGrpc; return; }
        if (!File.Exists(Wheel)) { Skip = $"Triton's client wheel is not at {Wheel}"; return; }
        if (!PythonScript.CanImport("numpy, rapidjson")) { Skip = "python3 lacks numpy or rapidjson, which tritonclient imports (apt-get install python3-numpy python3-rapidjson; .ci/run does)"; return; }
        var ort = new OnnxRuntimeEngineProvider().Availability;
        if (!ort.IsAvailable) Skip = $"ONNX Runtime is not available here: {ort.Reason}";
    }
}

/// <summary>
/// Triton's own Python client (tritonclient.grpc 2.51, unchanged) streams sequences to the
/// server the way Triton's simple_grpc_sequence_stream_infer_client.py does: all steps of
/// several uint64- and string-id sequences sent back to back on one stream, results stored in
/// arrival order. The model is a real stateful ONNX model on the ORT engine behind the batcher.
/// </summary>
public sealed class TritonClientTests
{
    [TritonClientFact]
    public async Task Tritons_stream_sequence_client_gets_every_sequence_in_step_order()
    {
        await using var registry = new ModelRegistry(Path.Combine(TestPaths.RepoRoot, "tests", "OvStateful.Server.Tests", "TritonExamples"), [new OnnxRuntimeEngineProvider()]);
        await registry.LoadAllAsync();
        await using var server = await TestServer.StartAsync(registry);
        var script = Path.Combine(AppContext.BaseDirectory, "Interop", "triton_stream_sequences.py");
        // 20 rounds of 6 sequences x 12 steps, one stream a round.
        var (code, output, error) = await PythonScript.RunAsync(
            [script, TritonClientFactAttribute.Wheel, $"127.0.0.1:{server.Server.GrpcPort}", "20", "6", "12"], TimeSpan.FromMinutes(2));
        Assert.True(code == 0, $"{output}\n{error}");
        Assert.Contains("20 of 20 rounds passed", output);
    }
}
