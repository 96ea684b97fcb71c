using Google.Protobuf;

namespace OvStateful.Cli.Remote.Grpc;

/// <summary>One unary gRPC call over an HTTP/2 <see cref="HttpClient"/>.</summary>
internal static class GrpcUnaryCall
{
    /// <param name="method">"/inference.GRPCInferenceService/ModelInfer".</param>
    public static async Task<TResponse> CallAsync<TResponse>(HttpClient http, string method, IMessage request, MessageParser<TResponse> parser, CancellationToken cancellationToken)
        where TResponse : IMessage<TResponse>
    {
        using var message = GrpcFrames.Request(method, new ByteArrayContent(GrpcFrames.Frame(request)));
        using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode != 200)
            throw new GrpcCallException(GrpcStatus.FromHttp((int)response.StatusCode), $"HTTP {(int)response.StatusCode} from {method}");
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var reader = new GrpcMessageReader(stream);
        // Parsed before the next read reuses the reader's buffer.
        var body = await reader.ReadAsync(cancellationToken).ConfigureAwait(false) is { } m ? parser.ParseFrom(m.Span) : default;
        // Drain to the end so the trailers arrive.
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) is not null) { }
        var status = GrpcFrames.Status(response) ?? (-1, "no grpc-status in the response");
        if (status.Status != GrpcStatus.Ok) throw new GrpcCallException(status.Status == -1 ? 2 : status.Status, status.Message);
        if (body is null) throw new GrpcCallException(13, $"{method} answered OK without a message");
        return body;
    }
}
