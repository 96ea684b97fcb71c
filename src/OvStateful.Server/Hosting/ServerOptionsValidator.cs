using System.Net;
using Microsoft.Extensions.Options;

namespace OvStateful.Server.Hosting;

/// <summary>Rejects settings that cannot work, each failure naming the setting and what was expected.</summary>
public sealed class ServerOptionsValidator : IValidateOptions<ServerOptions>
{
    /// <param name="requireRepository">False where the caller supplies the registry itself (tests, embedding).</param>
    public ServerOptionsValidator(bool requireRepository = true) => _requireRepository = requireRepository;

    private readonly bool _requireRepository;

    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        var failures = new List<string>();
        CheckPort(failures, nameof(options.HttpPort), options.HttpPort);
        CheckPort(failures, nameof(options.GrpcPort), options.GrpcPort);
        CheckPort(failures, nameof(options.MetricsPort), options.MetricsPort);

        (string Name, int Port)[] ports = [("HttpPort", options.HttpPort), ("GrpcPort", options.GrpcPort), ("MetricsPort", options.MetricsPort)];
        for (var i = 0; i < ports.Length; i++)
        {
            for (var j = i + 1; j < ports.Length; j++)
            {
                if (ports[i].Port != 0 && ports[i].Port == ports[j].Port)
                    failures.Add($"{ports[i].Name} and {ports[j].Name} are both {ports[i].Port}; each endpoint needs its own port (or 0 for any free port)");
            }
        }

        if (options.MaxRequestBodyBytes is <= 0 or > int.MaxValue)
            failures.Add($"MaxRequestBodyBytes is {options.MaxRequestBodyBytes}; expected a byte count > 0 and at most {int.MaxValue}");
        if (options.MaxConnections < 0) failures.Add($"MaxConnections is {options.MaxConnections}; expected 0 (from the open-file limit) or a connection count");
        if (options.MaxQueuedStepsPerStream < 1) failures.Add($"MaxQueuedStepsPerStream is {options.MaxQueuedStepsPerStream}; expected a number of steps >= 1");
        if (options.MaxStreamsPerConnection is < 1 or > 65536) failures.Add($"MaxStreamsPerConnection is {options.MaxStreamsPerConnection}; expected 1 to 65536");
        if (options.IoQueueCount is < -1 or > 64) failures.Add($"IoQueueCount is {options.IoQueueCount}; expected -1 (Kestrel's default), 0 (the thread pool) or 1 to 64 queues");
        CheckSeconds(failures, nameof(options.IdleTimeoutSeconds), options.IdleTimeoutSeconds, zeroAllowed: false);
        CheckSeconds(failures, nameof(options.RequestHeadersTimeoutSeconds), options.RequestHeadersTimeoutSeconds, zeroAllowed: false);
        CheckSeconds(failures, nameof(options.KeepAlivePingSeconds), options.KeepAlivePingSeconds, zeroAllowed: true);
        CheckSeconds(failures, nameof(options.KeepAlivePingTimeoutSeconds), options.KeepAlivePingTimeoutSeconds, zeroAllowed: false);
        if (options.ShutdownTimeoutSeconds < 0 || double.IsNaN(options.ShutdownTimeoutSeconds))
            failures.Add($"ShutdownTimeoutSeconds is {options.ShutdownTimeoutSeconds}; expected seconds >= 0");
        if (string.IsNullOrWhiteSpace(options.Host))
            failures.Add("Host is empty; expected an IP address or host name such as 127.0.0.1");
        else if (!IPAddress.TryParse(options.Host, out _) && !string.Equals(options.Host, "localhost", StringComparison.OrdinalIgnoreCase)
                 && Uri.CheckHostName(options.Host) == UriHostNameType.Unknown)
            failures.Add($"Host '{options.Host}' is not an IP address or host name");

        if (options.ServerName is not { Length: >= 1 and <= 64 } serverName || serverName.Any(c => c is < '!' or > '~'))
            failures.Add($"ServerName '{options.ServerName}' is not a name; expected 1 to 64 printable ASCII characters without spaces, such as triton or ovstateful");
        if (options.DefaultEngine is not ("onnxruntime" or "openvino"))
            failures.Add($"DefaultEngine '{options.DefaultEngine}' is not an engine; expected onnxruntime or openvino");
        if (options.IntraOpThreads < 0) failures.Add($"IntraOpThreads is {options.IntraOpThreads}; expected 0 (all cores but one) or a thread count");
        if (options.InterOpThreads < 0) failures.Add($"InterOpThreads is {options.InterOpThreads}; expected 0 (all cores but one) or a thread count");
        if (options.SpillMemoryCapBytes <= 0) failures.Add($"SpillMemoryCapBytes is {options.SpillMemoryCapBytes}; expected a byte count > 0");
        if (options.MaxBacklog < 0) failures.Add($"MaxBacklog is {options.MaxBacklog}; expected 0 (unbounded) or a number of sequences");
        if (options.StateSyncMilliseconds < 0) failures.Add($"StateSyncMilliseconds is {options.StateSyncMilliseconds}; expected milliseconds >= 0 (0 = leave it to the OS)");
        if (!string.IsNullOrEmpty(options.StateDirectory) && File.Exists(options.StateDirectory))
            failures.Add($"StateDirectory '{Path.GetFullPath(options.StateDirectory)}' is a file; expected a folder (created when missing)");
        if (!string.IsNullOrEmpty(options.Device) && !System.Text.RegularExpressions.Regex.IsMatch(options.Device, "^(cpu|cuda(:[0-9]+)?|trt(:[0-9]+)?)$"))
            failures.Add($"Device '{options.Device}' is not a device; expected cpu, cuda, cuda:N, trt or trt:N (or empty for each model's config)");

        if (!ServerOptions.ModelControlModes.Contains(options.ModelControlMode, StringComparer.OrdinalIgnoreCase))
            failures.Add($"ModelControlMode '{options.ModelControlMode}' is not a model control mode; expected {string.Join(", ", ServerOptions.ModelControlModes)}");
        else if (options.LoadModels.Length > 0 && !options.ExplicitModelControl)
            failures.Add($"LoadModels ({string.Join(", ", options.LoadModels)}) requires ModelControlMode explicit (Triton: use of '--load-model' requires setting '--model-control-mode=explicit' as well)");
        if (options.LoadModels.Contains("*") && options.LoadModels.Length > 1)
            failures.Add("LoadModels holds '*' and other names; '*' (load every model) must be the only one");
        if (options.RepositoryPollSeconds < 1) failures.Add($"RepositoryPollSeconds is {options.RepositoryPollSeconds}; expected seconds >= 1");
        if (options.Log.Verbose < 0) failures.Add($"Log:Verbose is {options.Log.Verbose}; expected 0 (off) or a verbosity level such as 1");
        if (!Logging.ServerLogOptions.Formats.Contains(options.Log.Format, StringComparer.OrdinalIgnoreCase))
            failures.Add($"Log:Format '{options.Log.Format}' is not a log format; expected {string.Join(" or ", Logging.ServerLogOptions.Formats)}");

        if (_requireRepository)
        {
            if (string.IsNullOrWhiteSpace(options.ModelRepository))
                failures.Add("ModelRepository is empty; expected the folder of a model repository");
            else if (!Directory.Exists(options.ModelRepository))
                failures.Add($"ModelRepository '{Path.GetFullPath(options.ModelRepository)}' does not exist; expected the folder of a model repository");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // Kestrel takes timeouts as TimeSpans; a day is far beyond any sensible value and keeps the conversion exact.
    private static void CheckSeconds(List<string> failures, string name, double seconds, bool zeroAllowed)
    {
        if (double.IsNaN(seconds) || seconds < 0 || (!zeroAllowed && seconds == 0) || seconds > 86400)
            failures.Add($"{name} is {seconds}; expected seconds {(zeroAllowed ? ">= 0" : "> 0")} and at most 86400{(zeroAllowed ? " (0 = off)" : "")}");
    }

    private static void CheckPort(List<string> failures, string name, int port)
    {
        if (port is < 0 or > 65535) failures.Add($"{name} is {port}; expected 0 (any free port) to 65535");
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every failure.</summary>
    public static void ThrowIfInvalid(ServerOptions options, bool requireRepository = true)
    {
        var result = new ServerOptionsValidator(requireRepository).Validate(null, options);
        if (result.Failed) throw new OptionsValidationException(Options.DefaultName, typeof(ServerOptions), result.Failures);
    }
}
