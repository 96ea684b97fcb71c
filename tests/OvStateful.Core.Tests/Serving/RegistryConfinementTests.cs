using OvStateful.Core.Engines;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Tests.Serving;

/// <summary>
/// Loading is confined to the repository: a model name is one folder of it, nothing outside
/// is read, and what a client is told names the model, never the server's absolute paths.
/// </summary>
public class RegistryConfinementTests
{
    private const string Config = "name: \"m\"\nmax_batch_size: 1\ninput [ { name: \"x\" data_type: TYPE_FP32 dims: [ 1 ] } ]\noutput [ { name: \"y\" data_type: TYPE_FP32 dims: [ 1 ] } ]\n";

    [Theory]
    [InlineData("../outside")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("/etc")]
    [InlineData("m\\..\\..")]
    [InlineData("m\0")]
    [InlineData("")]
    public async Task A_name_that_is_not_one_folder_of_the_repository_is_refused_before_anything_is_read(string name)
    {
        using var root = new TempDir();
        root.Write("outside/config.pbtxt", Config.Replace("\"m\"", "\"outside\""));
        var repository = Path.Combine(root.Path, "repo");
        Directory.CreateDirectory(repository);
        await using var registry = new ModelRegistry(repository, []);
        var e = await Assert.ThrowsAsync<InferenceException>(() => registry.LoadAsync(name, default));
        Assert.Equal(InferenceErrorKind.InvalidArgument, e.Kind);
        Assert.DoesNotContain(root.Path, e.Message);
        Assert.Empty(registry.Index());
        var unload = await Assert.ThrowsAsync<InferenceException>(() => registry.UnloadAsync(name, default));
        Assert.Equal(InferenceErrorKind.InvalidArgument, unload.Kind);
    }

    [Fact]
    public async Task Load_errors_name_the_model_and_paths_inside_the_repository_only()
    {
        using var root = new TempDir();
        root.Write("repo/m/config.pbtxt", Config + "default_model_filename: \"../../../secret.onnx\"\n");
        root.Write("repo/broken/config.pbtxt", "name: \"broken\"\nmax_batch_size: [\n");
        Directory.CreateDirectory(Path.Combine(root.Path, "repo", "m", "1"));
        var repository = Path.Combine(root.Path, "repo");
        await using var registry = new ModelRegistry(repository, []);

        var missing = await Assert.ThrowsAsync<InferenceException>(() => registry.LoadAsync("nothere", default));
        Assert.Equal(InferenceErrorKind.NotFound, missing.Kind);
        Assert.Equal("failed to load 'nothere': the repository has no model 'nothere' (no folder nothere/ holding a config.pbtxt); it holds: broken, m", missing.Message);

        var escaping = await Assert.ThrowsAsync<InferenceException>(() => registry.LoadAsync("m", default));
        Assert.Contains("default_model_filename: \"../../../secret.onnx\" is not a file name inside the version folder", escaping.Message);
        var broken = await Assert.ThrowsAsync<InferenceException>(() => registry.LoadAsync("broken", default));
        Assert.Contains("broken/config.pbtxt:", broken.Message);
        foreach (var text in new[] { escaping.Message, broken.Message }.Concat(registry.Index().Select(e => e.Reason)))
            Assert.DoesNotContain(root.Path, text);
    }
}

/// <summary>One model's load failure of any kind (here an overflow, as a huge config caused) is that model's: the others serve.</summary>
public class RegistryFailureIsolationTests
{
    private sealed class Provider : IEngineProvider
    {
        public string Name => "onnxruntime";
        public EngineAvailability Availability => EngineAvailability.Available("test double of the registry's provider; no engine is under test here");
        public ModelFileSignature Inspect(string modelFile) => new(
            [new ModelFileTensor("x", DataType.Fp32, [-1, 4])],
            [new ModelFileTensor("sum", DataType.Fp32, [-1, 4]), new ModelFileTensor("steps", DataType.Int64, [-1, 1])]);
        public IStatefulEngine Load(EngineLoadContext context) => context.Config.Name == "big"
            ? throw new OverflowException("Arithmetic operation resulted in an overflow.")
            : new Sequences.RunningSumTestEngine(context.SlotCount, 1);
    }

    private static string Config(string name) =>
        $"name: \"{name}\"\nmax_batch_size: 1\ninput [ {{ name: \"x\" data_type: TYPE_FP32 dims: [ 4 ] }} ]\n" +
        "output [ { name: \"sum\" data_type: TYPE_FP32 dims: [ 4 ] }, { name: \"steps\" data_type: TYPE_INT64 dims: [ 1 ] } ]\n";

    [Fact]
    public async Task An_overflow_while_loading_one_model_leaves_it_unavailable_naming_it_and_the_rest_served()
    {
        using var root = new TempDir();
        foreach (var name in new[] { "big", "ok" })
        {
            root.Write($"{name}/config.pbtxt", Config(name));
            root.Write($"{name}/1/model.onnx", "not read by the test double");
        }
        await using var registry = new ModelRegistry(root.Path, [new Provider()]);
        await registry.LoadAllAsync();
        var index = registry.Index().ToDictionary(e => e.Name);
        Assert.Equal("UNAVAILABLE", index["big"].State);
        Assert.Equal("OverflowException: Arithmetic operation resulted in an overflow.", index["big"].Reason);
        Assert.Equal("READY", index["ok"].State);
        Assert.True(registry.TryGet("ok", null, out _));
    }
}
