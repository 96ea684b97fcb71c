using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace OvStateful.Cli.Remote.Grpc;

/// <summary>
/// Reads gRPC length-prefixed messages from a response body through one reused buffer: the
/// 5-byte prefix and the message usually arrive in one read, so a step costs one read of the
/// body and no allocation (the bench client reads hundreds of thousands of small responses).
/// </summary>
internal sealed class GrpcMessageReader(Stream stream)
{
    private const int HeaderSize = 5;
    private const int MaxMessage = 1 << 30;
    // Bytes read but not yet handed out are _buffer[_start.._end].
    private byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;

    /// <summary>
    /// The next message's bytes, valid until the next call; null at the end of the stream. A
    /// compressed message is refused (this client never asks for compression).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var available = _end - _start;
            var needed = HeaderSize;
            if (available >= HeaderSize)
            {
                if (_buffer[_start] != 0) throw new IOException("the server sent a compressed gRPC message, which this client did not ask for");
                var length = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start + 1));
                if (length > MaxMessage) throw new IOException($"gRPC message of {length} bytes is larger than 1 GiB");
                needed = HeaderSize + (int)length;
                if (available >= needed)
                {
                    var message = _buffer.AsMemory(_start + HeaderSize, needed - HeaderSize);
                    _start += needed;
                    return message;
                }
            }
            MakeRoom(needed);
            var n = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                if (available == 0) return null;
                throw new IOException(available < HeaderSize ? "the gRPC stream ended inside a message header" : "the gRPC stream ended inside a message");
            }
            _end += n;
        }
    }

    /// <summary>Room after _end for the rest of a frame of <paramref name="frame"/> bytes starting at _start.</summary>
    private void MakeRoom(int frame)
    {
        var pending = _end - _start;
        if (pending == 0) _start = _end = 0;
        if (_start + frame <= _buffer.Length && _end < _buffer.Length) return;
        // The handed-out message before _start is no longer valid: move the pending bytes to the front.
        var target = frame <= _buffer.Length ? _buffer : new byte[Math.Max(frame, _buffer.Length * 2)];
        _buffer.AsSpan(_start, pending).CopyTo(target);
        _buffer = target;
        _start = 0;
        _end = pending;
    }
}
