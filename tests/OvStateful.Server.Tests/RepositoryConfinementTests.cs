using System.Net;
using System.Text.Json;
using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
using OvStateful.Server.Tests.Infrastructure;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>
/// Loading over the protocols is confined to the repository: a load request whose name leads
/// outside it (`../outside/evil`, an absolute path) is INVALID_ARGUMENT over gRPC and 400 over
/// HTTP, and nothing outside is read — although a loadable model (the conformance accumulate,
/// real ONNX Runtime) lies there. The registry-level cases are Core's RegistryConfinementTests.
/// </summary>
public sealed class RepositoryConfinementTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ovs-confine-" + Guid.NewGuid().ToString("N"));
    private string Repository => Path.Combine(_root, "repo");
    private string Evil => Path.Combine(_root, "outside", "evil");

    public RepositoryConfinementTests()
    {
        Copy(Path.Combine(TestPaths.Conformance, "accumulate_fp32"), Path.Combine(Repository, "accumulate_fp32"), "accumulate_fp32");
        Copy(Path.Combine(TestPaths.Conformance, "accumulate_fp32"), Evil, "evil");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static void Copy(string from, string to, string name)
    {
        TestPaths.CopyFolder(from, to);
        var config = Path.Combine(to, "config.pbtxt");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"accumulate_fp32\"", $"\"{name}\""));
    }

    /// <summary>Every file and folder outside the repository, its access time set days back (relatime then records any read).</summary>
    private List<string> BackdateOutside()
    {
        var all = Directory.GetFileSystemEntries(Path.Combine(_root, "outside"), "*", SearchOption.AllDirectories).Append(Path.Combine(_root, "outside")).ToList();
        foreach (var path in all)
        {
            if (File.Exists(path)) File.SetLastAccessTimeUtc(path, DateTime.UtcNow.AddDays(-3));
            else Directory.SetLastAccessTimeUtc(path, DateTime.UtcNow.AddDays(-3));
        }
        return all;
    }

    private static DateTime AccessTime(string path) => File.Exists(path) ? File.GetLastAccessTimeUtc(path) : Directory.GetLastAccessTimeUtc(path);

    /// <summary>Whether this file system records reads in access times (relatime does for times over a day old; noatime never).</summary>
    private bool ReadsShowInAccessTimes()
    {
        var probe = Path.Combine(_root, "atime-probe");
        File.WriteAllText(probe, "x");
        File.SetLastAccessTimeUtc(probe, DateTime.UtcNow.AddDays(-3));
        File.ReadAllText(probe);
        return File.GetLastAccessTimeUtc(probe) > DateTime.UtcNow.AddDays(-1);
    }

    private string[] EscapingNames => ["../outside/evil", Evil, "accumulate_fp32/../../outside/evil"];

    private async Task<ModelRegistry> OpenRepository()
    {
        var registry = new ModelRegistry(Repository, [new OnnxRuntimeEngineProvider()]);
        await registry.LoadAllAsync();
        Assert.Equal(["accumulate_fp32"], registry.Index().Select(e => e.Name));
        return registry;
    }

    /// <summary>
    /// Serves the repository, and for each escaping name: <paramref name="refuse"/> loads it over
    /// one protocol, asserts the status and returns the error the client got; then nothing
    /// outside was read, the error names no server path, and <paramref name="index"/> (the
    /// repository index over that protocol) still lists only the repository's model.
    /// </summary>
    private async Task EveryEscapingLoadIsRefused(Func<TestServer, string, Task<string>> refuse, Func<TestServer, Task<IEnumerable<string?>>> index)
    {
        if (!new OnnxRuntimeEngineProvider().Availability.IsAvailable) return;
        var atimesWork = ReadsShowInAccessTimes();
        await using var registry = await OpenRepository();
        await using var server = await TestServer.StartAsync(registry);
        foreach (var name in EscapingNames)
        {
            var outside = BackdateOutside();
            var error = await refuse(server, name);
            Assert.Contains("model name", error);
            Assert.DoesNotContain(Repository, error); // the server's own paths; the client's name may be quoted
            // noatime: the refusal and the index still say nothing was loaded.
            if (atimesWork)
                foreach (var path in outside) Assert.True(AccessTime(path) < DateTime.UtcNow.AddDays(-1), $"loading '{name}' read {Path.GetRelativePath(_root, path)} outside the repository");
            Assert.Equal(["accumulate_fp32"], await index(server));
        }
    }

    [Fact]
    public Task Grpc_RepositoryModelLoad_of_a_path_leading_outside_is_INVALID_ARGUMENT_and_reads_nothing_there() => EveryEscapingLoadIsRefused(
        async (server, name) =>
        {
            var load = await server.Grpc.UnaryAsync("RepositoryModelLoad", new Proto.RepositoryModelLoadRequest { ModelName = name }, Proto.RepositoryModelLoadResponse.Parser);
            Assert.True(load.Status == 3, $"'{name}': status {load.Status} ({load.Message}); INVALID_ARGUMENT (3) expected");
            return load.Message!;
        },
        async server => (await server.Grpc.UnaryAsync("RepositoryIndex", new Proto.RepositoryIndexRequest(), Proto.RepositoryIndexResponse.Parser)).Single.Models.Select(m => (string?)m.Name));

    [Fact]
    public Task Http_load_of_a_path_leading_outside_is_400_and_reads_nothing_there() => EveryEscapingLoadIsRefused(
        async (server, name) =>
        {
            using var load = await server.Http.PostAsync($"/v2/repository/models/{Uri.EscapeDataString(name)}/load", null);
            var body = await load.Content.ReadAsStringAsync();
            Assert.True(load.StatusCode == HttpStatusCode.BadRequest, $"'{name}': {(int)load.StatusCode} {body}; 400 expected");
            return JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
        },
        async server =>
        {
            using var index = await server.Http.PostAsync("/v2/repository/index", null);
            return JsonDocument.Parse(await index.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        });
}
