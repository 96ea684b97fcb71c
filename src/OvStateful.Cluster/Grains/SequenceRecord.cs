using OvStateful.Core.Engines;

namespace OvStateful.Cluster.Grains;

/// <summary>
/// A sequence as grain storage keeps it. With persistence on, written with every acknowledged
/// step (the state after it); off, written once at START (where it lives), so that after its
/// node died the next step can say what was lost instead of silently starting over.
/// </summary>
[GenerateSerializer]
public sealed class SequenceRecord
{
    /// <summary>The node that owns (owned) the sequence.</summary>
    [Id(0)] public string Node { get; set; } = "";
    /// <summary>Steps acknowledged so far.</summary>
    [Id(1)] public long Steps { get; set; }
    /// <summary>The state after step <see cref="Steps"/>; null with persistence off.</summary>
    [Id(2)] public SlotSnapshot? State { get; set; }
    [Id(3)] public string? Version { get; set; }
    /// <summary>The last acknowledged step's request id and answer, so a retry after a lost response is answered once.</summary>
    [Id(4)] public string? LastRequestId { get; set; }
    [Id(5)] public Wire.StepAnswer? LastAnswer { get; set; }
    /// <summary>The owning silo (address and generation): a node restarted under the same name is another silo.</summary>
    [Id(6)] public string Silo { get; set; } = "";
}

/// <summary>What travels in the dehydration context when a sequence grain migrates.</summary>
[GenerateSerializer, Immutable]
public sealed record HandOverState
{
    [Id(0)] public string? Version { get; init; }
    [Id(1)] public SlotSnapshot? State { get; init; }
    [Id(2)] public bool Live { get; init; }
    [Id(3)] public long Steps { get; init; }
    [Id(4)] public string? LastRequestId { get; init; }
    [Id(5)] public Wire.StepAnswer? LastAnswer { get; init; }
    [Id(6)] public string From { get; init; } = "";
}
