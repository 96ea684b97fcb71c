using System.Buffers.Binary;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace OvStateful.Cli.Remote.Grpc;

/// <summary>
/// gRPC's HTTP/2 wire format (grpc/doc/PROTOCOL-HTTP2.md), enough for a client: each message
/// is a 5-byte prefix (compressed flag 0, big-endian length) and the protobuf bytes; the
/// status comes in the trailers (grpc-status, grpc-message), or in the headers of a
/// trailers-only response.
/// </summary>
internal static class GrpcFrames
{
    public const string ContentType = "application/grpc";

    public static byte[] Frame(IMessage message)
    {
        var size = message.CalculateSize();
        var bytes = new byte[5 + size];
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1), (uint)size);
        message.WriteTo(bytes.AsSpan(5));
        return bytes;
    }

    public static HttpRequestMessage Request(string method, HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, method)
        {
            Version = System.Net.HttpVersion.Version20,
            // h2c prior knowledge: never fall back to HTTP/1.1 (a gRPC port does not speak it).
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        content.Headers.ContentType = new MediaTypeHeaderValue(ContentType);
        return request;
    }

    /// <summary>Reads one message; null at the end of the stream. A compressed message is refused (we never ask for compression).</summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[5];
        var got = await ReadFullyAsync(stream, header, cancellationToken).ConfigureAwait(false);
        if (got == 0) return null;
        if (got < 5) throw new IOException("the gRPC stream ended inside a message header");
        if (header[0] != 0) throw new IOException("the server sent a compressed gRPC message, which this client did not ask for");
        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        if (length > 1 << 30) throw new IOException($"gRPC message of {length} bytes is larger than 1 GiB");
        var body = new byte[length];
        if (await ReadFullyAsync(stream, body, cancellationToken).ConfigureAwait(false) < body.Length)
            throw new IOException("the gRPC stream ended inside a message");
        return body;
    }

    /// <summary>The call's status: trailers first, then the headers (trailers-only responses). Null when neither carries one yet.</summary>
    public static (int Status, string Message)? Status(HttpResponseMessage response)
    {
        foreach (var headers in new HttpHeaders[] { response.TrailingHeaders, response.Headers })
        {
            if (headers.TryGetValues("grpc-status", out var values) && int.TryParse(values.FirstOrDefault(), out var status))
            {
                var message = headers.TryGetValues("grpc-message", out var m) ? Uri.UnescapeDataString(m.FirstOrDefault() ?? "") : "";
                return (status, message);
            }
        }
        return null;
    }

    private static async Task<int> ReadFullyAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
