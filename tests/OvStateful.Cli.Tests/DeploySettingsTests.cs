using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using OvStateful.Server.Hosting;

namespace OvStateful.Cli.Tests;

/// <summary>deploy/appsettings.json is the reference of ovs serve's settings: every key, each at its default.</summary>
public sealed class DeploySettingsTests
{
    private static readonly string Sample = Path.Combine(CliRunner.RepoRoot, "deploy", "appsettings.json");

    [Fact]
    public void Sample_settings_hold_every_setting_at_its_default()
    {
        var config = new ConfigurationBuilder().AddJsonFile(Sample).Build();
        var bound = ServerConfiguration.Bind(config); // also refuses any key that is no setting
        var defaults = new ServerOptions();
        // Read from the file's JSON: configuration drops empty lists ("LoadModels": []), which are settings too.
        using var json = JsonDocument.Parse(File.ReadAllText(Sample));
        foreach (var key in ServerConfiguration.SettingKeys())
        {
            var element = json.RootElement.GetProperty("Server");
            Assert.True(key.Split(':').All(part => element.TryGetProperty(part, out element)), $"deploy/appsettings.json lacks Server:{key}");
            Assert.Equal(Value(defaults, key), Value(bound, key));
        }
    }

    private static string Value(ServerOptions o, string key)
    {
        object target = o;
        foreach (var part in key.Split(':')) target = target.GetType().GetProperty(part)!.GetValue(target)!;
        return target is string[] list ? string.Join(",", list) : Convert.ToString(target, CultureInfo.InvariantCulture)!;
    }
}
