using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace OvStateful.Server.Hosting.Logging;

/// <summary>
/// The server's logging, built once from <see cref="ServerLogOptions"/> and the standard
/// "Logging" configuration section, shared by the server's own loggers and its Kestrel hosts
/// (<see cref="Configure"/>). Levels: Information and up by default, ASP.NET Core's own
/// categories at Warning; the Logging section may change either; --log-verbose N, when given,
/// wins over both for this provider.
/// </summary>
public sealed class ServerLogging : IDisposable
{
    private readonly IConfiguration? _logging;
    private readonly ServerLogOptions _options;

    private ServerLogging(LogLineWriter provider, ServerLogOptions options, IConfiguration? logging)
    {
        Provider = provider;
        _options = options;
        _logging = logging;
        Factory = LoggerFactory.Create(Configure);
    }

    /// <summary>Where every log line goes: the log file, else <c>console</c>.</summary>
    public LogLineWriter Provider { get; }

    /// <summary>For the server's own categories (start-up tables, sequences, requests).</summary>
    public ILoggerFactory Factory { get; }

    /// <param name="configuration">The whole configuration; its "Logging" section is read when present.</param>
    /// <param name="console">Where lines go without --log-file (the process's standard output).</param>
    /// <exception cref="IOException">The log file cannot be opened (the message names it).</exception>
    public static ServerLogging Create(ServerLogOptions options, IConfiguration? configuration, TextWriter console)
    {
        LogLineWriter provider;
        if (string.IsNullOrEmpty(options.File))
        {
            provider = new LogLineWriter(console, options);
        }
        else
        {
            var path = Path.GetFullPath(options.File);
            try
            {
                var dir = Path.GetDirectoryName(path);
                if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
                var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                provider = new LogLineWriter(new StreamWriter(stream), options, ownsWriter: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"cannot open the log file {path} (--log-file): {e.Message}", e);
            }
        }
        return new ServerLogging(provider, options, configuration?.GetSection("Logging"));
    }

    /// <summary>Sets a logging builder (the server's factory, each Kestrel host) to this provider and these levels.</summary>
    public void Configure(ILoggingBuilder builder)
    {
        builder.ClearProviders();
        // The Logging section first: on equal specificity the first rule wins, so it beats the defaults below.
        if (_logging is not null) builder.AddConfiguration(_logging);
        builder.SetMinimumLevel(LogLevel.Information);
        builder.AddFilter("Microsoft", LogLevel.Warning);
        // ASP.NET Core's hosting makes an Activity, a log scope and a request id string for every
        // request while this category is on at any level (~0.5 KB a REST step); what it logs is
        // request start/finish (Information) and start-up failures, which ovs reports itself.
        // --log-verbose (its rules for Microsoft win over this one) and a Logging section still turn it on.
        builder.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        if (_options.Verbose > 0)
        {
            // Rules for this provider beat the section's general ones: an explicit --log-verbose wins.
            builder.AddFilter<LogLineWriter>(null, _options.Verbose >= 2 ? LogLevel.Trace : LogLevel.Debug);
            builder.AddFilter<LogLineWriter>("Microsoft", _options.Verbose >= 2 ? LogLevel.Information : LogLevel.Warning);
        }
        builder.AddProvider(Provider);
    }

    public void Dispose()
    {
        Factory.Dispose();
        Provider.Dispose();
    }
}
