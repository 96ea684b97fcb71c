using Microsoft.Extensions.Logging;
using OvStateful.Core.Sequences;

namespace OvStateful.Server.Sequences;

/// <summary>
/// At verbose levels (Debug), a line per sequence start, end, spill, restore and expiry, with
/// the model and the sequence id. Cheap when off: one level check per event.
/// </summary>
public sealed class SequenceLog(ILogger log) : ISequenceLifecycleObserver
{
    public void SequenceStarted(string modelName, SequenceId id)
    {
        if (log.IsEnabled(LogLevel.Debug)) log.LogDebug("sequence start: model {Model}, sequence {SequenceId}", modelName, id.ToString());
    }

    public void SequenceEnded(string modelName, SequenceId id, SequenceEndReason reason)
    {
        if (!log.IsEnabled(LogLevel.Debug)) return;
        var what = reason switch
        {
            SequenceEndReason.End => "end",
            SequenceEndReason.IdleTimeout => "expired (idle timeout)",
            SequenceEndReason.Cancelled => "cancelled before it ran",
            SequenceEndReason.Error => "lost (its state could not be spilled or restored)",
            SequenceEndReason.HandedOver => "handed over to another node",
            _ => "ended by shutdown",
        };
        log.LogDebug("sequence {Event}: model {Model}, sequence {SequenceId}", what, modelName, id.ToString());
    }

    public void SequenceSpilled(string modelName, SequenceId id)
    {
        if (log.IsEnabled(LogLevel.Debug)) log.LogDebug("sequence spill: model {Model}, sequence {SequenceId}: state moved to host memory", modelName, id.ToString());
    }

    public void SequenceRestored(string modelName, SequenceId id)
    {
        if (log.IsEnabled(LogLevel.Debug)) log.LogDebug("sequence restore: model {Model}, sequence {SequenceId}: state back in a slot", modelName, id.ToString());
    }
}

/// <summary>Several observers as one (the correlation-id manager and the sequence log), told in order.</summary>
public sealed class SequenceObservers(params ISequenceLifecycleObserver[] observers) : ISequenceLifecycleObserver
{
    public void SequenceStarted(string modelName, SequenceId id)
    {
        foreach (var o in observers) o.SequenceStarted(modelName, id);
    }

    public void SequenceEnded(string modelName, SequenceId id, SequenceEndReason reason)
    {
        foreach (var o in observers) o.SequenceEnded(modelName, id, reason);
    }

    public void SequenceSpilled(string modelName, SequenceId id)
    {
        foreach (var o in observers) o.SequenceSpilled(modelName, id);
    }

    public void SequenceRestored(string modelName, SequenceId id)
    {
        foreach (var o in observers) o.SequenceRestored(modelName, id);
    }
}
