using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino.Tests;

public class OpenVinoOptionsTests
{
    private static ModelConfig Config(params (string Key, string Value)[] parameters)
    {
        var c = new ModelConfig { Name = "m" };
        foreach (var (k, v) in parameters) c.SetParameter(k, v);
        return c;
    }

    [Fact]
    public void Defaults_are_batched_CPU_latency_and_f32()
    {
        var o = OpenVinoOptions.FromConfig(Config(), null);
        Assert.Equal(OpenVinoMode.Batched, o.Mode);
        Assert.Equal("CPU", o.Device);
        Assert.Equal(new CompileOptions(PerformanceHint.Latency, 0, DataType.Fp32), o.Compile);
        Assert.True(o.InferEndRequests);
        Assert.Equal(Core.State.ArenaGrowth.AllAtOnce, o.Growth);
    }

    [Fact]
    public void Parameters_set_every_option()
    {
        var o = OpenVinoOptions.FromConfig(Config(
            ("openvino_mode", "per_slot"), ("openvino_device", "gpu.1"), ("openvino_hint", "THROUGHPUT"),
            ("openvino_num_streams", "4"), ("openvino_precision", "f16"), ("infer_end_requests", "0"),
            ("initial_buffer_size", "512"), ("subsequent_buffer_size", "100")), null);
        Assert.Equal(OpenVinoMode.PerSlot, o.Mode);
        Assert.Equal("GPU.1", o.Device);
        Assert.Equal(new CompileOptions(PerformanceHint.Throughput, 4, DataType.Fp16), o.Compile);
        Assert.False(o.InferEndRequests);
        Assert.Equal(new Core.State.ArenaGrowth(512, 100), o.Growth);
    }

    [Fact]
    public void The_load_contexts_device_overrides_the_config()
    {
        Assert.Equal("AUTO", OpenVinoOptions.FromConfig(Config(("openvino_device", "CPU")), "auto").Device);
    }

    [Fact]
    public void Every_bad_value_is_reported_at_once()
    {
        var e = Assert.Throws<EngineException>(() => OpenVinoOptions.FromConfig(Config(
            ("openvino_mode", "pipelined"), ("openvino_hint", "fast"), ("openvino_num_streams", "-1"), ("openvino_precision", "int8")), null));
        Assert.Contains("model \"m\"", e.Message);
        Assert.Contains("openvino_mode \"pipelined\" is not batched or per_slot", e.Message);
        Assert.Contains("openvino_hint \"fast\"", e.Message);
        Assert.Contains("openvino_num_streams \"-1\"", e.Message);
        Assert.Contains("openvino_precision \"int8\"", e.Message);
    }

    [Theory]
    [InlineData("cpu", "CPU")]
    [InlineData(" GPU ", "GPU")]
    [InlineData("gpu.0", "GPU.0")]
    [InlineData("Auto", "AUTO")]
    [InlineData("HETERO:GPU,CPU", "HETERO:GPU,CPU")]
    [InlineData("cpux", "cpux")]
    public void Device_names_are_upper_cased_where_OpenVINO_knows_them(string given, string expected) =>
        Assert.Equal(expected, OpenVinoOptions.NormalizeDevice(given));
}
