using OvStateful.Core.Config;
using OvStateful.Core.Engines;

namespace OvStateful.OnnxRuntime.Tests;

public class LoadErrorTests
{
    [Fact]
    public void A_missing_model_file_names_the_file_and_the_fix()
    {
        var m = ModelUnderTest.Get("accumulate_fp32");
        var missing = Path.Combine(Path.GetTempPath(), "ovs-no-such-model.onnx");
        var e = Assert.Throws<EngineException>(() => new OnnxRuntimeEngineProvider().Load(new EngineLoadContext(m.Config, Path.GetTempPath(), missing, 1)));
        Assert.Contains(missing, e.Message);
        Assert.Contains("onnx_file_name", e.Message);
    }

    [Fact]
    public void A_corrupt_model_file_names_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ovs-corrupt-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        try
        {
            var e = Assert.Throws<EngineException>(() => new OnnxRuntimeEngineProvider().Inspect(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("valid ONNX model", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_config_that_does_not_fit_the_model_lists_every_problem()
    {
        var m = ModelUnderTest.Get("accumulate_fp32");
        var config = TestConfigs.Conformance("accumulate_fp32");
        config.SetParameter("state_pairs", "<<<Accumulate_In, NoSuchOutput>>>");
        config.Input[0].Dims.Clear();
        config.Input[0].Dims.Add([4, -1, 6]);
        var e = Assert.Throws<EngineException>(() => OrtHarness.Load(m, 1, config));
        Assert.Contains("no output \"NoSuchOutput\"", e.Message);
        Assert.Contains("dimension 2 is 6 in the config and 5 in the model file", e.Message);
    }

    [Fact]
    public void The_library_is_reported_with_its_version_and_providers()
    {
        var availability = new OnnxRuntimeEngineProvider().Availability;
        Assert.True(availability.IsAvailable, availability.Reason);
        Assert.Matches(@"ONNX Runtime 1\.3\d\.\d+ \(/.*libonnxruntime\.so; .*CPUExecutionProvider\)", availability.Reason);
    }
}

public class LibraryLoadTests
{
    [Fact]
    public void An_explicit_library_path_is_the_only_candidate()
    {
        Assert.Equal(["/opt/custom/libonnxruntime.so"], OrtNativeLibrary.CandidatePaths("/opt/custom/libonnxruntime.so"));
        var beside = OrtNativeLibrary.CandidatePaths(null);
        Assert.All(beside, p => Assert.EndsWith("/libonnxruntime.so", p));
        Assert.True(File.Exists(beside[0]), $"the build puts the NuGet package's library beside the binaries: {beside[0]}");
    }

    [Fact]
    public void A_missing_library_lists_every_path_tried_the_fix_and_the_minimum_version()
    {
        var e = Assert.Throws<OrtLibraryException>(() => OrtNativeLibrary.Probe(["/nonexistent/libonnxruntime.so", "/also/missing/libonnxruntime.so.1"]));
        Assert.Contains("/nonexistent/libonnxruntime.so (no such file)", e.Message);
        Assert.Contains("/also/missing/libonnxruntime.so.1 (no such file)", e.Message);
        Assert.Contains(OrtNativeLibrary.EnvironmentVariable, e.Message);
        Assert.Contains("Microsoft.ML.OnnxRuntime", e.Message);
        Assert.Contains("1.31 or newer", e.Message);
    }

    [Fact]
    public void A_library_that_is_not_onnx_runtime_is_named_as_such()
    {
        var zlib = new[] { "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1" }.First(File.Exists);
        var e = Assert.Throws<OrtLibraryException>(() => OrtNativeLibrary.Probe([zlib]));
        Assert.Contains($"{zlib} (has no OrtGetApiBase: not ONNX Runtime)", e.Message);
    }
}

public class SessionSettingsTests
{
    [Theory]
    [InlineData(IntraOpSpinning.Never)]
    [InlineData(IntraOpSpinning.DuringRun)]
    public void Sessions_whose_intra_op_threads_stop_spinning_run_the_same(IntraOpSpinning spinning)
    {
        // ORT accepts any config key, so this shows only that such sessions open and give the same results.
        var m = ModelUnderTest.Get("accumulate_int32");
        var quiet = new OnnxRuntimeEngineProvider(new OnnxRuntimeOptions { Spinning = spinning, IntraOpThreads = 2, InterOpThreads = 1 });
        using var a = EngineHarness.Load(quiet, m, 1);
        using var b = OrtHarness.Load(m, 1);
        var input = new[] { ModelUnderTest.Ints(new Random(4), 20, 50) };
        var steps = new List<EngineHarness.Step> { new(0, Core.Engines.StepFlags.Start, 1, input) };
        Assert.Equal(EngineHarness.Run(b, steps)[0][0], EngineHarness.Run(a, steps)[0][0]);
    }
}
