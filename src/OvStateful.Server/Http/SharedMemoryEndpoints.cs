using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OvStateful.Server.Hosting;
using OvStateful.Server.Protocol;
using OvStateful.Server.SharedMemory;

namespace OvStateful.Server.Http;

/// <summary>
/// Triton's shared-memory routes: /v2/systemsharedmemory[/region/{name}]/{status,register,unregister}
/// and the same under /v2/cudasharedmemory, over the server's <see cref="SharedMemoryRegistry"/>.
/// Status is GET; register and unregister are POST; without a region, status and unregister
/// cover every region.
/// </summary>
internal static class SharedMemoryEndpoints
{
    public static void Map(IEndpointRouteBuilder app, ServerServices s, Func<HttpContext, Func<Task>, Task> guard)
    {
        foreach (var prefix in new[] { "/v2/systemsharedmemory", "/v2/systemsharedmemory/region/{region}" })
        {
            app.MapGet(prefix + "/status", ctx => guard(ctx, () => SystemStatus(ctx, s)));
            app.MapPost(prefix + "/register", ctx => guard(ctx, () => SystemRegister(ctx, s)));
            app.MapPost(prefix + "/unregister", ctx => guard(ctx, () =>
            {
                s.SharedMemory.UnregisterSystem(HttpEndpoints.Route(ctx, "region"));
                return HttpEndpoints.Empty(ctx, StatusCodes.Status200OK);
            }));
        }
        foreach (var prefix in new[] { "/v2/cudasharedmemory", "/v2/cudasharedmemory/region/{region}" })
        {
            app.MapGet(prefix + "/status", ctx => guard(ctx, () =>
            {
                SharedMemoryRegistry.CheckCudaStatus(HttpEndpoints.Route(ctx, "region"));
                return HttpEndpoints.WriteJson(ctx, "[]"u8.ToArray());
            }));
            app.MapPost(prefix + "/register", ctx => guard(ctx, () =>
                throw (HttpEndpoints.Route(ctx, "region") is { } name
                    ? SharedMemoryRegistry.CudaNotSupported(name)
                    : ServerErrors.Invalid("'region name' is necessary to register cuda shared memory region"))));
            // Nothing is ever registered as CUDA shared memory here, so there is nothing to unregister.
            app.MapPost(prefix + "/unregister", ctx => guard(ctx, () => HttpEndpoints.Empty(ctx, StatusCodes.Status200OK)));
        }
    }

    private static Task SystemStatus(HttpContext ctx, ServerServices s)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var r in s.SharedMemory.SystemStatus(HttpEndpoints.Route(ctx, "region")))
            {
                w.WriteStartObject();
                w.WriteString("name", r.Name);
                w.WriteString("key", r.Key);
                w.WriteNumber("offset", r.Offset);
                w.WriteNumber("byte_size", r.ByteSize);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return HttpEndpoints.WriteJson(ctx, buffer.WrittenSpan.ToArray());
    }

    private static async Task SystemRegister(HttpContext ctx, ServerServices s)
    {
        var name = HttpEndpoints.Route(ctx, "region") ?? throw ServerErrors.Invalid("'region name' is necessary to register system shared memory region");
        using var body = await HttpBody.ReadAsync(ctx, s.Options.MaxRequestBodyBytes).ConfigureAwait(false);
        using var doc = HttpBody.ParseJson(body.Memory);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw ServerErrors.Invalid("Shared memory register request must be a JSON object {\"key\": ..., \"offset\": ..., \"byte_size\": ...}");
        if (!root.TryGetProperty("key", out var key) || key.ValueKind != JsonValueKind.String)
            throw ServerErrors.Invalid("Shared memory register request has no 'key' field (a string: the POSIX shared-memory key, such as \"/input_simple\")");
        if (!root.TryGetProperty("byte_size", out _))
            throw ServerErrors.Invalid("Shared memory register request has no 'byte_size' field (the region's size in bytes)");
        s.SharedMemory.RegisterSystem(name, key.GetString()!, Size(root, "offset"), Size(root, "byte_size"));
        await HttpEndpoints.Empty(ctx, StatusCodes.Status200OK).ConfigureAwait(false);
    }

    private static ulong Size(JsonElement root, string field)
    {
        if (!root.TryGetProperty(field, out var v)) return 0;
        return v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out var n)
            ? n
            : throw ServerErrors.Invalid($"Shared memory register request field '{field}' is {v.GetRawText()}; expected a byte count >= 0");
    }
}
