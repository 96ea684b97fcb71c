using System.Buffers;

namespace OvStateful.Server.Http;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over one array rented from <see cref="ArrayPool{T}.Shared"/>,
/// reused request after request: <see cref="Reset"/> keeps the array (unless a large request
/// grew it past <see cref="RetainedBytes"/>), so writing a response header allocates nothing.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    /// <summary>Arrays larger than this go back to the pool at <see cref="Reset"/>: a rare big response must not pin memory in every pooled writer.</summary>
    public const int RetainedBytes = 64 * 1024;

    /// <summary>Rented from the shared pool; never null; bytes [0, _written) are the output so far.</summary>
    private byte[] _buffer;
    /// <summary>0 ≤ _written ≤ _buffer.Length.</summary>
    private int _written;

    public PooledBufferWriter(int initialBytes = 1024) => _buffer = ArrayPool<byte>.Shared.Rent(initialBytes);

    public int WrittenCount => _written;
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _written) throw new InvalidOperationException($"advanced {count} bytes past the {_buffer.Length - _written} available");
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Reset()
    {
        _written = 0;
        if (_buffer.Length > RetainedBytes)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(1024);
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _written = 0;
    }

    private void Reserve(int sizeHint)
    {
        var need = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= need) return;
        var grown = ArrayPool<byte>.Shared.Rent(checked(Math.Max(_buffer.Length * 2, _written + need)));
        _buffer.AsSpan(0, _written).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }
}
