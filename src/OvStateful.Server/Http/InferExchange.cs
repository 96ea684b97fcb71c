using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.ObjectPool;
using OvStateful.Server.SharedMemory;

namespace OvStateful.Server.Http;

/// <summary>
/// What one REST inference needs besides the body and Core's own objects, pooled across
/// requests so that the hot path allocates nothing of its own: the parsed header, the
/// response header's writer and buffer, the arrays rented for JSON tensor data, and the
/// request's shared-memory tensors when it uses any. An
/// exchange belongs to one request from <see cref="Rent"/> to <see cref="Return"/>; tensors
/// of that request may point into its rented arrays until then.
/// </summary>
internal sealed class InferExchange
{
    /// <summary>Enough for every connection of a busy load generator; beyond it, exchanges are dropped, not hoarded.</summary>
    private const int Retained = 1024;

    private static readonly ObjectPool<InferExchange> Pool = new DefaultObjectPool<InferExchange>(new Policy(), Retained);

    /// <summary>Arrays rented for this request (decoded JSON tensor data); returned at <see cref="Return"/>.</summary>
    private readonly List<byte[]> _rented = new(2);

    private InferExchange()
    {
        Writer = new Utf8JsonWriter(ResponseHeader);
    }

    public InferHeader Header { get; } = new();
    /// <summary>The response's JSON header, written by <see cref="Writer"/>.</summary>
    public PooledBufferWriter ResponseHeader { get; } = new();
    /// <summary>Writes into <see cref="ResponseHeader"/>; reset with it.</summary>
    public Utf8JsonWriter Writer { get; }

    /// <summary>
    /// The request's tensors in shared memory: null until its first tensor that uses a region
    /// (SharedMemoryTensors.For), then holding its output leases until <see cref="Return"/>
    /// disposes it. A field, so that the codec can make it in place.
    /// </summary>
    public SharedMemoryTensors? SharedMemory;

    public static InferExchange Rent() => Pool.Get();

    public static void Return(InferExchange exchange) => Pool.Return(exchange);

    /// <summary>An array of at least <paramref name="bytes"/> that stays this request's until it ends.</summary>
    public byte[] RentArray(int bytes)
    {
        var array = ArrayPool<byte>.Shared.Rent(bytes);
        _rented.Add(array);
        return array;
    }

    private bool TryReset()
    {
        SharedMemory?.Dispose();
        SharedMemory = null;
        foreach (var a in _rented) ArrayPool<byte>.Shared.Return(a);
        _rented.Clear();
        Header.Reset();
        ResponseHeader.Reset();
        Writer.Reset(ResponseHeader);
        return true;
    }

    private sealed class Policy : IPooledObjectPolicy<InferExchange>
    {
        public InferExchange Create() => new();

        public bool Return(InferExchange obj) => obj.TryReset();
    }
}
