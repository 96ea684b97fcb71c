namespace OvStateful.Cli.Tests;

/// <summary>Strict command lines: every command refuses what it does not know, in one line naming the nearest valid option, exit 2.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class UsageErrorTests
{
    public static TheoryData<string> Commands => new() { "serve", "validate", "convert", "run", "compare", "bench" };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Unknown_option_is_an_error_on_every_command(string command)
    {
        var (exit, output, error) = CliRunner.Run(command, "--no-such-flag", "7");
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"ovs {command}: unknown option --no-such-flag; did you mean ", line);
        Assert.EndsWith($"(see ovs {command} --help)", line.TrimEnd());
    }

    [Theory]
    [InlineData("serve", "--grpc-prot", "--grpc-port")]
    [InlineData("serve", "--log-verbos", "--log-verbose")]
    [InlineData("run", "--sequence", "--sequences")]
    [InlineData("bench", "--concurency-range", "--concurrency-range")]
    [InlineData("compare", "--engine", "--engines")]
    public void Misspelt_option_names_the_nearest(string command, string typed, string meant)
    {
        var (exit, _, error) = CliRunner.Run(command, typed, "1");
        Assert.Equal(2, exit);
        Assert.Contains($"unknown option {typed}; did you mean {meant}", error);
    }

    [Fact]
    public void Unknown_command_names_the_nearest()
    {
        var (exit, _, error) = CliRunner.Run("srve");
        Assert.Equal(2, exit);
        Assert.Contains("ovs: unknown command \"srve\"; did you mean serve", error);
    }

    [Theory]
    [InlineData(new[] { "run", "-m", "accumulate", "-n", "abc" }, "ovs run: --sequences expects a whole number, not \"abc\"")]
    [InlineData(new[] { "bench", "-u", "127.0.0.1:1", "-m", "x", "--duration", "soon" }, "ovs bench: --duration expects a number (e.g. 2.5), not \"soon\"")]
    [InlineData(new[] { "bench", "-u", "127.0.0.1:1", "-m", "x", "--protocol", "tcp" }, "ovs bench: --protocol expects http or grpc, not \"tcp\"")]
    [InlineData(new[] { "serve", "--http-port", "70000" }, "ovs serve: --http-port expects a port from 0 (any free port) to 65535, not 70000")]
    [InlineData(new[] { "serve", "--log-format", "xml" }, "ovs serve: --log-format expects default or json, not \"xml\"")]
    [InlineData(new[] { "serve", "--log-info", "maybe" }, "ovs serve: --log-info expects true or false, not \"maybe\"")]
    [InlineData(new[] { "run" }, "ovs run: --model is required")]
    public void Value_errors_say_what_was_expected_in_one_line(string[] args, string expected)
    {
        var (exit, output, error) = CliRunner.Run(args);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(expected, line);
        Assert.DoesNotContain("System.", line);
    }

    [Fact]
    public void Unknown_setting_key_names_the_nearest()
    {
        var (exit, _, error) = CliRunner.Run("serve", "--set", "Server:HttpPrt=9000");
        Assert.Equal(2, exit);
        Assert.Contains("Server:HttpPrt is not a setting; did you mean HttpPort", error);
    }

    [Fact]
    public void Set_without_a_section_is_refused()
    {
        var (exit, _, error) = CliRunner.Run("serve", "--set", "HttpPort=9000");
        Assert.Equal(2, exit);
        Assert.Contains("--set HttpPort=9000: expected Server:Key=value or Logging:Key=value", error);
    }

    [Fact]
    public void Help_lists_the_settings_form_and_environment_variables()
    {
        var (exit, output, _) = CliRunner.Run("serve", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("--set", output);
        Assert.Contains("OVS_Server__", output);
        Assert.Contains("--log-verbose", output);
    }
}
