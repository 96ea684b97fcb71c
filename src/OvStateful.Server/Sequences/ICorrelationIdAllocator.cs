using OvStateful.Core.Sequences;

namespace OvStateful.Server.Sequences;

/// <summary>
/// Hands out correlation ids (sequence ids) that no other client holds, so clients need not
/// invent them; served at POST /v2/sequences/allocate|release and ovs.SequenceIdService.
/// </summary>
public interface ICorrelationIdAllocator
{
    /// <summary>A fresh id, never <see cref="SequenceId.IsNone"/>, not held by anyone until released.</summary>
    SequenceId Allocate(bool asString);

    /// <summary>False when the id is not currently allocated.</summary>
    bool Release(SequenceId id);
}
