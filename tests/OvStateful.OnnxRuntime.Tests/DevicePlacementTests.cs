using Microsoft.Extensions.Logging;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;

namespace OvStateful.OnnxRuntime.Tests;

/// <summary>
/// Where an instance runs: configs written for GPUs serve on the CPU provider where CUDA cannot
/// run, saying so in a warning and in the engine's <see cref="OnnxRuntimeEngine.Placement"/>;
/// an explicit device override is never substituted.
/// </summary>
public class DevicePlacementTests
{
    private static readonly GpuSupport NoCuda = new("no usable CUDA runtime (test)", "no usable CUDA runtime (test)");

    private static GpuSupport Support(string machine) => machine switch
    {
        "no cuda" => NoCuda,
        "cuda, no trt" => new(null, "no TensorRT execution provider (test)"),
        _ => new(null, null),
    };

    [Theory]
    [InlineData(OrtEpKind.Cpu, "cuda and trt", OrtExecutionProvider.Cpu, "cpu", "cpu", false)]
    [InlineData(OrtEpKind.Auto, "cuda and trt", OrtExecutionProvider.Cuda, "auto", "cuda:1", false)]
    [InlineData(OrtEpKind.Auto, "no cuda", OrtExecutionProvider.Cpu, "auto", "cpu", false)]
    [InlineData(OrtEpKind.Cuda, "cuda and trt", OrtExecutionProvider.Cuda, "cuda:1", "cuda:1", false)]
    [InlineData(OrtEpKind.Cuda, "no cuda", OrtExecutionProvider.Cpu, "cuda:1", "cpu", true)]
    [InlineData(OrtEpKind.TensorRt, "cuda and trt", OrtExecutionProvider.TensorRt, "trt:1", "trt:1", false)]
    [InlineData(OrtEpKind.TensorRt, "cuda, no trt", OrtExecutionProvider.Cuda, "trt:1", "cuda:1", true)]
    [InlineData(OrtEpKind.TensorRt, "no cuda", OrtExecutionProvider.Cpu, "trt:1", "cpu", true)]
    public void The_provider_is_the_one_asked_for_where_it_can_run_else_the_next_that_can(
        OrtEpKind ep, string machine, OrtExecutionProvider provider, string requested, string used, bool fellBack)
    {
        var (p, placement) = OrtDeviceChoice.Choose(ep, explicitDevice: null, deviceId: 1, Support(machine));
        Assert.Equal(provider, p);
        Assert.Equal(requested, placement.Requested);
        Assert.Equal(used, placement.Used);
        Assert.Equal(fellBack, placement.FellBack);
        if (fellBack) Assert.Contains("(test)", placement.Reason);
    }

    [Fact]
    public void An_explicit_device_that_cannot_run_is_an_error_not_a_substitute()
    {
        var e = Assert.Throws<EngineException>(() => OrtDeviceChoice.Choose(OrtEpKind.Cpu, "cuda:0", 0, NoCuda));
        Assert.Contains("device cuda:0 was asked for", e.Message);
        Assert.Contains("no usable CUDA runtime (test)", e.Message);
        Assert.Equal("cpu", OrtDeviceChoice.Choose(OrtEpKind.Cuda, "cpu", 0, NoCuda).Placement.Used);
    }

    [Fact]
    public void A_kind_gpu_config_without_cuda_serves_on_cpu_and_warns_once()
    {
        if (CudaTheoryAttribute.SkipReason() is null) return; // CUDA can run here: the config gets its GPU
        var m = ModelUnderTest.Get("accumulate_fp32");
        Assert.Equal(ModelInstanceGroup.Types.Kind.Gpu, m.Config.InstanceGroup[0].Kind); // the conformance config, unchanged: KIND_GPU, ort_ep trt
        var log = new CapturingLogger();
        using var engine = (OnnxRuntimeEngine)EngineHarness.Load(new OnnxRuntimeEngineProvider(logger: log), m, 2);
        Assert.Equal("onnxruntime", engine.EngineName);
        Assert.Equal(new OrtDevicePlacement("trt:0", "cpu", engine.Placement.Reason), engine.Placement);
        Assert.True(engine.Placement.FellBack);
        var warning = Assert.Single(log.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("model \"accumulate_fp32\": asked for trt:0, running on cpu: ", warning.Message);
        Assert.Contains(engine.Placement.Reason, warning.Message);
        // The start-up tables read the same through the engine's description.
        var d = engine.Description;
        Assert.Equal(("ONNX Runtime", "trt:0", "cpu", engine.Placement.Reason), (d.Runtime, d.DeviceRequested, d.DeviceUsed, d.DeviceNote));
        Assert.StartsWith("1.3", d.RuntimeVersion);
        Assert.True(d.DeviceDiffers);
    }

    [Fact]
    public void A_kind_cpu_config_runs_where_it_asks_and_says_nothing()
    {
        var m = ModelUnderTest.Get("accumulate_int32");
        var config = TestConfigs.Conformance("accumulate_int32");
        config.InstanceGroup[0].Kind = ModelInstanceGroup.Types.Kind.Cpu;
        var log = new CapturingLogger();
        var provider = new OnnxRuntimeEngineProvider(logger: log);
        Assert.Equal(new OrtDevicePlacement("cpu", "cpu", ""), provider.Place(new EngineLoadContext(config, "", m.ModelFile, 1)));
        using var engine = (OnnxRuntimeEngine)EngineHarness.Load(provider, m, 1, config);
        Assert.Equal(new OrtDevicePlacement("cpu", "cpu", ""), engine.Placement);
        Assert.Empty(log.Entries);
    }

    private sealed class CapturingLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
