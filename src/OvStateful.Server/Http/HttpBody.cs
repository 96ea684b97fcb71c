using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OvStateful.Server.Protocol;

namespace OvStateful.Server.Http;

/// <summary>Reads request bodies under the configured size limit.</summary>
internal static class HttpBody
{
    public static async Task<ReadOnlyMemory<byte>> ReadAsync(HttpContext ctx, long limit)
    {
        if (ctx.Request.ContentLength is long declared && declared > limit) throw ServerErrors.BodyTooLarge(limit);
        using var buffer = new MemoryStream(ctx.Request.ContentLength is long n ? (int)Math.Min(n, limit) : 0);
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await ctx.Request.Body.ReadAsync(chunk, ctx.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit) throw ServerErrors.BodyTooLarge(limit);
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw ServerErrors.BodyTooLarge(limit);
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
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
