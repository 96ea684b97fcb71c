using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
using OvStateful.Server.Tests.Infrastructure;

namespace OvStateful.Server.Tests.Pipelines;

/// <summary>
/// A copy of pipe-repo (Triton's example `pipe`: scale, then a stateful accumulate) in a
/// temporary folder, with files replaced or added per test, loaded into a real registry on the
/// ONNX Runtime engine. Deleted on dispose.
/// </summary>
internal sealed class PipelineRepository : IAsyncDisposable
{
    public static string Source => Path.Combine(TestPaths.RepoRoot, "tests", "OvStateful.Server.Tests", "Pipelines", "pipe-repo");

    private PipelineRepository(string root, ModelRegistry registry)
    {
        Root = root;
        Registry = registry;
    }

    public string Root { get; }
    public ModelRegistry Registry { get; }

    /// <param name="files">Relative path → text written over the copy (a model folder's config.pbtxt, say).</param>
    /// <param name="copies">New model folder → the pipe-repo model it copies before <paramref name="files"/> are written.</param>
    public static async Task<PipelineRepository> LoadAsync(IReadOnlyDictionary<string, string>? files = null, IReadOnlyDictionary<string, string>? copies = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "ovs-pipe-" + Guid.NewGuid().ToString("N"));
        TestPaths.CopyFolder(Source, root);
        foreach (var (to, from) in copies ?? new Dictionary<string, string>()) TestPaths.CopyFolder(Path.Combine(Source, from), Path.Combine(root, to));
        foreach (var (path, text) in files ?? new Dictionary<string, string>())
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, text);
        }
        var registry = new ModelRegistry(root, [new OnnxRuntimeEngineProvider()]);
        await registry.LoadAllAsync();
        return new PipelineRepository(root, registry);
    }

    /// <summary>The index entry's state and reason of <paramref name="model"/> ("READY ", "UNAVAILABLE why").</summary>
    public string StateOf(string model)
    {
        var e = Registry.Index().First(e => e.Name == model);
        return $"{e.State} {e.Reason}";
    }

    public async ValueTask DisposeAsync()
    {
        await Registry.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }
}
