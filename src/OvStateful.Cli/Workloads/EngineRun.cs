using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;

namespace OvStateful.Cli.Workloads;

/// <summary>One engine's run of a workload, or why it could not run.</summary>
internal sealed record EngineMeasurement(string Engine, string? EngineName, WorkloadResult? Result, BatchSizes Batches, string? Unavailable)
{
    /// <summary>Where the time went in the batcher and engine per step, over the same windows as the figures; null when not measured.</summary>
    public Reports.ServerSideReport? Server { get; init; }

    /// <summary>Sequences whose state was exported to host memory, and imported back (--spill).</summary>
    public SpillCounts? Spill { get; init; }

    public bool Ran => Result is not null;
}

/// <summary>Loads a repository model on one engine (a <see cref="ServedModel"/>: real engine, real batcher) and streams a workload through it.</summary>
internal static class EngineRun
{
    /// <summary>
    /// Null with <paramref name="reason"/> when the engine is missing here or cannot load this model;
    /// the caller decides whether that is fatal (run) or a row in a table (compare).
    /// </summary>
    public static ServedModel? TryLoad(ModelTarget target, EngineChoice choice, IReadOnlyList<IEngineProvider> providers, BatcherOptions options, out string? reason)
    {
        var provider = providers.First(p => p.Name == choice.Provider);
        reason = Unavailable(choice, providers);
        if (reason is not null) return null;
        try
        {
            reason = null;
            return ServedModel.Load(provider, target.Config, target.VersionText, target.Version.Directory, target.ModelFileFor(choice.Provider), options, choice.LoadDevice);
        }
        catch (Exception e) when (e is EngineException or IOException or ArgumentException or InvalidOperationException)
        {
            reason = $"cannot load {target.Name} on {choice.Label}: {OneLine(e.Message)}";
            return null;
        }
    }

    /// <summary>Why the engine's runtime is missing here (OpenVINO not installed, no GPU), or null when it is available.</summary>
    public static string? Unavailable(EngineChoice choice, IReadOnlyList<IEngineProvider> providers)
    {
        var provider = providers.First(p => p.Name == choice.Provider);
        try
        {
            var availability = provider.Availability;
            return availability.IsAvailable ? null : availability.Reason;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    public static async Task<EngineMeasurement> RunAsync(ServedModel model, EngineChoice choice, IStepSource source, WorkloadSettings settings,
        Func<StreamingWorkload, Task, Task>? progress, CancellationToken cancellationToken)
    {
        // The batcher's own statistics at the window boundaries: the server-side breakdown of the same windows.
        var probe = new ServerProbe(_ => Task.FromResult<ServerCounters?>(ServerCounters.From(model.GetStatistics())));
        var windowed = settings.Duration is null && settings.Measurement.Mode != MeasurementMode.Once;
        var ids = settings with { StringIds = model.Batcher.Settings.CorrelationIdKind == CorrelationIdKind.String, OnWindowBoundary = windowed ? probe.ReadAsync : null };
        var workload = new StreamingWorkload(source, ids, _ => new ServedModelClient(model));
        if (!windowed) await probe.ReadAsync(cancellationToken).ConfigureAwait(false);
        var run = workload.RunAsync(cancellationToken);
        if (progress is not null) await progress(workload, run).ConfigureAwait(false);
        var result = await run.ConfigureAwait(false);
        var stats = model.GetStatistics();
        if (!windowed) await probe.ReadAsync(CancellationToken.None).ConfigureAwait(false);
        var server = probe.Last(windowed ? result.Windowed?.Windows.Count ?? 0 : 1);
        return new EngineMeasurement(choice.Label, model.EngineName, result, BatchSizes.From(stats), null)
        {
            Spill = new SpillCounts(stats.SpillCount, stats.RestoreCount),
            Server = server is { } s ? Reports.ServerSideReport.From(s.Delta, (result.Windowed?.Latency ?? result.Latency).MeanMs) : null,
        };
    }

    public static string OneLine(string text) =>
        string.Join(" ", text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

/// <param name="Spilled">States exported to host memory because every slot was busy.</param>
/// <param name="Restored">Spilled states imported back into a slot for their next step.</param>
internal sealed record SpillCounts(ulong Spilled, ulong Restored);
