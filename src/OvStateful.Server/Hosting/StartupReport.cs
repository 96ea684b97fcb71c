using System.Globalization;
using Microsoft.Extensions.Logging;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;

namespace OvStateful.Server.Hosting;

/// <summary>
/// What the server logs once it listens, as Triton does: a table of the options in force, a
/// table of the models (version, engine, device actually used, instances, slots, state bytes
/// per slot, threads, runtime and version, READY or the reason), and a warning for every
/// instance that runs on another device than the one asked for.
/// </summary>
internal static class StartupReport
{
    public static void Log(ILogger log, ServerOptions o, IModelRegistry registry, IReadOnlyList<string> addresses)
    {
        if (log.IsEnabled(LogLevel.Information))
        {
            log.LogInformation("server options{NewLine}{Table}", Environment.NewLine, OptionsTable(o, addresses));
            log.LogInformation("models{NewLine}{Table}", Environment.NewLine, ModelsTable(registry));
        }
        foreach (var (entry, model) in Models(registry))
        {
            foreach (var d in model?.Instances ?? [])
            {
                if (d.DeviceDiffers)
                {
                    log.LogWarning("model {Model} version {Version}: asked for device {DeviceRequested}, runs on {DeviceUsed}{Note}",
                        entry.Name, entry.Version, d.DeviceRequested, d.DeviceUsed, d.DeviceNote is { } n ? ": " + n : "");
                }
            }
            foreach (var w in model?.ConfigWarnings ?? [])
                log.LogWarning("model {Model} version {Version}: config: {Warning}", entry.Name, entry.Version, w);
            // A state of "" is a model not asked for (explicit model control): nothing to warn of.
            if (entry.State is not ("READY" or ""))
                log.LogWarning("model {Model} version {Version} is {State}: {Reason}", entry.Name, entry.Version, entry.State, entry.Reason);
        }
    }

    public static string OptionsTable(ServerOptions o, IReadOnlyList<string> addresses)
    {
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        var rows = new List<string[]>
        {
            new[] { "server_version", typeof(StartupReport).Assembly.GetName().Version?.ToString(3) ?? "" },
            new[] { "model_repository", o.ModelRepository },
            new[] { "http_address", addresses.Count > 0 ? addresses[0] : "" },
            new[] { "grpc_address", addresses.Count > 1 ? addresses[1] : "" },
            new[] { "metrics_address", addresses.Count > 2 ? addresses[2] + "/metrics" : "" },
            new[] { "default_engine", o.DefaultEngine },
            new[] { "device", o.Device.Length > 0 ? o.Device : "per model config" },
            new[] { "intra_op_threads", o.IntraOpThreads > 0 ? I(o.IntraOpThreads) : $"{o.EffectiveIntraOpThreads} (all cores but one)" },
            new[] { "inter_op_threads", o.InterOpThreads > 0 ? I(o.InterOpThreads) : "runtime default" },
            new[] { "spill", o.SpillEnabled ? $"on, cap {I(o.SpillMemoryCapBytes)} bytes" : "off" },
            new[] { "max_request_body_bytes", I(o.MaxRequestBodyBytes) },
            new[] { "shutdown_timeout_s", o.ShutdownTimeoutSeconds.ToString(CultureInfo.InvariantCulture) },
            new[] { "log_verbose", I(o.Log.Verbose) },
            new[] { "log_info / warning / error", $"{o.Log.Info} / {o.Log.Warning} / {o.Log.Error}".ToLowerInvariant() },
            new[] { "log_format", o.Log.Format },
            new[] { "log_file", o.Log.File.Length > 0 ? o.Log.File : "standard output" },
        };
        return TextTable.Render(["Option", "Value"], rows);
    }

    public static string ModelsTable(IModelRegistry registry)
    {
        var rows = new List<string[]>();
        foreach (var (entry, model) in Models(registry))
        {
            var status = entry.State switch { "READY" => "READY", "" => "not loaded", _ => $"{entry.State}: {entry.Reason}" };
            if (model is null)
            {
                rows.Add([entry.Name, entry.Version, "", "", "", "", "", "", "", status]);
                continue;
            }
            var instances = model.Instances;
            if (instances.Count == 0)
            {
                rows.Add([entry.Name, entry.Version, model.EngineName, "", "", "", "", "", "", status]);
                continue;
            }
            var first = instances[0];
            string Distinct(Func<EngineDescription, string> f) => string.Join(",", instances.Select(f).Where(s => s.Length > 0).Distinct());
            var runtime = first.Runtime.Length > 0 ? $"{first.Runtime} {first.RuntimeVersion}".Trim() : "";
            rows.Add([
                entry.Name, entry.Version, first.Engine, Distinct(d => d.DeviceUsed),
                instances.Count.ToString(CultureInfo.InvariantCulture),
                instances.Sum(d => d.Slots).ToString(CultureInfo.InvariantCulture),
                first.StateBytesPerSlot.ToString(CultureInfo.InvariantCulture),
                Distinct(d => d.IntraOpThreads > 0 ? d.IntraOpThreads.ToString(CultureInfo.InvariantCulture) : "default"),
                runtime, status,
            ]);
        }
        return TextTable.Render(["Model", "Version", "Engine", "Device", "Instances", "Slots", "State B/slot", "Threads", "Runtime", "Status"], rows);
    }

    /// <summary>Each index entry with its served model when it is loaded.</summary>
    private static IEnumerable<(ModelIndexEntry Entry, IServedModel? Model)> Models(IModelRegistry registry)
    {
        foreach (var entry in registry.Index())
        {
            IServedModel? model = null;
            if (entry.State == "READY" && registry.TryGet(entry.Name, entry.Version, out var m)) model = m;
            yield return (entry, model);
        }
    }
}
