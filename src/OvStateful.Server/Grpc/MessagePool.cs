using System.Collections.Concurrent;
using Google.Protobuf;

namespace OvStateful.Server.Grpc;

/// <summary>
/// Parsed request messages to parse into again (<see cref="ProtoMarshallers.Tolerant{T}(MessageParser{T}, MessagePool{T}?)"/>).
/// A rented message belongs to the handler that reads it until the handler has built its
/// answer; the handler then returns it, and must not read it again. Nothing else may keep a
/// pooled message: the tensors decoded from it refer to its byte strings, which a clear drops
/// and never changes, so they outlive the message's reuse.
/// </summary>
internal sealed class MessagePool<T>(Func<T> create, Action<T> clear, int capacity) where T : class, IMessage<T>
{
    // Cleared messages nobody holds; at most capacity.
    private readonly ConcurrentQueue<T> _free = new();

    public T Rent() => _free.TryDequeue(out var m) ? m : create();

    public void Return(T message)
    {
        clear(message);
        if (_free.Count < capacity) _free.Enqueue(message);
    }
}
