using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using static OvStateful.OpenVino.Tests.OvHarness;

namespace OvStateful.OpenVino.Tests;

/// <summary>What the engine says about the OpenVINO it runs on: version and folder, device, precision, threads.</summary>
public class RuntimeTests
{
    [OpenVinoFact]
    public void The_provider_names_the_OpenVINO_version_and_folder_in_use()
    {
        var a = new OpenVinoEngineProvider().Availability;
        Assert.True(a.IsAvailable, a.Reason);
        Assert.Matches(@"^\d{4}\.\d+\.\d+", a.RuntimeVersion);
        Assert.True(File.Exists(Path.Combine(a.RuntimeLocation!, "libopenvino_intel_cpu_plugin.so")), $"{a.RuntimeLocation} holds no CPU plugin");
        Assert.Equal($"OpenVINO {a.RuntimeVersion} ({a.RuntimeLocation})", a.Reason);
        // .ci/run builds against ../shared/openvino; the shim's RPATH leads there, not elsewhere.
        if (Environment.GetEnvironmentVariable("OVS_OPENVINO_DIR") is { Length: > 0 } dir)
            Assert.Equal(Path.Combine(Path.GetFullPath(dir), "libs"), a.RuntimeLocation);
    }

    [OpenVinoFact]
    public void A_device_OpenVINO_does_not_have_fails_the_load_naming_the_devices_it_has()
    {
        var m = OpenVinoModels.Get("accumulate", Core.Config.OpenVinoMode.Batched);
        m.Config.SetParameter("openvino_device", "GPU");
        var e = Assert.Throws<EngineException>(() => Load(m, 2));
        Assert.Contains("model \"accumulate\": OpenVINO device GPU is not available here; OpenVINO sees CPU", e.Message);
    }

    [OpenVinoFact]
    public void Precision_is_f32_unless_asked_and_bf16_and_threads_are_accepted()
    {
        var m = OpenVinoModels.Get("silero_vad_v6", Core.Config.OpenVinoMode.Batched);
        using (var wrapped = Load(m, 2))
        {
            var engine = (OpenVinoEngine)((InputContextEngine)wrapped).Inner;
            Assert.Equal("f32", engine.Precision);
            Assert.Equal("CPU", engine.Device);
            // What start-up tables print: OpenVINO, its version, the device that runs, the context counted in the state bytes.
            var d = wrapped.Description;
            Assert.Equal(("openvino", "OpenVINO", "CPU", "CPU"), (d.Engine, d.Runtime, d.DeviceRequested, d.DeviceUsed));
            Assert.StartsWith(new OpenVinoEngineProvider().Availability.RuntimeVersion![..8], d.RuntimeVersion);
            Assert.Equal(2 * 128 * 4 + 64 * 4, d.StateBytesPerSlot);
            Assert.False(d.DeviceDiffers);
        }
        m.Config.SetParameter("openvino_precision", "bf16");
        m.Config.SetParameter("openvino_num_threads", "1");
        using (var engine = (OpenVinoEngine)((InputContextEngine)Load(m, 2)).Inner)
        {
            // A CPU without bf16 support (no avx512_bf16 / AMX) runs f32 instead.
            Assert.Contains(engine.Precision, new[] { "bf16", "f32" });
            Assert.Equal("1", engine.Threads);
        }
    }

    [Theory]
    [InlineData("CPU", new[] { "CPU" }, false)]
    [InlineData("GPU", new[] { "CPU" }, true)]
    [InlineData("GPU", new[] { "CPU", "GPU.0", "GPU.1" }, false)]
    [InlineData("GPU.2", new[] { "CPU", "GPU.0", "GPU.1" }, true)]
    [InlineData("AUTO", new[] { "CPU" }, false)]
    [InlineData("HETERO:GPU,CPU", new[] { "CPU" }, false)]
    [InlineData("NPU", new[] { "CPU" }, true)]
    public void A_physical_device_is_missing_when_OpenVINO_does_not_list_it(string device, string[] available, bool missing) =>
        Assert.Equal(missing, OpenVinoModelLoader.IsMissing(device, available));
}
