using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OvStateful.Server.Protocol;

namespace OvStateful.Server.Http;

/// <summary>
/// A whole request body, contiguous, held until <see cref="Dispose"/>: Kestrel's own buffer
/// when the body arrived in one segment (nothing copied), otherwise one copy in an array
/// rented from the shared pool. Tensors may refer into <see cref="Memory"/> until then.
/// </summary>
internal struct BodyLease : IDisposable
{
    /// <summary>Set while Kestrel's buffer is held (not advanced past); null once released or when the body was copied.</summary>
    private PipeReader? _reader;
    /// <summary>Where the held buffer ends: what <see cref="Dispose"/> advances the reader to.</summary>
    private SequencePosition _end;
    /// <summary>The pooled copy of a multi-segment body; null when the body is Kestrel's buffer.</summary>
    private byte[]? _rented;

    public BodyLease(ReadOnlyMemory<byte> memory, PipeReader? reader, SequencePosition end, byte[]? rented)
    {
        Memory = memory;
        _reader = reader;
        _end = end;
        _rented = rented;
    }

    /// <summary>The body's bytes; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Memory { get; private set; }

    public void Dispose()
    {
        Memory = default;
        _reader?.AdvanceTo(_end);
        _reader = null;
        if (_rented is not null) ArrayPool<byte>.Shared.Return(_rented);
        _rented = null;
    }
}

/// <summary>Reads request bodies under the configured size limit.</summary>
internal static class HttpBody
{
    /// <summary>
    /// Reads the whole body from the request's pipe. The usual case, one small POST whose body
    /// is already there, completes synchronously without an async frame (none to allocate, not
    /// even unoptimised); otherwise it waits in a pooled state machine.
    /// </summary>
    public static ValueTask<BodyLease> ReadAsync(HttpContext ctx, long limit)
    {
        if (ctx.Request.ContentLength is long n && n > 0 && n <= limit && ctx.Request.BodyReader.TryRead(out var result))
        {
            if (result.Buffer.Length >= n) return new ValueTask<BodyLease>(Lease(ctx.Request.BodyReader, result.Buffer, limit));
            // Not all there yet: hand back what came (nothing consumed) and wait for the rest.
            ctx.Request.BodyReader.AdvanceTo(result.Buffer.Start);
        }
        return ReadSlowAsync(ctx, limit);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<BodyLease> ReadSlowAsync(HttpContext ctx, long limit)
    {
        var declared = ctx.Request.ContentLength;
        if (declared > limit) throw ServerErrors.BodyTooLarge(limit);
        var reader = ctx.Request.BodyReader;
        try
        {
            ReadResult result;
            if (declared is long n)
            {
                if (n == 0) return default;
                result = await reader.ReadAtLeastAsync((int)n, ctx.RequestAborted).ConfigureAwait(false);
            }
            else
            {
                // Chunked: wait until the body is complete, holding what came so far.
                while (true)
                {
                    result = await reader.ReadAsync(ctx.RequestAborted).ConfigureAwait(false);
                    if (result.Buffer.Length > limit)
                    {
                        reader.AdvanceTo(result.Buffer.End);
                        throw ServerErrors.BodyTooLarge(limit);
                    }
                    if (result.IsCompleted) break;
                    reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                }
            }
            return Lease(reader, result.Buffer, limit);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw ServerErrors.BodyTooLarge(limit);
        }
    }

    /// <summary>The whole body as one lease: Kestrel's buffer, held, when it is one segment; else one pooled copy.</summary>
    private static BodyLease Lease(PipeReader reader, ReadOnlySequence<byte> body, long limit)
    {
        if (body.Length > limit)
        {
            reader.AdvanceTo(body.End);
            throw ServerErrors.BodyTooLarge(limit);
        }
        if (body.IsSingleSegment) return new BodyLease(body.First, reader, body.End, null);
        // The length is read before AdvanceTo: after it the sequence's segments belong to the pipe again.
        var length = (int)body.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        body.CopyTo(rented);
        reader.AdvanceTo(body.End);
        return new BodyLease(rented.AsMemory(0, length), null, default, rented);
    }

    public static JsonDocument ParseJson(ReadOnlyMemory<byte> body)
    {
        JsonText.Check(body.Span, default);
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw ServerErrors.Invalid($"request body is not valid JSON: {e.Message}");
        }
    }
}
