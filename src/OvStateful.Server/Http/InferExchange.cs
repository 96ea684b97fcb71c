using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.ObjectPool;
using OvStateful.Server.SharedMemory;

namespace OvStateful.Server.Http;

/// <summary>
/// What one REST inference needs besides the body and Core's own objects, pooled across
/// requests so that the hot path allocates nothing of its own: the parsed header, the
/// response header's writer and buffer, the arrays JSON tensor data is decoded into (and a
/// body that came in pieces, or the header's skeleton, is copied into), and the
/// request's shared-memory tensors when it uses any. An
/// exchange belongs to one request from <see cref="Rent"/> to <see cref="Return"/>; tensors
/// of that request may point into its arrays until then.
/// </summary>
internal sealed class InferExchange
{
    /// <summary>Enough for every connection of a busy load generator; beyond it, exchanges are dropped, not hoarded.</summary>
    private const int Retained = 1024;

    private static readonly ObjectPool<InferExchange> Pool = new DefaultObjectPool<InferExchange>(new Policy(), Retained);

    /// <summary>Arrays up to this size stay with the exchange for the next request; a larger one is rented and given back.</summary>
    private const int KeptArrayBytes = 64 * 1024;
    /// <summary>At most this many arrays stay with an exchange (inputs past it rent theirs): with <see cref="KeptArrayBytes"/>, what an idle exchange can hold.</summary>
    private const int KeptArrays = 8;

    /// <summary>
    /// The exchange's own arrays for decoded JSON tensor data and body copies, kept across requests (the shared
    /// ArrayPool misses when a hundred requests hold arrays at once, and then allocates):
    /// [0, _used) belong to the current request, the rest wait for the next one.
    /// </summary>
    private readonly List<byte[]> _arrays = new(4);
    /// <summary>How many of <see cref="_arrays"/> the current request uses; 0 ≤ _used ≤ _arrays.Count.</summary>
    private int _used;
    /// <summary>Arrays over <see cref="KeptArrayBytes"/> rented for this request from the shared pool; returned at <see cref="Return"/>.</summary>
    private readonly List<byte[]> _rented = new(0);

    private InferExchange()
    {
        Writer = new Utf8JsonWriter(ResponseHeader);
    }

    public InferHeader Header { get; } = new();
    /// <summary>The arrays <see cref="HeaderSkeleton"/> cut out of this request's header, in header order; cleared with it.</summary>
    public List<HeaderSkeleton.Cut> Cuts { get; } = new(2);
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
        if (bytes > KeptArrayBytes || _used == KeptArrays)
        {
            var large = ArrayPool<byte>.Shared.Rent(bytes);
            _rented.Add(large);
            return large;
        }
        if (_used == _arrays.Count) _arrays.Add([]);
        var array = _arrays[_used];
        // Sized in powers of two, so that a sequence's next requests (the same shapes) reuse it.
        if (array.Length < bytes) _arrays[_used] = array = GC.AllocateUninitializedArray<byte>((int)Math.Min(KeptArrayBytes, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)bytes)));
        _used++;
        return array;
    }

    private bool TryReset()
    {
        SharedMemory?.Dispose();
        SharedMemory = null;
        _used = 0;
        foreach (var a in _rented) ArrayPool<byte>.Shared.Return(a);
        _rented.Clear();
        Header.Reset();
        Cuts.Clear();
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
