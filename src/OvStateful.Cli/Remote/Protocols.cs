namespace OvStateful.Cli.Remote;

internal static class Protocols
{
    public static IRemoteProtocol Create(string protocol, Uri url, string httpFormat, string grpcMode, int? grpcStreams = null) => protocol switch
    {
        "http" => new HttpProtocol(url, httpFormat == "binary"),
        "grpc" => new Grpc.GrpcProtocol(url, grpcMode == "stream", grpcStreams),
        _ => throw new UsageException($"unknown protocol \"{protocol}\"; valid: http, grpc"),
    };

    /// <summary>The statistics extension beside a protocol: gRPC's own channel, or a small REST client of its own for HTTP.</summary>
    public static IServerStatistics Statistics(IRemoteProtocol protocol, Uri url) => protocol as IServerStatistics ?? new RestStatistics(url);
}
