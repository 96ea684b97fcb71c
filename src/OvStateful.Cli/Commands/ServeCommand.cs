using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Configuration;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Serving;
using OvStateful.Core.Sequences;
using OvStateful.Server.Hosting;
using OvStateful.Server.Hosting.Logging;
using OvStateful.Server.Sequences;

namespace OvStateful.Cli.Commands;

/// <summary>
/// <c>ovs serve</c>: KServe v2 HTTP, gRPC and metrics over a model repository. Settings come
/// from appsettings.json in the working folder, OVS_ environment variables
/// (OVS_Server__HttpPort=9000), --set Section:Key=value, then the flags below; every key is
/// checked (a misspelt one is an error naming the nearest) before anything binds. Logging
/// follows Triton's flags (--log-verbose, --log-info, --log-warning, --log-error, --log-format,
/// --log-file) and the standard Logging section. Ctrl+C / SIGTERM stops gracefully: no new
/// requests, in-flight steps finish (up to Server:ShutdownTimeoutSeconds), then the process exits.
/// </summary>
internal static class ServeCommand
{
    public static Command Create() => Create(ModelRegistryFactory.CreateAsync);

    /// <summary>For tests and hosts: <paramref name="registryFactory"/> builds the registry for a repository folder, reporting sequence starts/ends to the observer and its own news (restored states, load failures) to the server's log.</summary>
    public static Command Create(Func<ServerOptions, ISequenceLifecycleObserver?, ILoggerFactory, CancellationToken, Task<IModelRegistry>> registryFactory)
    {
        var repository = new Option<string?>("--model-repository", "-r") { Description = "Model repository folder (default: ./models, else the example models/ beside the binaries or of this checkout)" };
        var host = new Option<string?>("--host") { Description = "Address to bind (default 127.0.0.1; 0.0.0.0 for every interface)" };
        var httpPort = CommonOptions.Port("--http-port", "KServe v2 HTTP port (default 8000; 0 = any free port)");
        var grpcPort = CommonOptions.Port("--grpc-port", "KServe v2 gRPC port, HTTP/2 cleartext (default 8001; 0 = any free port)");
        var metricsPort = CommonOptions.Port("--metrics-port", "Prometheus metrics port (default 8002; 0 = any free port)");
        var threads = new Option<int?>("--threads") { Description = "ONNX Runtime intra-op threads per model instance (default: all cores but one, leaving one for the network threads)" };
        var device = new Option<string?>("--device") { Description = "ONNX Runtime device for every model: cpu, cuda[:N] or trt[:N] (default: each config's instance_group / ort_ep)" };
        var engine = CommonOptions.Choice(new Option<string?>("--engine") { Description = "Engine for models whose config.pbtxt names none: onnxruntime (default) or openvino" }, "onnxruntime", "openvino");
        var spill = new Option<bool>("--spill") { Description = "When all slots are busy, spill the least recently used idle sequence's state to host memory instead of queueing new sequences (beyond Triton)" };
        var maxConnections = new Option<int?>("--max-connections") { Description = "Most connections open at once over all endpoints; more are closed at once (default: from the open-file limit, leaving room for the rest of the process)" };
        var stateDir = new Option<string?>("--state-dir") { Description = "Keep live sequences in memory-mapped files in this folder (created when missing): a crash or restart continues every sequence (beyond Triton; default off)" };
        var stateSync = new Option<int?>("--state-sync-ms") { Description = "With --state-dir: msync period in ms; a machine crash loses at most about this much (a process crash loses nothing answered); 0 = left to the OS (default 1000)" };
        var controlMode = CommonOptions.Choice(new Option<string?>("--model-control-mode") { Description = "Triton's model control: none (default: load every model at start; clients' load and unload are refused), poll (also reload models whose folder changes, every --repository-poll-secs) or explicit (load only --load-model models at start; clients load and unload)" }, [.. ServerOptions.ModelControlModes]);
        var loadModel = new Option<string[]>("--load-model")
        {
            Description = "With --model-control-mode explicit: a model to load at start, repeatable; * alone loads every model",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var pollSecs = new Option<int?>("--repository-poll-secs") { Description = "With --model-control-mode poll: seconds between polls of the repository (default 15)" };
        var strictReadiness = new Option<bool?>("--strict-readiness") { Description = "true (default): /v2/health/ready and ServerReady say ready only when every model the server loaded or tried to is ready; false: ready once it serves", Arity = ArgumentArity.ZeroOrOne };
        var exitOnError = new Option<bool?>("--exit-on-error") { Description = "true (default): a model that fails to load at start stops the server with its reason; false: serve the others", Arity = ArgumentArity.ZeroOrOne };
        var strictConfig = new Option<bool?>("--strict-model-config") { Description = "true: every config.pbtxt must declare its inputs and outputs; false (default): a config without them gets them from the model file (Triton's auto-complete)", Arity = ArgumentArity.ZeroOrOne };
        var metricsConfig = new Option<string[]>("--metrics-config")
        {
            Description = "Triton's metrics settings as key=value, repeatable: summary_latencies=true adds nv_inference_*_summary_us (quantiles 0.5, 0.9, 0.95, 0.99, 0.999 of the latest 1024 observations); counter_latencies=false drops the nv_inference_*_duration_us counters",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        metricsConfig.Validators.Add(r =>
        {
            foreach (var t in r.Tokens)
            {
                if (MetricsSetting(t.Value) is null)
                    r.AddError($"--metrics-config {t.Value}: expected summary_latencies=true|false or counter_latencies=true|false");
            }
        });
        var logVerbose = new Option<int?>("--log-verbose") { Description = "Verbose logging level (Triton's): 0 off (default), 1 a line per sequence start/end/spill/restore/expiry and per failed request, 2 also ASP.NET Core's information lines" };
        var logInfo = new Option<bool?>("--log-info") { Description = "Information lines, e.g. the start-up tables: true (default) or false", Arity = ArgumentArity.ZeroOrOne };
        var logWarning = new Option<bool?>("--log-warning") { Description = "Warning lines: true (default) or false", Arity = ArgumentArity.ZeroOrOne };
        var logError = new Option<bool?>("--log-error") { Description = "Error lines: true (default) or false", Arity = ArgumentArity.ZeroOrOne };
        var logFormat = CommonOptions.Choice(new Option<string?>("--log-format") { Description = "Log line format: default (Triton's \"I1201 12:00:00.000123 category] message\") or json (one JSON object a line)" }, ServerLogOptions.Formats.ToArray());
        var logFile = new Option<string?>("--log-file") { Description = "Append log lines to this file instead of standard output" };
        var cluster = new Option<string?>("--cluster") { Description = "Join a cluster of ovs nodes (Orleans): redis://HOST:PORT (Redis membership, grain directory and storage), kubernetes[+redis://HOST:PORT] (in a Kubernetes pod: Orleans's Kubernetes hosting takes the node's name, address and cluster id from the pod; Redis at redis:6379 by default) or localhost[:PRIMARY_SILO_PORT] (development, one host; the first node is the primary). Any node then answers any sequence; SIGTERM or POST /v2/cluster/drain hands this node's sequences over before it exits (docs/cluster.md)" };
        var siloPort = CommonOptions.Port("--silo-port", "With --cluster: the Orleans silo-to-silo port (default 11111)");
        var gatewayPort = CommonOptions.Port("--gateway-port", "With --cluster: the Orleans client gateway port (default 0: none; ovs clients use HTTP/gRPC)");
        var nodeName = new Option<string?>("--node-name") { Description = "With --cluster: this node's name in /v2/cluster, errors and metrics (default HOST:SILO_PORT)" };
        var clusterPersist = new Option<bool>("--cluster-persist") { Description = "With --cluster: write each sequence's state to grain storage (Redis) with every acknowledged step, so a killed node's sequences come back on the others; off (default), their next step fails with an error naming the sequence and the node" };
        var clusterFront = new Option<bool>("--cluster-front") { Description = "With --cluster: a front-only node (a gateway): it answers HTTP/gRPC and forwards every sequence step to the node holding it, and holds no sequence itself" };
        var set = new Option<string[]>("--set")
        {
            Description = "A setting as Section:Key=value, repeatable: --set Server:MaxRequestBodyBytes=1048576, --set Server:Log:Format=json, --set Logging:LogLevel:Default=Debug. " +
                          "The same keys come from appsettings.json in the working folder and from environment variables OVS_Server__Key=value (OVS_Server__Log__Verbose=1, OVS_Logging__LogLevel__Default=Debug); " +
                          "flags win over --set, --set over the environment, the environment over appsettings.json. Keys of Server: " + string.Join(", ", ServerConfiguration.SettingKeys()),
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        set.Validators.Add(r =>
        {
            foreach (var t in r.Tokens)
            {
                var eq = t.Value.IndexOf('=');
                var key = eq < 0 ? t.Value : t.Value[..eq];
                if (eq <= 0 || !(key.StartsWith("Server:", StringComparison.OrdinalIgnoreCase) || key.StartsWith("Logging:", StringComparison.OrdinalIgnoreCase)))
                    r.AddError($"--set {t.Value}: expected Server:Key=value or Logging:Key=value, e.g. --set Server:HttpPort=9000");
            }
        });
        var cmd = new Command("serve", "Serve a model repository over KServe v2 HTTP and gRPC (default: models/ on 127.0.0.1).")
        {
            repository, host, httpPort, grpcPort, metricsPort, engine, threads, device, spill, maxConnections, stateDir, stateSync,
            controlMode, loadModel, pollSecs, strictReadiness, exitOnError, strictConfig, metricsConfig,
            logVerbose, logInfo, logWarning, logError, logFormat, logFile, set, cluster, siloPort, gatewayPort, nodeName, clusterPersist, clusterFront,
        };
        cmd.SetAction(parse =>
        {
            var sets = parse.GetValue(set) ?? [];
            var configuration = ServerConfiguration.Build(Directory.GetCurrentDirectory(), sets.Select(s => "--" + s));
            ServerOptions options;
            try
            {
                options = ServerConfiguration.Bind(configuration);
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine($"ovs serve: {e.Message}");
                return 2;
            }
            var repositoryGiven = parse.GetValue(repository) is not null || configuration[$"{ServerOptions.SectionName}:{nameof(ServerOptions.ModelRepository)}"] is not null;
            options.ModelRepository = parse.GetValue(repository) ?? options.ModelRepository;
            options.Host = parse.GetValue(host) ?? options.Host;
            options.HttpPort = parse.GetValue(httpPort) ?? options.HttpPort;
            options.GrpcPort = parse.GetValue(grpcPort) ?? options.GrpcPort;
            options.MetricsPort = parse.GetValue(metricsPort) ?? options.MetricsPort;
            options.DefaultEngine = parse.GetValue(engine) ?? options.DefaultEngine;
            options.IntraOpThreads = parse.GetValue(threads) ?? options.IntraOpThreads;
            options.Device = parse.GetValue(device) ?? options.Device;
            options.SpillEnabled = parse.GetValue(spill) || options.SpillEnabled;
            options.MaxConnections = parse.GetValue(maxConnections) ?? options.MaxConnections;
            options.StateDirectory = parse.GetValue(stateDir) ?? options.StateDirectory;
            options.StateSyncMilliseconds = parse.GetValue(stateSync) ?? options.StateSyncMilliseconds;
            options.ModelControlMode = parse.GetValue(controlMode) ?? options.ModelControlMode;
            options.LoadModels = parse.GetValue(loadModel) is { Length: > 0 } models ? models : options.LoadModels;
            options.RepositoryPollSeconds = parse.GetValue(pollSecs) ?? options.RepositoryPollSeconds;
            options.StrictReadiness = CommonOptions.Flag(parse, strictReadiness) ?? options.StrictReadiness;
            options.ExitOnError = CommonOptions.Flag(parse, exitOnError) ?? options.ExitOnError;
            options.StrictModelConfig = CommonOptions.Flag(parse, strictConfig) ?? options.StrictModelConfig;
            foreach (var setting in parse.GetValue(metricsConfig) ?? [])
            {
                var (key, on) = MetricsSetting(setting)!.Value;
                if (key == "summary_latencies") options.SummaryLatencies = on;
                else options.CounterLatencies = on;
            }
            var log = options.Log;
            log.Verbose = parse.GetValue(logVerbose) ?? log.Verbose;
            log.Info = CommonOptions.Flag(parse, logInfo) ?? log.Info;
            log.Warning = CommonOptions.Flag(parse, logWarning) ?? log.Warning;
            log.Error = CommonOptions.Flag(parse, logError) ?? log.Error;
            log.Format = parse.GetValue(logFormat) ?? log.Format;
            log.File = parse.GetValue(logFile) ?? log.File;
            if (!repositoryGiven && !Directory.Exists(options.ModelRepository) && ExampleModels.Find() is { } examples)
                options.ModelRepository = examples;

            using var stop = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            var clusterFlags = parse.GetValue(cluster) is { } spec
                ? new ClusterFlags(spec, parse.GetValue(siloPort), parse.GetValue(gatewayPort), parse.GetValue(nodeName), parse.GetValue(clusterPersist), parse.GetValue(clusterFront))
                : null;
            return RunAsync(options, registryFactory, Console.Out, Console.Error, stop.Token, configuration, clusterFlags).GetAwaiter().GetResult();

            void Stop(PosixSignalContext context)
            {
                context.Cancel = true; // shut down ourselves, gracefully
                stop.Cancel();
            }
        });
        return cmd;
    }

    /// <summary>A --metrics-config setting this server knows (Triton's keys), or null.</summary>
    private static (string Key, bool On)? MetricsSetting(string token)
    {
        var eq = token.IndexOf('=');
        if (eq <= 0) return null;
        var key = token[..eq];
        if (key is not ("summary_latencies" or "counter_latencies") || !bool.TryParse(token[(eq + 1)..], out var on)) return null;
        return (key, on);
    }

    /// <summary>Validates, builds the registry, serves until <paramref name="stop"/>, then shuts down gracefully.</summary>
    /// <param name="output">Where log lines go without a log file (the process's standard output).</param>
    /// <param name="errors">Where a failure to start is said, in one line.</param>
    /// <param name="configuration">Read for its standard Logging section; null for none.</param>
    /// <param name="cluster">--cluster and its options; null: a node of its own, with no Orleans in its path.</param>
    public static async Task<int> RunAsync(ServerOptions options, Func<ServerOptions, ISequenceLifecycleObserver?, ILoggerFactory, CancellationToken, Task<IModelRegistry>> registryFactory,
        TextWriter output, TextWriter errors, CancellationToken stop, IConfiguration? configuration = null, ClusterFlags? cluster = null)
    {
        if (cluster is not null && ClusterServing.Check(cluster) is { } clusterError)
        {
            errors.WriteLine($"ovs serve: {clusterError}");
            return 2;
        }
        var check = new ServerOptionsValidator().Validate(null, options);
        if (check.Failed)
        {
            errors.WriteLine("ovs serve: invalid settings:");
            foreach (var failure in check.Failures!) errors.WriteLine($"  {failure}");
            return 2;
        }

        ServerLogging logging;
        try
        {
            logging = ServerLogging.Create(options.Log, configuration, output);
        }
        catch (IOException e)
        {
            errors.WriteLine($"ovs serve: {e.Message}");
            return 2;
        }
        using var _ = logging;
        var log = logging.Factory.CreateLogger("ovs.serve");

        // One correlation-id manager: it hands out ids at /v2/sequences/allocate and hears from
        // the batchers when those sequences end, so leases end with them. Its ids never repeat
        // across restarts (persisted with durable state, else from a random start).
        IModelRegistry registry;
        CorrelationIdManager ids;
        try
        {
            if (options.StateDirectory.Length > 0)
            {
                options.StateDirectory = Path.GetFullPath(options.StateDirectory);
                Directory.CreateDirectory(options.StateDirectory);
                log.LogInformation("durable sequences in {StateDirectory} (msync every {SyncMs} ms)", options.StateDirectory, options.StateSyncMilliseconds);
            }
            ids = new CorrelationIdManager(CorrelationIdManagerOptions.ForServer(options.StateDirectory));
            var observers = new SequenceObservers(ids, new SequenceLog(logging.Factory.CreateLogger("ovs.sequences")));
            options.ModelRepository = Path.GetFullPath(options.ModelRepository);
            log.LogInformation("loading model repository {Repository}", options.ModelRepository);
            registry = await registryFactory(options, observers, logging.Factory, stop);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            errors.WriteLine($"ovs serve: {e.Message}");
            return 1;
        }

        try
        {
            if (cluster is not null) return await ClusterServing.RunAsync(cluster, registry, options, logging.Configure, log, errors, stop);
            var server = new OvsServer(registry, options, new CorrelationIdManagerAllocator(ids), logging: logging.Configure);
            await using (server)
            {
                try
                {
                    await server.StartAsync(stop);
                }
                catch (IOException e) when (PortInUse.Describe(e, options) is { } message)
                {
                    errors.WriteLine($"ovs serve: {message}");
                    return 1;
                }
                log.LogInformation("serving; Ctrl+C to stop");
                try
                {
                    await Task.Delay(Timeout.Infinite, stop);
                }
                catch (OperationCanceledException)
                {
                }
                log.LogInformation("stopping (in-flight requests finish first)");
                await server.StopAsync(CancellationToken.None);
            }
            return 0;
        }
        catch (Exception e) when (e is IOException or OptionsValidationException or InvalidOperationException)
        {
            errors.WriteLine($"ovs serve: {EngineRun.OneLine(e.Message)}");
            return 1;
        }
        finally
        {
            switch (registry)
            {
                case IAsyncDisposable a: await a.DisposeAsync(); break;
                case IDisposable d: d.Dispose(); break;
            }
        }
    }
}
