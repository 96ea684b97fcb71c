using OvStateful.Core.Serving;

namespace OvStateful.Server.Protocol;

/// <summary>Errors the server raises itself (before a request reaches a model), worded once for both protocols.</summary>
internal static class ServerErrors
{
    public static InferenceException Invalid(string message) => new(InferenceErrorKind.InvalidArgument, message);

    public static InferenceException NotFound(string message) => new(InferenceErrorKind.NotFound, message);

    public static PayloadTooLargeException BodyTooLarge(long limit) =>
        new( $"request body is larger than the limit of {limit} bytes (setting Server:MaxRequestBodyBytes)");

    public static PayloadTooLargeException MessageTooLarge(long length, long limit) =>
        new( $"gRPC message of {length} bytes is larger than the limit of {limit} bytes (setting Server:MaxRequestBodyBytes)");
}

/// <summary>A request body or gRPC message over Server:MaxRequestBodyBytes (HTTP 413, gRPC RESOURCE_EXHAUSTED).</summary>
internal sealed class PayloadTooLargeException(string message) : Exception(message);
