using OvStateful.Core.Serving;

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
        Assert.Equal("model \"nothere\" is not in the repository (it has no folder nothere/ holding a config.pbtxt)", missing.Message);

        var escaping = await Assert.ThrowsAsync<InferenceException>(() => registry.LoadAsync("m", default));
        Assert.Contains("default_model_filename: \"../../../secret.onnx\" is not a file name inside the version folder", escaping.Message);
        var broken = await Assert.ThrowsAsync<InferenceException>(() => registry.LoadAsync("broken", default));
        Assert.Contains("broken/config.pbtxt:", broken.Message);
        foreach (var text in new[] { escaping.Message, broken.Message }.Concat(registry.Index().Select(e => e.Reason)))
            Assert.DoesNotContain(root.Path, text);
    }
}
