using OvStateful.Core.Serving;

namespace OvStateful.Server.Protocol;

/// <summary>Errors the server raises itself (before a request reaches a model), worded once for both protocols.</summary>
internal static class ServerErrors
{
    public static InferenceException Invalid(string message) => new(InferenceErrorKind.InvalidArgument, message);

    public static InferenceException NotFound(string message) => new(InferenceErrorKind.NotFound, message);

    public static PayloadTooLargeException BodyTooLarge(long limit) =>
        new( $"request body is larger than the limit of {limit} bytes (setting Server:MaxRequestBodyBytes)");
}

/// <summary>An HTTP request body over Server:MaxRequestBodyBytes (413).</summary>
internal sealed class PayloadTooLargeException(string message) : Exception(message);
