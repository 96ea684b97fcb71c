using Microsoft.Extensions.Configuration;
using OvStateful.Core.Text;

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

    /// <summary>
    /// Binds the "Server" section. A key that is no setting (a misspelling in appsettings.json,
    /// an OVS_Server__ variable, --set) and a value of the wrong type fail with the key named,
    /// and for an unknown key the nearest valid ones.
    /// </summary>
    public static ServerOptions Bind(IConfiguration configuration)
    {
        var known = SettingKeys();
        foreach (var key in Keys(configuration.GetSection(ServerOptions.SectionName)))
        {
            if (!known.Contains(ListKey(key), StringComparer.OrdinalIgnoreCase))
                throw new InvalidOperationException($"server settings: {ServerOptions.SectionName}:{key} is not a setting; {Spelling.DidYouMean(key, known)} (settings: {string.Join(", ", known)})");
        }
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

    /// <summary>Every key of section "Server" that binds to a setting: "HttpPort", "Log:Verbose", ...</summary>
    public static IReadOnlyList<string> SettingKeys() =>
    [
        .. Properties(typeof(ServerOptions)).Where(p => p != nameof(ServerOptions.Log)),
        .. Properties(typeof(Logging.ServerLogOptions)).Select(p => $"{nameof(ServerOptions.Log)}:{p}"),
    ];

    private static IEnumerable<string> Properties(Type t) =>
        t.GetProperties().Where(p => p.CanWrite && p.SetMethod!.IsPublic).Select(p => p.Name);

    /// <summary>An element of a list setting ("LoadModels:0") stands for the list's key.</summary>
    private static string ListKey(string key)
    {
        var colon = key.LastIndexOf(':');
        return colon > 0 && key[(colon + 1)..].All(char.IsAsciiDigit) && typeof(ServerOptions).GetProperty(key[..colon])?.PropertyType.IsArray == true
            ? key[..colon]
            : key;
    }

    /// <summary>The leaf keys under a section, relative to it.</summary>
    private static IEnumerable<string> Keys(IConfigurationSection section)
    {
        foreach (var child in section.GetChildren())
        {
            var children = child.GetChildren().ToList();
            if (children.Count == 0) yield return child.Key;
            foreach (var leaf in Keys(child)) yield return $"{child.Key}:{leaf}";
        }
    }
}
