using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OvStateful.Server.Hosting;
using OvStateful.Server.Tests.TestDoubles;

namespace OvStateful.Server.Tests;

/// <summary>Server settings: binding from configuration sources and validation messages.</summary>
public sealed class ServerOptionsTests
{
    [Fact]
    public void Defaults_are_loopback_and_triton_ports()
    {
        var o = new ServerOptions();
        Assert.Equal("127.0.0.1", o.Host);
        Assert.Equal((8000, 8001, 8002), (o.HttpPort, o.GrpcPort, o.MetricsPort));
        Assert.Equal("models", o.ModelRepository);
        Assert.Equal("triton", o.ServerName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("naïve")]
    public void A_server_name_that_is_not_a_name_is_refused(string name)
    {
        var o = new ServerOptions { ModelRepository = Path.GetTempPath(), ServerName = name };
        var failures = string.Join("\n", new ServerOptionsValidator().Validate(null, o).Failures!);
        Assert.Contains($"ServerName '{name}' is not a name; expected 1 to 64 printable ASCII characters", failures);
        Assert.True(new ServerOptionsValidator().Validate(null, new ServerOptions { ModelRepository = Path.GetTempPath(), ServerName = "ovstateful" }).Succeeded);
    }

    [Fact]
    public void Bad_settings_fail_with_each_setting_named()
    {
        var o = new ServerOptions { HttpPort = 70000, GrpcPort = 9000, MetricsPort = 9000, MaxRequestBodyBytes = 0, ModelRepository = "/no/such/folder", Host = "" };
        var result = new ServerOptionsValidator().Validate(null, o);
        Assert.True(result.Failed);
        var failures = string.Join("\n", result.Failures!);
        Assert.Contains("HttpPort is 70000; expected 0 (any free port) to 65535", failures);
        Assert.Contains("GrpcPort and MetricsPort are both 9000", failures);
        Assert.Contains("MaxRequestBodyBytes is 0; expected a byte count > 0", failures);
        Assert.Contains("ModelRepository '/no/such/folder' does not exist", failures);
        Assert.Contains("Host is empty", failures);
        Assert.Throws<OptionsValidationException>(() => new OvsServer(new TestModelRegistry(), o));
    }

    [Fact]
    public void Engine_and_spill_settings_are_checked()
    {
        var o = new ServerOptions { ModelRepository = Path.GetTempPath(), IntraOpThreads = -1, InterOpThreads = -2, SpillMemoryCapBytes = 0, Device = "gpu0", DefaultEngine = "tensorflow" };
        var failures = string.Join("\n", new ServerOptionsValidator().Validate(null, o).Failures!);
        Assert.Contains("IntraOpThreads is -1", failures);
        Assert.Contains("InterOpThreads is -2", failures);
        Assert.Contains("SpillMemoryCapBytes is 0", failures);
        Assert.Contains("DefaultEngine 'tensorflow' is not an engine; expected onnxruntime or openvino", failures);
        Assert.Contains("Device 'gpu0' is not a device; expected cpu, cuda, cuda:N, trt or trt:N", failures);
        var fine = new ServerOptions { ModelRepository = Path.GetTempPath(), IntraOpThreads = 2, Device = "cuda:1", SpillEnabled = true };
        Assert.True(new ServerOptionsValidator().Validate(null, fine).Succeeded);
    }

    [Fact]
    public void Connection_and_state_settings_are_checked()
    {
        var o = new ServerOptions
        {
            ModelRepository = Path.GetTempPath(), MaxConnections = -1, MaxStreamsPerConnection = 0, IdleTimeoutSeconds = 0,
            RequestHeadersTimeoutSeconds = double.NaN, KeepAlivePingSeconds = -1, KeepAlivePingTimeoutSeconds = 1e9, StateSyncMilliseconds = -5,
        };
        var failures = string.Join("\n", new ServerOptionsValidator().Validate(null, o).Failures!);
        Assert.Contains("MaxConnections is -1", failures);
        Assert.Contains("MaxStreamsPerConnection is 0; expected 1 to 65536", failures);
        Assert.Contains("IdleTimeoutSeconds is 0; expected seconds > 0", failures);
        Assert.Contains("RequestHeadersTimeoutSeconds is NaN", failures);
        Assert.Contains("KeepAlivePingSeconds is -1; expected seconds >= 0 and at most 86400 (0 = off)", failures);
        Assert.Contains("KeepAlivePingTimeoutSeconds is 1000000000", failures);
        Assert.Contains("StateSyncMilliseconds is -5", failures);
        var fine = new ServerOptions { ModelRepository = Path.GetTempPath(), MaxConnections = 10, KeepAlivePingSeconds = 0, StateDirectory = Path.Combine(Path.GetTempPath(), "not-yet") };
        Assert.True(new ServerOptionsValidator().Validate(null, fine).Succeeded);
    }

    [Theory]
    [InlineData(1024L, 768)]
    [InlineData(20000L, 17500)]
    [InlineData(300L, 44)]
    [InlineData(200L, 16)]
    [InlineData(null, 100_000)]
    public void The_automatic_connection_cap_leaves_descriptors_for_the_rest_of_the_process(long? limit, int expected) =>
        Assert.Equal(expected, ServerConnections.FromFileLimit(limit));

    [Fact]
    public void Intra_op_threads_default_to_all_cores_but_one()
    {
        Assert.Equal(Math.Max(1, Environment.ProcessorCount - 1), new ServerOptions().EffectiveIntraOpThreads);
        Assert.Equal(3, new ServerOptions { IntraOpThreads = 3 }.EffectiveIntraOpThreads);
    }

    [Fact]
    public void Zero_ports_may_repeat_and_an_existing_repository_passes()
    {
        var o = new ServerOptions { HttpPort = 0, GrpcPort = 0, MetricsPort = 0, ModelRepository = Path.GetTempPath() };
        Assert.True(new ServerOptionsValidator().Validate(null, o).Succeeded);
    }

    [Fact]
    public void Json_then_environment_then_command_line()
    {
        var folder = Directory.CreateTempSubdirectory("ovs-settings").FullName;
        File.WriteAllText(Path.Combine(folder, "appsettings.json"), """{"Server": {"HttpPort": 9100, "GrpcPort": 9101, "MaxRequestBodyBytes": 1234}}""");
        Environment.SetEnvironmentVariable("OVS_Server__GrpcPort", "9201");
        try
        {
            var config = ServerConfiguration.Build(folder, ["--Server:MetricsPort=9302"]);
            var o = ServerConfiguration.Bind(config);
            Assert.Equal(9100, o.HttpPort);
            Assert.Equal(9201, o.GrpcPort);
            Assert.Equal(9302, o.MetricsPort);
            Assert.Equal(1234, o.MaxRequestBodyBytes);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OVS_Server__GrpcPort", null);
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void Wrongly_typed_setting_names_the_key()
    {
        var config = ServerConfiguration.Build(Path.GetTempPath(), ["--Server:HttpPort=eighty"]);
        var e = Assert.Throws<InvalidOperationException>(() => ServerConfiguration.Bind(config));
        Assert.Contains("HttpPort", e.Message);
    }

    [Fact]
    public void Options_pattern_binds_and_validates_on_first_read()
    {
        var good = new ServiceCollection();
        good.AddServerOptions(ServerConfiguration.Build(Path.GetTempPath(), ["--Server:HttpPort=9500", $"--Server:ModelRepository={Path.GetTempPath()}"]));
        using (var provider = good.BuildServiceProvider())
            Assert.Equal(9500, provider.GetRequiredService<IOptions<ServerOptions>>().Value.HttpPort);

        var bad = new ServiceCollection();
        bad.AddServerOptions(ServerConfiguration.Build(Path.GetTempPath(), ["--Server:HttpPort=8001", "--Server:ModelRepository=/no/such/repo"]));
        using var badProvider = bad.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => badProvider.GetRequiredService<IOptions<ServerOptions>>().Value);
        Assert.Contains(e.Failures, f => f.Contains("HttpPort and GrpcPort are both 8001", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("'/no/such/repo' does not exist", StringComparison.Ordinal));
    }
}
