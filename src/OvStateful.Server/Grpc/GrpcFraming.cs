using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Google.Protobuf;
using OvStateful.Server.Protocol;

namespace OvStateful.Server.Grpc;

/// <summary>
/// gRPC length-prefixed messages on an HTTP/2 stream: one byte compressed flag, a 4-byte
/// big-endian length, then the protobuf bytes.
/// </summary>
internal static class GrpcFraming
{
    public const int HeaderSize = 5;

    /// <summary>The next message, or null when the client has half-closed the stream between messages.</summary>
    public static async ValueTask<T?> ReadMessageAsync<T>(PipeReader reader, MessageParser<T> parser, long limit, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= HeaderSize)
            {
                var (compressed, length) = ReadHeader(buffer);
                if (compressed)
                {
                    reader.AdvanceTo(buffer.Start);
                    throw new GrpcProtocolException(GrpcStatusCode.Unimplemented, "compressed gRPC messages are not supported; send with identity encoding");
                }
                if (length > limit)
                {
                    reader.AdvanceTo(buffer.Start);
                    throw ServerErrors.MessageTooLarge(length, limit);
                }
                if (buffer.Length >= HeaderSize + length)
                {
                    var payload = buffer.Slice(HeaderSize, length);
                    T message;
                    try
                    {
                        message = parser.ParseFrom(payload);
                    }
                    catch (InvalidProtocolBufferException e)
                    {
                        throw ServerErrors.Invalid($"malformed protobuf {typeof(T).Name}: {e.Message}");
                    }
                    finally
                    {
                        reader.AdvanceTo(payload.End);
                    }
                    return message;
                }
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                var leftover = buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (leftover == 0) return null;
                throw ServerErrors.Invalid($"request stream ended inside a gRPC message ({leftover} bytes of an incomplete frame)");
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static (bool Compressed, uint Length) ReadHeader(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        return (header[0] != 0, BinaryPrimitives.ReadUInt32BigEndian(header[1..]));
    }

    /// <summary>Writes one message into the pipe without flushing it.</summary>
    public static void WriteMessage(PipeWriter writer, IMessage message)
    {
        var size = message.CalculateSize();
        var header = writer.GetSpan(HeaderSize);
        header[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)size);
        writer.Advance(HeaderSize);
        message.WriteTo((IBufferWriter<byte>)writer);
    }
}
