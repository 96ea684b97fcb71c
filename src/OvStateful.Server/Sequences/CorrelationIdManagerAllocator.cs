using OvStateful.Core.Sequences;

namespace OvStateful.Server.Sequences;

/// <summary>
/// The allocation endpoints over Core's <see cref="CorrelationIdManager"/>: leased ids that the
/// batcher ends on END or idle timeout when the manager is registered as its lifecycle observer.
/// </summary>
public sealed class CorrelationIdManagerAllocator(CorrelationIdManager manager) : ICorrelationIdAllocator
{
    public CorrelationIdManager Manager { get; } = manager;

    public SequenceId Allocate(bool asString) => Manager.Acquire(asString ? CorrelationIdKind.String : CorrelationIdKind.UInt64);

    public bool Release(SequenceId id) => Manager.Release(id);
}
