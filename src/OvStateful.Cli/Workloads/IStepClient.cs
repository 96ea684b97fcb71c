using OvStateful.Core.Sequences;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Workloads;

/// <summary>One step of one sequence as a workload sends it.</summary>
internal readonly record struct StepCall(SequenceId Id, bool Start, bool End, IReadOnlyList<Tensor> Inputs);

/// <summary>
/// Where a workload's steps go: a served model in this process, or a server over HTTP or gRPC.
/// One instance per sequence client (a client sends its next step only when the previous one
/// has completed), so an implementation may keep per-sequence state such as an open stream.
/// Failures throw; <see cref="StepErrors.KindOf"/> names their kind.
/// </summary>
internal interface IStepClient : IAsyncDisposable
{
    /// <summary>The step's outputs in the order the model declares them.</summary>
    ValueTask<IReadOnlyList<Tensor>> SendAsync(StepCall step, CancellationToken cancellationToken);
}

/// <summary>A step failed at the far end; <see cref="Kind"/> is e.g. "http 400", "grpc INVALID_ARGUMENT", "transport".</summary>
internal sealed class StepFailedException(string kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Kind { get; } = kind;
}

internal static class StepErrors
{
    public static string KindOf(Exception e) => e switch
    {
        StepFailedException s => s.Kind,
        OvStateful.Core.Serving.InferenceException i => i.Kind.ToString(),
        OperationCanceledException => "cancelled",
        HttpRequestException or IOException => "transport",
        _ => e.GetType().Name,
    };
}
