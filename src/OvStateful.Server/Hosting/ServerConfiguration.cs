using Microsoft.Extensions.Configuration;

namespace OvStateful.Server.Hosting;

/// <summary>
/// Builds <see cref="ServerOptions"/> from, in rising priority: defaults, an optional
/// appsettings.json, OVS_-prefixed environment variables (OVS_Server__HttpPort=9000) and
/// command-line pairs (--Server:HttpPort=9000), then explicit overrides from CLI flags.
/// </summary>
public static class ServerConfiguration
{
    public const string EnvironmentPrefix = "OVS_";

    public static IConfiguration Build(string? settingsFolder = null, IEnumerable<string>? commandLine = null)
    {
        var builder = new ConfigurationBuilder();
        builder.AddJsonFile(Path.Combine(settingsFolder ?? AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        builder.AddEnvironmentVariables(EnvironmentPrefix);
        if (commandLine is not null) builder.AddCommandLine(commandLine.ToArray());
        return builder.Build();
    }

    /// <summary>Binds the "Server" section; unknown values of the wrong type fail with the key named.</summary>
    public static ServerOptions Bind(IConfiguration configuration)
    {
        var options = new ServerOptions();
        try
        {
            configuration.GetSection(ServerOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"server settings: {e.Message}", e);
        }
        return options;
    }
}
