namespace OvStateful.Cli.Remote;

internal static class Protocols
{
    public static IRemoteProtocol Create(string protocol, Uri url, string httpFormat, string grpcMode) => protocol switch
    {
        "http" => new HttpProtocol(url, httpFormat == "binary"),
        "grpc" => new Grpc.GrpcProtocol(url, grpcMode == "stream"),
        _ => throw new UsageException($"unknown protocol \"{protocol}\"; valid: http, grpc"),
    };
}
