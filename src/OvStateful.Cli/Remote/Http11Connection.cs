using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using OvStateful.Cli.Workloads;

namespace OvStateful.Cli.Remote;

/// <summary>
/// One HTTP/1.1 keep-alive connection for a load generator's steps, one request at a time, over
/// a plain socket: the caller hands over a whole request (head and body) and gets the response's
/// status, the headers a step needs and the body in a buffer this connection reuses. Cheaper per
/// step than SocketsHttpHandler (measured in bench/README.md), and still HTTP/1.1: responses
/// framed by Content-Length, chunked transfer coding (trailers skipped) or, without either, the
/// connection's end; interim 1xx responses skipped; "Connection: close" honoured (the next
/// request opens a new connection); a connection that failed or was cancelled mid-exchange is
/// closed, never reused.
/// </summary>
internal sealed class Http11Connection(DnsEndPoint endpoint) : IDisposable
{
    /// <summary>Open and in step with the server (no response partly read), or null.</summary>
    private Socket? _socket;
    /// <summary>Bytes received and not yet consumed: [_start, _end) of <see cref="_in"/>; 0 ≤ _start ≤ _end ≤ _in.Length.</summary>
    private byte[] _in = new byte[16 * 1024];
    private int _start, _end;

    /// <summary>The last response's body: [0, <see cref="Response.Length"/>); grows to the largest seen.</summary>
    public byte[] Body { get; private set; } = new byte[16 * 1024];

    /// <summary>The parts of a response a step reads.</summary>
    public readonly record struct Response(int Status, int Length, int InferenceHeaderLength);

    /// <summary>Sends <paramref name="request"/> and reads the whole response into <see cref="Body"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Response> ExchangeAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        var socket = _socket ??= await ConnectAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!request.IsEmpty)
            {
                var sent = await socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                request = request[sent..];
            }
            Head head;
            do head = await ReadHeadAsync(socket, cancellationToken).ConfigureAwait(false);
            while (head.Status is >= 100 and < 200);
            int length;
            if (head.Status is 204 or 304) length = 0;
            else if (head.Chunked) length = await ReadChunkedAsync(socket, cancellationToken).ConfigureAwait(false);
            else if (head.ContentLength >= 0) length = await ReadExactlyAsync(socket, head.ContentLength, cancellationToken).ConfigureAwait(false);
            else
            {
                length = await ReadToEndAsync(socket, cancellationToken).ConfigureAwait(false);
                head = head with { Close = true };
            }
            if (head.Close) Close();
            return new Response(head.Status, length, head.InferenceHeaderLength);
        }
        catch (Exception e)
        {
            // Out of step with the server (a request or response half done): never reused.
            Close();
            if (e is SocketException or IOException or ObjectDisposedException)
                throw new StepFailedException("transport", $"http://{endpoint.Host}:{endpoint.Port}: {e.Message}", e);
            throw;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            socket.Dispose();
            if (e is SocketException) throw new StepFailedException("transport", $"cannot connect to http://{endpoint.Host}:{endpoint.Port}: {e.Message}", e);
            throw;
        }
        _start = _end = 0;
        return socket;
    }

    private readonly record struct Head(int Status, long ContentLength, bool Chunked, bool Close, int InferenceHeaderLength);

    /// <summary>Reads up to the blank line ending a response head and parses it; the head's bytes are consumed.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Head> ReadHeadAsync(Socket socket, CancellationToken cancellationToken)
    {
        var end = await FindAsync(socket, HeadEnd, 64 * 1024, "a response head", cancellationToken).ConfigureAwait(false);
        var head = Parse(_in.AsSpan(_start, end));
        _start += end + 4;
        return head;
    }

    private static Head Parse(ReadOnlySpan<byte> head)
    {
        // Status line: HTTP/1.x NNN reason
        if (head.Length < 12 || !head.StartsWith("HTTP/1."u8) || head[8] != (byte)' ' || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out var used) || used != 3)
            throw new IOException($"not an HTTP/1.1 status line: {Printable(head)}");
        long contentLength = -1;
        bool chunked = false, close = head[7] == (byte)'0'; // HTTP/1.0 closes unless told otherwise
        var inferenceHeader = -1;
        var rest = head[(head.IndexOf("\r\n"u8) is var eol and >= 0 ? eol + 2 : head.Length)..];
        while (!rest.IsEmpty)
        {
            var lineEnd = rest.IndexOf("\r\n"u8);
            var line = lineEnd < 0 ? rest : rest[..lineEnd];
            rest = lineEnd < 0 ? default : rest[(lineEnd + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0) throw new IOException($"malformed response header: {Printable(line)}");
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim((byte)' ').Trim((byte)'\t');
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out contentLength, out used) || used != value.Length || contentLength < 0)
                    throw new IOException($"bad Content-Length: {Printable(value)}");
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8)) chunked = EndsWithToken(value, "chunked"u8);
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                if (HasToken(value, "close"u8)) close = true;
                else if (HasToken(value, "keep-alive"u8)) close = false;
            }
            else if (Ascii.EqualsIgnoreCase(name, HttpStepClient.HeaderLength) && Utf8Parser.TryParse(value, out int h, out used) && used == value.Length) inferenceHeader = h;
        }
        return new Head(status, contentLength, chunked, close, inferenceHeader);
    }

    private static bool EndsWithToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        var comma = value.LastIndexOf((byte)',');
        return Ascii.EqualsIgnoreCase(value[(comma + 1)..].Trim((byte)' '), token);
    }

    private static bool HasToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(value[range].Trim((byte)' '), token)) return true;
        }
        return false;
    }

    /// <summary>Moves <paramref name="count"/> body bytes (buffered first, then from the socket) into <see cref="Body"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadExactlyAsync(Socket socket, long count, CancellationToken cancellationToken, int at = 0)
    {
        if (count > int.MaxValue - at) throw new IOException($"response body of {count} bytes is too large");
        EnsureBody(at + (int)count);
        var have = Math.Min(_end - _start, (int)count);
        _in.AsSpan(_start, have).CopyTo(Body.AsSpan(at));
        _start += have;
        while (have < count)
        {
            var n = await socket.ReceiveAsync(Body.AsMemory(at + have, (int)count - have), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0) throw new IOException($"the server closed the connection {count - have} bytes before the response body's end");
            have += n;
        }
        return at + (int)count;
    }

    /// <summary>Chunked transfer coding: each chunk's data appended to <see cref="Body"/>; extensions and trailers skipped.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadChunkedAsync(Socket socket, CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            var size = await ReadLineAsync(socket, cancellationToken).ConfigureAwait(false);
            var line = _in.AsSpan(_start, size);
            var semicolon = line.IndexOf((byte)';');
            var hex = (semicolon < 0 ? line : line[..semicolon]).Trim((byte)' ');
            if (!Utf8Parser.TryParse(hex, out long chunk, out var used, 'X') || used != hex.Length || chunk < 0)
                throw new IOException($"bad chunk size: {Printable(line)}");
            _start += size + 2;
            if (chunk == 0) break;
            length = await ReadExactlyAsync(socket, chunk, cancellationToken, length).ConfigureAwait(false);
            if (await ReadLineAsync(socket, cancellationToken).ConfigureAwait(false) != 0) throw new IOException("chunk data longer than its size");
            _start += 2;
        }
        // Trailers, up to the empty line.
        int trailer;
        while ((trailer = await ReadLineAsync(socket, cancellationToken).ConfigureAwait(false)) != 0) _start += trailer + 2;
        _start += 2;
        return length;
    }

    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] LineEnd = "\r\n"u8.ToArray();

    /// <summary>Waits for a whole line at _start; returns its length without the CRLF (not consumed).</summary>
    private ValueTask<int> ReadLineAsync(Socket socket, CancellationToken cancellationToken) =>
        FindAsync(socket, LineEnd, 8 * 1024, "a line of a chunked body", cancellationToken);

    /// <summary>Receives until <paramref name="delimiter"/> is buffered at or after _start (within <paramref name="limit"/> bytes); returns its offset from _start.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> FindAsync(Socket socket, byte[] delimiter, int limit, string what, CancellationToken cancellationToken)
    {
        int at;
        while ((at = _in.AsSpan(_start, _end - _start).IndexOf(delimiter)) < 0)
        {
            if (_end - _start > limit) throw new IOException($"{what} longer than {limit / 1024} KB");
            if (!await FillAsync(socket, cancellationToken).ConfigureAwait(false)) throw new IOException($"the server closed the connection inside {what}");
        }
        return at;
    }

    /// <summary>A body framed by the connection's end.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            EnsureBody(length + (_end - _start) + 1);
            _in.AsSpan(_start, _end - _start).CopyTo(Body.AsSpan(length));
            length += _end - _start;
            _start = _end = 0;
            var n = await socket.ReceiveAsync(Body.AsMemory(length), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0) return length;
            length += n;
        }
    }

    /// <summary>Receives more into <see cref="_in"/> (compacting or growing it first); false at the connection's end.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillAsync(Socket socket, CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _in.AsSpan(_start, _end - _start).CopyTo(_in);
            _end -= _start;
            _start = 0;
        }
        if (_end == _in.Length) Array.Resize(ref _in, _in.Length * 2);
        var n = await socket.ReceiveAsync(_in.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        _end += n;
        return n > 0;
    }

    private void EnsureBody(int bytes)
    {
        if (bytes <= Body.Length) return;
        var grown = new byte[Math.Max(bytes, Body.Length * 2)];
        Body.CopyTo(grown, 0);
        Body = grown;
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.ASCII.GetString(bytes[..Math.Min(bytes.Length, 200)]);
        return text.Replace("\r", "\\r").Replace("\n", "\\n");
    }

    private void Close()
    {
        _socket?.Dispose();
        _socket = null;
        _start = _end = 0;
    }

    public void Dispose() => Close();
}
