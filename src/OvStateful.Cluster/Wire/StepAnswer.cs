using OvStateful.Core.Serving;

namespace OvStateful.Cluster.Wire;

/// <summary>
/// What a sequence grain answers for one step: the response, or the error the owning node's
/// batcher gave (its kind and message, raised again unchanged at the node the client called).
/// Errors travel as values so that no exception (and no stack trace) crosses nodes.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record StepAnswer
{
    /// <summary>Set exactly when the step succeeded.</summary>
    [Id(0)] public InferenceResponse? Response { get; init; }
    /// <summary>An <see cref="InferenceErrorKind"/> (as a number: Orleans needs no codec for Core's enum).</summary>
    [Id(1)] public int Kind { get; init; }
    public InferenceErrorKind ErrorKind => (InferenceErrorKind)Kind;
    /// <summary>Set exactly when the step failed.</summary>
    [Id(2)] public string? Error { get; init; }
    /// <summary>The node that owns the sequence (ran the step).</summary>
    [Id(3)] public string Node { get; init; } = "";
    /// <summary>The answer kept for a retried request (same request id as the last step), not run again.</summary>
    [Id(4)] public bool Replayed { get; init; }

    public static StepAnswer Failed(InferenceErrorKind kind, string message, string node) => new() { Kind = (int)kind, Error = message, Node = node };
}
