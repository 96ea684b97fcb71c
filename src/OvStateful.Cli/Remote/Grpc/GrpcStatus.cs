namespace OvStateful.Cli.Remote.Grpc;

/// <summary>gRPC status codes by name (grpc/doc/statuscodes.md), for error kinds people can read.</summary>
internal static class GrpcStatus
{
    private static readonly string[] Names =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    public const int Ok = 0, NotFound = 5, Unimplemented = 12;

    /// <summary>The status a client infers from a non-200 HTTP answer (grpc/doc/http-grpc-status-mapping.md).</summary>
    public static int FromHttp(int http) => http switch
    {
        400 => 13,
        401 => 16,
        403 => 7,
        404 => Unimplemented,
        429 or 502 or 503 or 504 => 14,
        _ => 2,
    };

    public static string Name(int code) => (uint)code < (uint)Names.Length ? Names[code] : $"status {code}";
}

/// <summary>A call ended with a non-OK grpc-status; <see cref="Kind"/> reads "grpc NOT_FOUND".</summary>
internal sealed class GrpcCallException(int status, string message)
    : Exception($"gRPC {GrpcStatus.Name(status)}: {message}")
{
    public int Status { get; } = status;
    public string Kind => "grpc " + GrpcStatus.Name(Status);
}
