using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.OpenVino;

namespace OvStateful.OnnxRuntime.Tests.Registry;

/// <summary>The served side of a repository, loaded through the real engine providers.</summary>
public class ModelRegistryTests
{
    private static IReadOnlyList<IEngineProvider> Providers => [new OnnxRuntimeEngineProvider(), new OpenVinoEngineProvider()];

    [Fact]
    public async Task The_example_repository_loads_ready_and_serves_a_sequence()
    {
        await using var registry = new ModelRegistry(TestPaths.Models, Providers);
        await registry.LoadAllAsync();
        Assert.True(registry.IsReady);
        var index = registry.Index();
        Assert.Equal(["accumulate", "gru_counter", "silero_vad", "silero_vad_v6"], index.Select(e => e.Name).ToArray());
        Assert.All(index, e => Assert.Equal(("1", "READY"), (e.Version, e.State)));

        Assert.True(registry.TryGet("accumulate", null, out var model));
        Assert.Equal("1", model!.Version);
        float sum = 0;
        for (var t = 0; t < 3; t++)
        {
            var input = Enumerable.Repeat((float)(t + 1), 20).ToArray();
            var response = await model.InferAsync(new InferenceRequest
            {
                ModelName = "accumulate",
                SequenceId = new SequenceId(42),
                SequenceStart = t == 0,
                Inputs = [Tensor.FromArray("Input", DataType.Fp32, [1, 4, 1, 5], input)],
            }, CancellationToken.None);
            sum += 4 * (t + 1);
            var output = Assert.Single(response.Outputs);
            Assert.Equal(new long[] { 1, 4, 1, 5 }, output.Shape);
            Assert.All(output.ToArray<float>(), v => Assert.Equal(t + 1 + sum, v));
        }
        Assert.False(registry.TryGet("accumulate", "7", out _));
    }

    [Fact]
    public async Task A_broken_or_unavailable_model_is_unavailable_with_its_reason_and_the_rest_serve()
    {
        var repo = Directory.CreateTempSubdirectory("ovs-registry-").FullName;
        try
        {
            CopyModel("accumulate", repo);
            Directory.CreateDirectory(Path.Combine(repo, "broken", "1"));
            File.WriteAllText(Path.Combine(repo, "broken", "config.pbtxt"), "name: \"broken\"\nmax_batch_sizze: 4\n");
            CopyModel("accumulate", repo, "on_openvino");
            var cfg = Path.Combine(repo, "on_openvino", "config.pbtxt");
            File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("name: \"accumulate\"", "name: \"on_openvino\"")
                + "\nparameters [ { key: \"engine\" value: { string_value: \"openvino\" } } ]\n");

            await using var registry = new ModelRegistry(repo, Providers);
            await registry.LoadAllAsync();
            var index = registry.Index().ToDictionary(e => e.Name);
            Assert.Equal("READY", index["accumulate"].State);
            Assert.Equal("UNAVAILABLE", index["broken"].State);
            Assert.Contains("max_batch_sizze", index["broken"].Reason);
            // READY where OpenVINO is installed (CI builds the engine against ../shared/openvino); else UNAVAILABLE naming it.
            if (new OpenVinoEngineProvider().Availability.IsAvailable)
            {
                Assert.Equal("READY", index["on_openvino"].State);
            }
            else
            {
                Assert.Equal("UNAVAILABLE", index["on_openvino"].State);
                Assert.Contains("openvino", index["on_openvino"].Reason);
            }
            Assert.False(registry.TryGet("broken", null, out _));

            var e = await Assert.ThrowsAsync<InferenceException>(() => registry.LoadAsync("broken", CancellationToken.None));
            Assert.Equal(InferenceErrorKind.Unavailable, e.Kind);
            var missing = await Assert.ThrowsAsync<InferenceException>(() => registry.LoadAsync("nope", CancellationToken.None));
            Assert.Equal(InferenceErrorKind.NotFound, missing.Kind);
        }
        finally
        {
            Directory.Delete(repo, recursive: true);
        }
    }

    [Fact]
    public async Task Unload_then_load_again()
    {
        await using var registry = new ModelRegistry(TestPaths.Conformance, Providers);
        await registry.LoadAllAsync();
        Assert.True(registry.TryGet("accumulate_int32", null, out _));
        await registry.UnloadAsync("accumulate_int32", CancellationToken.None);
        Assert.False(registry.TryGet("accumulate_int32", null, out _));
        Assert.Contains(registry.Index(), e => e is { Name: "accumulate_int32", State: "UNAVAILABLE", Reason: "unloaded" });
        await registry.LoadAsync("accumulate_int32", CancellationToken.None);
        Assert.True(registry.TryGet("accumulate_int32", "1", out var m));
        Assert.True(m!.IsReady);
    }

    [Fact]
    public async Task A_model_unloaded_on_request_leaves_the_server_ready_as_Triton()
    {
        // Triton's strict readiness: "okay if model is not ready due to unload".
        await using var registry = new ModelRegistry(TestPaths.Models, Providers);
        await registry.LoadAllAsync();
        Assert.True(registry.IsReady);
        await registry.UnloadAsync("accumulate", CancellationToken.None);
        Assert.Contains(registry.Index(), e => e is { Name: "accumulate", State: "UNAVAILABLE", Reason: "unloaded" });
        Assert.True(registry.IsReady);
    }

    private static void CopyModel(string name, string repo, string? as_ = null)
    {
        var src = Path.Combine(TestPaths.Models, name);
        var dst = Path.Combine(repo, as_ ?? name);
        foreach (var file in Directory.GetFiles(src, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dst, Path.GetRelativePath(src, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

public class ModelRegistryDefaultEngineTests
{
    [Fact]
    public async Task A_config_without_an_engine_takes_the_servers_default()
    {
        IReadOnlyList<IEngineProvider> providers = [new OnnxRuntimeEngineProvider(), new OpenVinoEngineProvider()];
        await using var registry = new ModelRegistry(TestPaths.Conformance, providers, defaultEngine: "openvino");
        await registry.LoadAllAsync();
        if (new OpenVinoEngineProvider().Availability.IsAvailable)
        {
            // OpenVINO is installed (CI: ../shared/openvino): the models serve on it.
            Assert.All(registry.Index(), e => Assert.Equal("READY", e.State));
            Assert.All(registry.Index(), e => Assert.True(registry.TryGet(e.Name, null, out var m) && m!.EngineName == "openvino", e.Name));
        }
        else
        {
            // Without OpenVINO the models are unavailable, and the reason says which engine was asked for.
            Assert.All(registry.Index(), e => Assert.Equal("UNAVAILABLE", e.State));
            Assert.All(registry.Index(), e => Assert.Contains("openvino", e.Reason));
        }
    }
}
