namespace OvStateful.Cli.Remote;

internal static class Protocols
{
    public static IRemoteProtocol Create(string protocol, Uri url, string httpFormat, string grpcMode, int? grpcStreams = null) => protocol switch
    {
        "http" => new HttpProtocol(url, httpFormat == "binary"),
        "grpc" => new Grpc.GrpcProtocol(url, grpcMode == "stream", grpcStreams),
        _ => throw new UsageException($"unknown protocol \"{protocol}\"; valid: http, grpc"),
    };
}
