using Grpc.Core;

namespace OvStateful.Server.Grpc;

/// <summary>
/// Responses are compressed exactly when the client compressed its request (grpc-encoding:
/// gzip): a client asks for compression by using it. Every client also lists gzip in
/// grpc-accept-encoding, so compressing on that alone would cost every call CPU for nothing on
/// loopback and LANs. Grpc.AspNetCore takes a call's response encoding from the
/// grpc-internal-encoding-request entry of its response headers.
/// </summary>
internal static class ResponseEncoding
{
    public const string Gzip = "gzip";

    /// <summary>The response headers a call starts with: empty, or the compression the request used.</summary>
    public static Metadata Headers(ServerCallContext context)
    {
        var headers = new Metadata();
        if (RequestIsGzip(context)) headers.Add("grpc-internal-encoding-request", Gzip);
        return headers;
    }

    /// <summary>For unary calls: sends the headers now only when they carry the compression.</summary>
    public static Task MirrorAsync(ServerCallContext context) =>
        RequestIsGzip(context) ? context.WriteResponseHeadersAsync(Headers(context)) : Task.CompletedTask;

    private static bool RequestIsGzip(ServerCallContext context) =>
        string.Equals(context.GetHttpContext().Request.Headers["grpc-encoding"], Gzip, StringComparison.OrdinalIgnoreCase);
}
