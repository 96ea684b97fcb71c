using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.ObjectPool;

namespace OvStateful.Server.Grpc;

/// <summary>
/// Marshallers for our service methods. They differ from the generated ones in one thing:
/// bytes that do not parse are the client's fault, so they fail the call with
/// INVALID_ARGUMENT naming the message type (the generated ones surface as UNKNOWN), or, on a
/// stream, become an <see cref="Incoming{T}"/> error that answers that request alone.
/// </summary>
internal static class ProtoMarshallers
{
    public static Marshaller<T> For<T>(MessageParser<T> parser) where T : class, IMessage<T> =>
        new(Serialize, context =>
        {
            try
            {
                return parser.ParseFrom(context.PayloadAsReadOnlySequence());
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, Malformed<T>(e)));
            }
        });

    /// <summary>For a stream's requests; with a pool, each message is parsed into one rented from it (the handler returns it).</summary>
    public static Marshaller<Incoming<T>> Tolerant<T>(MessageParser<T> parser, ObjectPool<T>? pool = null) where T : class, IMessage<T> =>
        new((incoming, context) => Serialize(incoming.Message ?? throw new InvalidOperationException("a malformed message is never sent"), context),
            context => pool is null ? Parse(parser, context) : Parse(pool, context));

    private static void Serialize<T>(T message, SerializationContext context) where T : IMessage<T>
    {
        context.SetPayloadLength(message.CalculateSize());
        message.WriteTo(context.GetBufferWriter());
        context.Complete();
    }

    private static Incoming<T> Parse<T>(MessageParser<T> parser, DeserializationContext context) where T : class, IMessage<T>
    {
        try
        {
            return new Incoming<T>(parser.ParseFrom(context.PayloadAsReadOnlySequence()), null);
        }
        catch (InvalidProtocolBufferException e)
        {
            return new Incoming<T>(null, Malformed<T>(e));
        }
    }

    private static Incoming<T> Parse<T>(ObjectPool<T> pool, DeserializationContext context) where T : class, IMessage<T>
    {
        var message = pool.Get();
        try
        {
            message.MergeFrom(context.PayloadAsReadOnlySequence());
            return new Incoming<T>(message, null);
        }
        catch (InvalidProtocolBufferException e)
        {
            pool.Return(message);
            return new Incoming<T>(null, Malformed<T>(e));
        }
    }

    // Our top-level message classes carry their proto names (ModelInferRequest).
    private static string Malformed<T>(InvalidProtocolBufferException e) => $"malformed protobuf {typeof(T).Name}: {e.Message}";
}
