using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OvStateful.Core.Serving;
using OvStateful.Core.Sequences;
using OvStateful.Server.Hosting;
using OvStateful.Server.Sequences;

namespace OvStateful.Cli.Commands;

/// <summary>
/// <c>ovs serve</c>: KServe v2 HTTP, gRPC and metrics over a model repository. Settings come
/// from appsettings.json in the working folder, OVS_ environment variables
/// (OVS_Server__HttpPort=9000), --Server:Key=value pairs, then the flags below; they are
/// checked before anything binds. Ctrl+C / SIGTERM stops gracefully: no new requests, in-flight
/// steps finish (up to Server:ShutdownTimeoutSeconds), then the process exits.
/// </summary>
internal static class ServeCommand
{
    public static Command Create() => Create(ModelRegistryFactory.CreateAsync);

    /// <summary>For tests and hosts: <paramref name="registryFactory"/> builds the registry for a repository folder, reporting sequence starts/ends to the observer.</summary>
    public static Command Create(Func<ServerOptions, ISequenceLifecycleObserver?, CancellationToken, Task<IModelRegistry>> registryFactory)
    {
        var repository = new Option<string?>("--model-repository") { Description = "Model repository folder (default: ./models, else the example models/ of this checkout)" };
        var host = new Option<string?>("--host") { Description = "Address to bind (default 127.0.0.1)" };
        var httpPort = new Option<int?>("--http-port") { Description = "KServe v2 HTTP port (default 8000; 0 = any free port)" };
        var grpcPort = new Option<int?>("--grpc-port") { Description = "KServe v2 gRPC port, HTTP/2 cleartext (default 8001; 0 = any free port)" };
        var metricsPort = new Option<int?>("--metrics-port") { Description = "Prometheus metrics port (default 8002; 0 = any free port)" };
        var threads = new Option<int?>("--threads") { Description = "ONNX Runtime intra-op threads per model instance (default: all cores but one, leaving one for the network threads)" };
        var device = new Option<string?>("--device") { Description = "ONNX Runtime device for every model: cpu, cuda[:N] or trt[:N] (default: each config's instance_group / ort_ep)" };
        var engine = new Option<string?>("--engine") { Description = "Engine for models whose config.pbtxt names none: onnxruntime (default) or openvino" };
        var spill = new Option<bool>("--spill") { Description = "When all slots are busy, spill the least recently used idle sequence's state to host memory instead of queueing new sequences (beyond Triton)" };
        var maxConnections = new Option<int?>("--max-connections") { Description = "Most connections open at once over all endpoints; more are closed at once (default: from the open-file limit, leaving room for the rest of the process)" };
        var stateDir = new Option<string?>("--state-dir") { Description = "Keep live sequences in memory-mapped files in this folder (created when missing): a crash or restart continues every sequence (beyond Triton; default off)" };
        var stateSync = new Option<int?>("--state-sync-ms") { Description = "With --state-dir: msync period in ms; a machine crash loses at most about this much (a process crash loses nothing answered); 0 = left to the OS (default 1000)" };
        var cmd = new Command("serve", "Serve a model repository over KServe v2 HTTP and gRPC (default: models/ on 127.0.0.1).")
        {
            repository, host, httpPort, grpcPort, metricsPort, engine, threads, device, spill, maxConnections, stateDir, stateSync,
        };
        cmd.TreatUnmatchedTokensAsErrors = false;
        cmd.SetAction(parse =>
        {
            var configuration = ServerConfiguration.Build(Directory.GetCurrentDirectory(), parse.UnmatchedTokens);
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
            if (!repositoryGiven && !Directory.Exists(options.ModelRepository) && FindExampleModels() is { } examples)
                options.ModelRepository = examples;

            using var stop = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            return RunAsync(options, registryFactory, Console.Out, Console.Error, stop.Token).GetAwaiter().GetResult();

            void Stop(PosixSignalContext context)
            {
                context.Cancel = true; // shut down ourselves, gracefully
                stop.Cancel();
            }
        });
        return cmd;
    }

    /// <summary>Validates, builds the registry, serves until <paramref name="stop"/>, then shuts down gracefully.</summary>
    public static async Task<int> RunAsync(ServerOptions options, Func<ServerOptions, ISequenceLifecycleObserver?, CancellationToken, Task<IModelRegistry>> registryFactory,
        TextWriter output, TextWriter errors, CancellationToken stop)
    {
        var check = new ServerOptionsValidator().Validate(null, options);
        if (check.Failed)
        {
            errors.WriteLine("ovs serve: invalid settings:");
            foreach (var failure in check.Failures!) errors.WriteLine($"  {failure}");
            return 2;
        }

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
                output.WriteLine($"ovs serve: durable sequences in {options.StateDirectory} (msync every {options.StateSyncMilliseconds} ms)");
            }
            ids = new CorrelationIdManager(CorrelationIdManagerOptions.ForServer(options.StateDirectory));
            output.WriteLine($"ovs serve: loading {Path.GetFullPath(options.ModelRepository)}");
            options.ModelRepository = Path.GetFullPath(options.ModelRepository);
            registry = await registryFactory(options, ids, stop);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            errors.WriteLine($"ovs serve: {e.Message}");
            return 1;
        }

        try
        {
            var server = new OvsServer(registry, options, new CorrelationIdManagerAllocator(ids), logging: l => l.AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
            await using (server)
            {
                await server.StartAsync(stop);
                foreach (var entry in registry.Index())
                    output.WriteLine($"  model {entry.Name} {entry.Version} {entry.State}{(entry.Reason.Length > 0 ? ": " + entry.Reason : "")}");
                output.WriteLine($"  HTTP     {server.Addresses[0]}");
                output.WriteLine($"  gRPC     {server.Addresses[1]}");
                output.WriteLine($"  metrics  {server.Addresses[2]}/metrics");
                output.WriteLine("  Ctrl+C to stop");
                try
                {
                    await Task.Delay(Timeout.Infinite, stop);
                }
                catch (OperationCanceledException)
                {
                }
                output.WriteLine("ovs serve: stopping (in-flight requests finish first)");
                await server.StopAsync(CancellationToken.None);
            }
            return 0;
        }
        catch (Exception e) when (e is IOException or OptionsValidationException or InvalidOperationException)
        {
            // Typically a port in use: Kestrel's message names the address.
            errors.WriteLine($"ovs serve: {e.Message}");
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

    /// <summary>The checkout's example repository: models/ beside OvStateful.sln above the binaries.</summary>
    private static string? FindExampleModels()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OvStateful.sln")) && Directory.Exists(Path.Combine(dir.FullName, "models")))
                return Path.Combine(dir.FullName, "models");
        }
        return null;
    }
}
