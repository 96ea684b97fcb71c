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
        var bytes = new byte[5 + message.CalculateSize()];
        Write(message, bytes);
        return bytes;
    }

    /// <summary>The message framed into a buffer from the shared pool; the caller returns it.</summary>
    public static (byte[] Buffer, int Length) FramePooled(IMessage message)
    {
        var length = 5 + message.CalculateSize();
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        Write(message, buffer.AsSpan(0, length));
        return (buffer, length);
    }

    private static void Write(IMessage message, Span<byte> frame)
    {
        frame[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(frame[1..], (uint)(frame.Length - 5));
        message.WriteTo(frame[5..]);
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
}
