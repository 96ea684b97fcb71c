using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
using OvStateful.Server.Tests.Infrastructure;

namespace OvStateful.Server.Tests;

/// <summary>
/// A theory that needs Triton's Python clients here: what <see cref="TritonClientFactAttribute"/>
/// needs, and for tritonclient.http Debian's geventhttpclient; skipped, with the reason, elsewhere.
/// </summary>
public sealed class TritonClientTheoryAttribute : TheoryAttribute
{
    public TritonClientTheoryAttribute()
    {
        if (new TritonClientFactAttribute().Skip is { } skip) { Skip = skip; return; }
        if (!PythonScript.CanImport("geventhttpclient")) Skip = "python3 has no geventhttpclient here (apt-get install python3-geventhttpclient for tritonclient.http)";
    }
}

/// <summary>Triton's example programs, where OVS_TRITON_EXAMPLES names their folder (they are not in this repository).</summary>
public sealed class TritonExamplesTheoryAttribute : TheoryAttribute
{
    public TritonExamplesTheoryAttribute()
    {
        if (new TritonClientTheoryAttribute().Skip is { } skip) Skip = skip;
        else if (Environment.GetEnvironmentVariable("OVS_TRITON_EXAMPLES") is not { Length: > 0 })
            Skip = "OVS_TRITON_EXAMPLES is not set: point it at triton-inference-server/client's src/python/examples (r24.10) to run Triton's example programs";
    }
}

/// <summary>
/// Triton's own clients, tritonclient.grpc and tritonclient.http 2.51 unchanged, make the calls
/// of Triton's example programs (Interop/triton_protocol_checks.py) against real ONNX models on
/// the ONNX Runtime engine (TritonExamples): strings in and out, system shared memory (register,
/// status, inputs and outputs in regions, Triton's errors, unregister), model control (config
/// override, bad config, unload, unknown model), typed contents and Triton's error phrases.
/// Each run gets its own server (the control checks unload and reload).
/// </summary>
public sealed class TritonProtocolTests
{
    private static string Examples => Path.Combine(TestPaths.RepoRoot, "tests", "OvStateful.Server.Tests", "TritonExamples");

    [TritonClientTheory]
    [InlineData("strings", "grpc")]
    [InlineData("strings", "http")]
    [InlineData("shm", "grpc")]
    [InlineData("shm", "http")]
    [InlineData("control", "grpc")]
    [InlineData("control", "http")]
    [InlineData("contents", "grpc")]
    public async Task Tritons_clients_get_tritons_answers(string check, string protocol)
    {
        await using var registry = new ModelRegistry(Examples, [new OnnxRuntimeEngineProvider()]);
        foreach (var model in new[] { "simple", "simple_string", "simple_identity" }) await registry.LoadAsync(model, CancellationToken.None);
        await using var server = await TestServer.StartAsync(registry);
        var port = protocol == "grpc" ? server.Server.GrpcPort : server.Server.HttpPort;
        var (code, output) = await RunPython(Path.Combine(AppContext.BaseDirectory, "Interop", "triton_protocol_checks.py"),
            [TritonClientFactAttribute.Wheel, check, protocol, $"127.0.0.1:{port}"]);
        Assert.True(code == 0, output);
        Assert.Contains($"PASS {check} {protocol}", output);
    }

    /// <summary>
    /// Triton's example programs themselves (triton-inference-server/client src/python/examples at
    /// r24.10, Triton 2.51), run unchanged where OVS_TRITON_EXAMPLES names their folder; they are not
    /// part of this repository. The two model-control programs count the repository's models
    /// (gRPC 8, HTTP 7): the HTTP one runs on the examples without our string_accumulate. The asyncio
    /// ones run too (tritonclient.http.aio needs Debian's python3-aiohttp). Not run: the CUDA
    /// shared-memory ones, and those for models outside this repository
    /// (image, ensemble, repeat_int32, memory_growth_test's fixed port).
    /// </summary>
    [TritonExamplesTheory]
    [InlineData("simple_grpc_health_metadata.py")]
    [InlineData("simple_http_health_metadata.py")]
    [InlineData("simple_grpc_string_infer_client.py")]
    [InlineData("simple_http_string_infer_client.py")]
    [InlineData("simple_grpc_shm_client.py")]
    [InlineData("simple_http_shm_client.py")]
    [InlineData("simple_grpc_shm_string_client.py")]
    [InlineData("simple_http_shm_string_client.py")]
    [InlineData("simple_grpc_model_control.py")]
    [InlineData("simple_http_model_control.py")]
    [InlineData("simple_grpc_sequence_sync_infer_client.py")]
    [InlineData("simple_grpc_sequence_sync_infer_client.py", "-d")]
    [InlineData("simple_http_sequence_sync_infer_client.py")]
    [InlineData("simple_http_sequence_sync_infer_client.py", "-d")]
    [InlineData("simple_grpc_sequence_stream_infer_client.py")]
    [InlineData("simple_grpc_sequence_stream_infer_client.py", "-d")]
    [InlineData("grpc_explicit_byte_content_client.py")]
    [InlineData("grpc_explicit_int_content_client.py")]
    [InlineData("grpc_explicit_int8_content_client.py")]
    [InlineData("simple_http_infer_client.py")]
    [InlineData("simple_grpc_infer_client.py")]
    [InlineData("simple_grpc_async_infer_client.py")]
    [InlineData("simple_grpc_aio_infer_client.py")]
    [InlineData("simple_grpc_aio_sequence_stream_infer_client.py")]
    [InlineData("simple_http_aio_infer_client.py")]
    [InlineData("simple_http_async_infer_client.py")]
    [InlineData("simple_grpc_custom_args_client.py")]
    [InlineData("simple_grpc_keepalive_client.py")]
    [InlineData("reuse_infer_objects_client.py", null, "http")]
    [InlineData("reuse_infer_objects_client.py", "-i grpc", "grpc")]
    public async Task Tritons_example_program_passes_unchanged(string program, string? flag = null, string? protocol = null)
    {
        var folder = Environment.GetEnvironmentVariable("OVS_TRITON_EXAMPLES")!;
        var repository = Examples;
        string? copy = null;
        if (program == "simple_http_model_control.py")
        {
            copy = Directory.CreateTempSubdirectory("ovs-examples-").FullName;
            foreach (var dir in Directory.GetDirectories(Examples).Where(d => Path.GetFileName(d) != "string_accumulate"))
            {
                foreach (var file in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
                {
                    var target = Path.Combine(copy, Path.GetRelativePath(Examples, file));
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.Copy(file, target);
                }
            }
            repository = copy;
        }
        try
        {
            await using var registry = new ModelRegistry(repository, [new OnnxRuntimeEngineProvider()]);
            await registry.LoadAllAsync();
            await using var server = await TestServer.StartAsync(registry);
            // The protocol is in the program's name, or given where one program speaks both (-i grpc).
            var port = (protocol ?? (program.Contains("http", StringComparison.Ordinal) ? "http" : "grpc")) == "http" ? server.Server.HttpPort : server.Server.GrpcPort;
            // The program runs as __main__ after tritonclient is loaded from the wheel (Debian's python3 has no pip package).
            const string Runner = "import runpy, sys; sys.path.insert(0, sys.argv[1]); import tritonclient_loader; tritonclient_loader.load(sys.argv[2]); import tritonclient.http; sys.argv = sys.argv[3:]; runpy.run_path(sys.argv[0], run_name='__main__')";
            string[] args = ["-c", Runner, Path.Combine(AppContext.BaseDirectory, "Interop"), TritonClientFactAttribute.Wheel, Path.Combine(folder, program), "-u", $"localhost:{port}", .. flag is null ? Array.Empty<string>() : flag.Split(' ')];
            var (code, output) = await RunPython(null, args);
            Assert.True(code == 0, $"{program} {flag} exited with {code}:\n{output}");
        }
        finally
        {
            if (copy is not null) Directory.Delete(copy, recursive: true);
        }
    }

    private static async Task<(int Code, string Output)> RunPython(string? script, string[] args)
    {
        var (code, output, error) = await PythonScript.RunAsync(script is null ? args : [script, .. args], TimeSpan.FromMinutes(2));
        return (code, output + "\n" + error);
    }
}
