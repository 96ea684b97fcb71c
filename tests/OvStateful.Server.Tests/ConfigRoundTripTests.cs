using Google.Protobuf;
using OvStateful.Core.Config;
using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
using OvStateful.Server.Tests.Infrastructure;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>
/// /config returns everything the file said: every config in models/, ../shared/conformance and
/// the interop test models is parsed, served by a real registry, fetched over HTTP (JSON) and
/// gRPC (ModelConfig), and both answers equal the parsed file.
/// </summary>
public sealed class ConfigRoundTripTests
{
    public static TheoryData<string> Repositories => new(
        Path.Combine(TestPaths.RepoRoot, "models"),
        TestPaths.Conformance,
        Path.Combine(TestPaths.RepoRoot, "tests", "OvStateful.Server.Tests", "TritonExamples"));

    [OrtTheory]
    [MemberData(nameof(Repositories))]
    public async Task Config_over_http_and_grpc_equals_the_file(string repository)
    {
        await using var registry = new ModelRegistry(repository, [new OnnxRuntimeEngineProvider()]);
        await registry.LoadAllAsync();
        await using var server = await TestServer.StartAsync(registry);
        var folders = Directory.GetDirectories(repository).Where(d => File.Exists(Path.Combine(d, "config.pbtxt"))).ToList();
        Assert.NotEmpty(folders);
        foreach (var folder in folders)
        {
            var expected = ModelConfigParser.ParseFile(Path.Combine(folder, "config.pbtxt"));
            // The server names a model after its folder when the file gives no name, as Triton does.
            if (expected.Name.Length == 0) expected.Name = Path.GetFileName(folder);

            var grpc = await server.Grpc.Inference.ModelConfigAsync(new Proto.ModelConfigRequest { Name = expected.Name });
            Assert.Equal(expected, grpc.Config);

            var json = await server.Http.GetStringAsync($"/v2/models/{expected.Name}/config");
            Assert.Equal(expected, JsonParser.Default.Parse<Proto.ModelConfig>(json));
        }
    }
}

/// <summary>A theory that needs ONNX Runtime; skipped, with the reason, elsewhere.</summary>
public sealed class OrtTheoryAttribute : TheoryAttribute
{
    public OrtTheoryAttribute()
    {
        var availability = new OnnxRuntimeEngineProvider().Availability;
        if (!availability.IsAvailable) Skip = $"ONNX Runtime is not available here: {availability.Reason}";
    }
}
