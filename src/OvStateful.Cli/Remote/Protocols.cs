namespace OvStateful.Cli.Remote;

internal static class Protocols
{
    public static IRemoteProtocol Create(string protocol, Uri url, string httpFormat, string grpcMode) => protocol switch
    {
        "http" => new HttpProtocol(url, httpFormat == "binary"),
        "grpc" => throw new UsageException("--protocol grpc is not built into this ovs yet; use --protocol http"),
        _ => throw new UsageException($"unknown protocol \"{protocol}\"; valid: http, grpc"),
    };
}
