using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using OvStateful.Cli.Commands;
using OvStateful.Core.Serving;
using OvStateful.Server.Hosting;
using OvStateful.Server.Hosting.Logging;

namespace OvStateful.Cli.Tests;

/// <summary>The server's logging: Triton's switches, the Logging section, both line formats, the start-up tables, port-in-use.</summary>
public sealed class LoggingTests
{
    private static (string Text, ServerLogging Logging) Log(ServerLogOptions options, Action<ILoggerFactory> write, IConfiguration? configuration = null)
    {
        var writer = new StringWriter();
        var logging = ServerLogging.Create(options, configuration, writer);
        using (logging) write(logging.Factory);
        return (writer.ToString(), logging);
    }

    private static void WriteEveryLevel(ILoggerFactory f)
    {
        foreach (var category in new[] { "ovs.sequences", "Microsoft.AspNetCore.Hosting" })
        {
            var log = f.CreateLogger(category);
            foreach (var level in new[] { LogLevel.Trace, LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error })
                log.Log(level, "{Level} from {Category}", level, category);
        }
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void Default_level_is_information_and_aspnet_at_warning()
    {
        var (text, _) = Log(new ServerLogOptions(), WriteEveryLevel);
        Assert.Equal(
        [
            "Information from ovs.sequences", "Warning from ovs.sequences", "Error from ovs.sequences",
            "Warning from Microsoft.AspNetCore.Hosting", "Error from Microsoft.AspNetCore.Hosting",
        ], Lines(text).Select(l => l[(l.IndexOf("] ", StringComparison.Ordinal) + 2)..]));
        Assert.Matches(@"^I\d{4} \d\d:\d\d:\d\d\.\d{6} ovs\.sequences\] Information from ovs\.sequences$", Lines(text)[0]);
        Assert.StartsWith("W", Lines(text)[1]);
        Assert.StartsWith("E", Lines(text)[2]);
    }

    [Theory]
    [InlineData(1, "Debug from ovs.sequences", "Trace from ovs.sequences")]
    [InlineData(2, "Trace from ovs.sequences", "Debug from Microsoft.AspNetCore.Hosting")]
    public void Log_verbose_raises_the_level(int verbose, string present, string absent)
    {
        var (text, _) = Log(new ServerLogOptions { Verbose = verbose }, WriteEveryLevel);
        Assert.Contains(present, text);
        Assert.DoesNotContain(absent, text);
        Assert.Matches(@"(?m)^V\d{4} .* Debug from ovs\.sequences", text);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(2, true)]
    public void Hosting_diagnostics_are_off_unless_asked_for(int verbose, bool on)
    {
        // While this category is on at any level, ASP.NET Core makes an Activity and a log scope for every request.
        bool hosting = false, kestrel = false;
        Log(new ServerLogOptions { Verbose = verbose }, f =>
        {
            hosting = f.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Critical);
            kestrel = f.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Warning);
        });
        Assert.Equal(on, hosting);
        Assert.True(kestrel);
    }

    [Fact]
    public void Info_warning_error_switch_independently()
    {
        var (text, _) = Log(new ServerLogOptions { Info = false, Error = false }, WriteEveryLevel);
        Assert.Equal(["Warning from ovs.sequences", "Warning from Microsoft.AspNetCore.Hosting"], Lines(text).Select(l => l[(l.IndexOf("] ", StringComparison.Ordinal) + 2)..]));
    }

    [Fact]
    public void Logging_section_sets_levels_per_category_and_the_flag_wins()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Debug",
            ["Logging:LogLevel:ovs.sequences"] = "Error",
        }).Build();
        var (text, _) = Log(new ServerLogOptions(), f =>
        {
            f.CreateLogger("ovs.requests").LogDebug("request debug");
            f.CreateLogger("ovs.sequences").LogWarning("sequence warning");
        }, config);
        Assert.Contains("request debug", text);
        Assert.DoesNotContain("sequence warning", text);

        var (flagged, _) = Log(new ServerLogOptions { Verbose = 1 }, f => f.CreateLogger("ovs.sequences").LogDebug("sequence debug"), config);
        Assert.Contains("sequence debug", flagged);
    }

    [Fact]
    public void Json_format_is_one_object_a_line_with_the_named_values()
    {
        var (text, _) = Log(new ServerLogOptions { Format = "json", Verbose = 1 }, f =>
        {
            var log = f.CreateLogger("ovs.sequences");
            log.LogDebug("sequence {Event}: model {Model}, sequence {SequenceId}", "start", "accumulate", "42");
            log.LogInformation("a table{NewLine}{Table}", Environment.NewLine, "+---+\n| x |\n+---+");
            log.LogError(new InvalidOperationException("boom"), "failed {Count} times", 3);
        });
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        var first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal("verbose", first.GetProperty("level").GetString());
        Assert.Equal("ovs.sequences", first.GetProperty("category").GetString());
        Assert.Equal("sequence start: model accumulate, sequence 42", first.GetProperty("message").GetString());
        Assert.Equal("accumulate", first.GetProperty("Model").GetString());
        Assert.True(DateTimeOffset.TryParse(first.GetProperty("time").GetString(), out _));
        Assert.Contains("| x |", JsonDocument.Parse(lines[1]).RootElement.GetProperty("message").GetString());
        var third = JsonDocument.Parse(lines[2]).RootElement;
        Assert.Equal("error", third.GetProperty("level").GetString());
        Assert.Equal(3, third.GetProperty("Count").GetInt32());
        Assert.Contains("boom", third.GetProperty("exception").GetString());
    }

    [Fact]
    public void Log_file_is_appended_to()
    {
        var dir = CliRunner.TempFolder();
        try
        {
            var file = Path.Combine(dir, "logs", "ovs.log");
            for (var i = 0; i < 2; i++)
            {
                using var logging = ServerLogging.Create(new ServerLogOptions { File = file }, null, TextWriter.Null);
                logging.Factory.CreateLogger("ovs.serve").LogInformation("run {Run}", i);
            }
            var lines = File.ReadAllLines(file);
            Assert.Equal(2, lines.Length);
            Assert.EndsWith("ovs.serve] run 1", lines[1]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Unknown_setting_keys_are_refused_naming_the_nearest()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Server:Log:Verbos"] = "1" }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => ServerConfiguration.Bind(config));
        Assert.Contains("Server:Log:Verbos is not a setting; did you mean Log:Verbose?", e.Message);
    }

    [Fact]
    public async Task Port_in_use_is_one_line_naming_the_port_and_its_flag()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var errors = new StringWriter();
        var options = new ServerOptions { HttpPort = 0, GrpcPort = port, MetricsPort = 0, ModelRepository = Path.GetTempPath() };
        var code = await ServeCommand.RunAsync(options, (_, _, _, _) => Task.FromResult<IModelRegistry>(new ServeCommandTests.EmptyRegistry()), TextWriter.Null, errors, CancellationToken.None);
        Assert.Equal(1, code);
        var line = Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"port {port} on 127.0.0.1 is already in use", line);
        Assert.Contains("--grpc-port", line);
        Assert.True(line.Length < 300, line);
    }
}
