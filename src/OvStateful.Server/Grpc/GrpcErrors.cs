using System.Text;
using OvStateful.Core.Serving;
using OvStateful.Server.Protocol;

namespace OvStateful.Server.Grpc;

/// <summary>A failure of the gRPC protocol itself (unknown method, compressed message), with its status.</summary>
internal sealed class GrpcProtocolException(GrpcStatusCode status, string message) : Exception(message)
{
    public GrpcStatusCode Status { get; } = status;
}

/// <summary>The one place where errors become gRPC statuses.</summary>
internal static class GrpcErrors
{
    public static GrpcStatusCode StatusFor(InferenceErrorKind kind) => kind switch
    {
        InferenceErrorKind.InvalidArgument => GrpcStatusCode.InvalidArgument,
        InferenceErrorKind.NotFound => GrpcStatusCode.NotFound,
        InferenceErrorKind.Unavailable => GrpcStatusCode.Unavailable,
        InferenceErrorKind.ResourceExhausted => GrpcStatusCode.ResourceExhausted,
        InferenceErrorKind.Cancelled => GrpcStatusCode.Cancelled,
        _ => GrpcStatusCode.Internal,
    };

    public static (GrpcStatusCode Status, string Message) From(Exception error) => error switch
    {
        GrpcProtocolException p => (p.Status, p.Message),
        PayloadTooLargeException t => (GrpcStatusCode.ResourceExhausted, t.Message),
        _ => Map(InferenceInvoker.AsInferenceException(error)),
    };

    private static (GrpcStatusCode, string) Map(InferenceException e) => (StatusFor(e.Kind), e.Message);

    /// <summary>grpc-message is percent-encoded UTF-8: bytes outside printable ASCII, and '%', become %XX.</summary>
    public static string EncodeMessage(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var sb = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%') sb.Append((char)b);
            else sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
