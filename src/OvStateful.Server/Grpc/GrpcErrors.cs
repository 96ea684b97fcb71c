using Grpc.Core;
using OvStateful.Core.Serving;
using OvStateful.Server.Protocol;

namespace OvStateful.Server.Grpc;

/// <summary>The one place where errors become gRPC statuses.</summary>
internal static class GrpcErrors
{
    public static StatusCode StatusFor(InferenceErrorKind kind) => kind switch
    {
        InferenceErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        InferenceErrorKind.NotFound => StatusCode.NotFound,
        InferenceErrorKind.Unavailable => StatusCode.Unavailable,
        InferenceErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
        InferenceErrorKind.Cancelled => StatusCode.Cancelled,
        InferenceErrorKind.AlreadyExists => StatusCode.AlreadyExists,
        _ => StatusCode.Internal,
    };

    public static Status From(Exception error)
    {
        if (error is RpcException r) return r.Status;
        var e = InferenceInvoker.AsInferenceException(error);
        return new Status(StatusFor(e.Kind), e.Message);
    }
}
