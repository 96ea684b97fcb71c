using Grpc.Core;
using OvStateful.Cli.Workloads;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Cli.Remote.Grpc;

/// <summary>How gRPC failures become step failures: a call's status, a broken stream, or a step's error_message.</summary>
internal static class GrpcFailures
{
    /// <summary>"grpc NOT_FOUND", as the reports count error kinds.</summary>
    public static string Kind(StatusCode status) => "grpc " + status switch
    {
        StatusCode.OK => "OK",
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.NotFound => "NOT_FOUND",
        StatusCode.AlreadyExists => "ALREADY_EXISTS",
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        StatusCode.OutOfRange => "OUT_OF_RANGE",
        StatusCode.DataLoss => "DATA_LOSS",
        _ => status.ToString().ToUpperInvariant(),
    };

    public static StepFailedException Step(RpcException e) => new(Kind(e.StatusCode), $"gRPC {Kind(e.StatusCode)[5..]}: {e.Status.Detail}", e);

    /// <summary>The stream itself failed (not the step): its status, or the transport broke.</summary>
    public static bool IsStreamFailure(Exception e) => e is RpcException or HttpRequestException or IOException or InvalidOperationException;

    public static StepFailedException Stream(Exception e) =>
        e is RpcException r ? Step(r) : new StepFailedException("transport", e.Message, e);

    /// <summary>A stream response's outputs; a step's failure arrives as its error_message while the stream goes on.</summary>
    public static IReadOnlyList<Core.Tensors.Tensor> Outputs(Proto.ModelStreamInferResponse response) =>
        string.IsNullOrEmpty(response.ErrorMessage)
            ? GrpcProtocol.Outputs(response.InferResponse)
            : throw new StepFailedException("grpc stream error", response.ErrorMessage);
}
