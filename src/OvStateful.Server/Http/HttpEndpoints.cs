using System.Text.Json;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Server.Hosting;
using OvStateful.Server.Protocol;
using OvStateful.Server.Sequences;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Http;

/// <summary>KServe v2 REST routes (health, metadata, config, infer, repository, statistics) plus our sequence-id routes.</summary>
internal static class HttpEndpoints
{
    public static void Map(IEndpointRouteBuilder app, ServerServices s)
    {
        app.MapGet("/v2/health/live", ctx => Guard(ctx, () => Empty(ctx, StatusCodes.Status200OK)));
        app.MapGet("/v2/health/ready", ctx => Guard(ctx, () => s.IsReady
            ? Empty(ctx, StatusCodes.Status200OK)
            : HttpErrors.WriteAsync(ctx, StatusCodes.Status400BadRequest, s.NotReadyReason())));
        app.MapGet("/v2", ctx => Guard(ctx, () => Json(ctx, MetadataMapper.Server(s.Options.ServerName))));

        app.MapGet("/v2/models/stats", ctx => Guard(ctx, () => Stats(ctx, s, null, null)));
        MapModel(app, "", (ctx, m, v) => Json(ctx, MetadataMapper.Model(s.Resolver.Resolve(m, v), s.Registry)));
        MapModel(app, "/ready", (ctx, m, v) => Ready(ctx, s, m, v));
        MapModel(app, "/config", (ctx, m, v) => Json(ctx, s.Resolver.Resolve(m, v).Config));
        MapModel(app, "/stats", (ctx, m, v) => Stats(ctx, s, m, v));
        // Inference has a handler of its own: no closure or extra async frame per request (HttpInfer).
        // InferRoute takes these paths before routing; these routes serve what it passes on.
        foreach (var pattern in new[] { "/v2/models/{model}/infer", "/v2/models/{model}/versions/{version}/infer" })
            app.MapPost(pattern, ctx => HttpInfer.HandleAsync(ctx, s, Route(ctx, "model")!, Route(ctx, "version")));

        app.MapPost("/v2/repository/index", ctx => Guard(ctx, () => RepositoryIndex(ctx, s)));
        app.MapPost("/v2/repository/models/{model}/load", ctx => Guard(ctx, async () =>
        {
            var model = Route(ctx, "model")!;
            ModelControl.CheckAllowed(s.Options, "load", model);
            ModelLoadParameters parameters;
            // The parameters are copied out of the body: it is let go before the load, which may take long.
            using (var body = await HttpBody.ReadAsync(ctx, s.Options.MaxRequestBodyBytes).ConfigureAwait(false))
                parameters = ModelControl.FromJson(body.Memory, model);
            await s.Registry.LoadAsync(model, parameters, ctx.RequestAborted).ConfigureAwait(false);
            await Empty(ctx, StatusCodes.Status200OK).ConfigureAwait(false);
        }));
        app.MapPost("/v2/repository/models/{model}/unload", ctx => Guard(ctx, async () =>
        {
            var model = Route(ctx, "model")!;
            ModelControl.CheckAllowed(s.Options, "unload", model);
            await s.Registry.UnloadAsync(model, ctx.RequestAborted).ConfigureAwait(false);
            await Empty(ctx, StatusCodes.Status200OK).ConfigureAwait(false);
        }));

        SharedMemoryEndpoints.Map(app, s, Guard);

        app.MapPost("/v2/sequences/allocate", ctx => Guard(ctx, () => AllocateSequence(ctx, s)));
        app.MapPost("/v2/sequences/release", ctx => Guard(ctx, () => ReleaseSequence(ctx, s)));
    }

    private static void MapModel(IEndpointRouteBuilder app, string suffix, Func<HttpContext, string, string?, Task> handler)
    {
        RequestDelegate d = ctx => Guard(ctx, () => handler(ctx, Route(ctx, "model")!, Route(ctx, "version")));
        foreach (var pattern in new[] { "/v2/models/{model}" + suffix, "/v2/models/{model}/versions/{version}" + suffix }) app.MapGet(pattern, d);
    }

    /// <remarks>
    /// ASP.NET Core decodes a route value except its "%2F": decoded here too, so an escaped
    /// "..%2Foutside" reaches the name check as the "../outside" it means (and is refused there).
    /// </remarks>
    internal static string? Route(HttpContext ctx, string key) =>
        ctx.Request.RouteValues.TryGetValue(key, out var v) && v is string s ? (s.Contains('%') ? s.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase) : s) : null;

    /// <summary>Every handler runs inside this: an error fails this request alone, with its status and message.</summary>
    private static async Task Guard(HttpContext ctx, Func<Task> handler)
    {
        try
        {
            await handler().ConfigureAwait(false);
        }
        catch (Exception e) when (HttpErrors.IsTheClients(ctx, e))
        {
            await HttpErrors.WriteAsync(ctx, e).ConfigureAwait(false);
        }
    }

    internal static Task Empty(HttpContext ctx, int status)
    {
        ctx.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    internal static Task Json(HttpContext ctx, IMessage message) => WriteJson(ctx, ProtoJson.ToUtf8(message));

    internal static Task WriteJson(HttpContext ctx, byte[] json)
    {
        ctx.Response.StatusCode = StatusCodes.Status200OK;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = json.Length;
        return ctx.Response.Body.WriteAsync(json, ctx.RequestAborted).AsTask();
    }

    private static Task Ready(HttpContext ctx, ServerServices s, string model, string? version)
    {
        if (s.Resolver.IsReady(model, version)) return Empty(ctx, StatusCodes.Status200OK);
        // KServe: any 4xx means "not ready". A model or version the repository does not hold: 404 with
        // the resolver's message; one it holds that is not ready (loading, unloaded): 400, as Triton answers.
        try
        {
            s.Resolver.Resolve(model, version);
        }
        catch (Core.Serving.InferenceException e) when (e.Kind == Core.Serving.InferenceErrorKind.NotFound
            && !s.Resolver.Registry.Index().Any(x => string.Equals(x.Name, model, StringComparison.Ordinal) && (string.IsNullOrEmpty(version) || x.Version == version)))
        {
            throw;
        }
        catch (Core.Serving.InferenceException e)
        {
            return HttpErrors.WriteAsync(ctx, StatusCodes.Status400BadRequest, e.Message);
        }
        return HttpErrors.WriteAsync(ctx, StatusCodes.Status400BadRequest, $"model '{model}' is not ready");
    }

    private static Task Stats(HttpContext ctx, ServerServices s, string? model, string? version)
    {
        var response = new Proto.ModelStatisticsResponse();
        if (model is null)
        {
            foreach (var m in s.Resolver.ReadyModels()) response.ModelStats.Add(StatisticsMapper.ToProto(m.GetStatistics()));
        }
        else
        {
            response.ModelStats.Add(StatisticsMapper.ToProto(s.Resolver.Resolve(model, version).GetStatistics()));
        }
        return Json(ctx, response);
    }

    private static async Task RepositoryIndex(HttpContext ctx, ServerServices s)
    {
        var readyOnly = false;
        using var body = await HttpBody.ReadAsync(ctx, s.Options.MaxRequestBodyBytes).ConfigureAwait(false);
        if (body.Memory.Length > 0)
        {
            using var doc = HttpBody.ParseJson(body.Memory);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("ready", out var r))
                readyOnly = r.ValueKind == JsonValueKind.True;
        }
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var e in s.Registry.Index())
            {
                if (readyOnly && e.State != "READY") continue;
                // As Triton writes it: a model never loaded is its name alone; empty fields are left out.
                w.WriteStartObject();
                w.WriteString("name", e.Name);
                if (e.Version.Length > 0) w.WriteString("version", e.Version);
                if (e.State.Length > 0) w.WriteString("state", e.State);
                if (e.Reason.Length > 0) w.WriteString("reason", e.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        await WriteJson(ctx, buffer.WrittenSpan.ToArray()).ConfigureAwait(false);
    }

    private static async Task AllocateSequence(HttpContext ctx, ServerServices s)
    {
        var asString = false;
        using var body = await HttpBody.ReadAsync(ctx, s.Options.MaxRequestBodyBytes).ConfigureAwait(false);
        if (body.Memory.Length > 0)
        {
            using var doc = HttpBody.ParseJson(body.Memory);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("type", out var t))
                asString = SequenceIdTypes.IsString(t.ValueKind == JsonValueKind.String ? t.GetString() : t.GetRawText());
        }
        var id = s.Allocator.Allocate(asString);
        await WriteJson(ctx, SequenceIdJson(id)).ConfigureAwait(false);
    }

    private static async Task ReleaseSequence(HttpContext ctx, ServerServices s)
    {
        using var body = await HttpBody.ReadAsync(ctx, s.Options.MaxRequestBodyBytes).ConfigureAwait(false);
        using var doc = HttpBody.ParseJson(body.Memory);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("sequence_id", out var v))
            throw ServerErrors.Invalid("release needs a body {\"sequence_id\": <number or string>}");
        var id = v.ValueKind switch
        {
            JsonValueKind.Number => SequenceParameters.FromJsonNumber(v.GetRawText()),
            JsonValueKind.String => SequenceParameters.FromString(v.GetString()!),
            _ => throw ServerErrors.Invalid($"'sequence_id' is {v.ValueKind}; expected an unsigned 64-bit number or a string"),
        };
        if (!s.Allocator.Release(id)) throw SequenceIdTypes.NotAllocated(id);
        await WriteJson(ctx, SequenceIdJson(id)).ConfigureAwait(false);
    }

    private static byte[] SequenceIdJson(SequenceId id)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (id.IsString) w.WriteString("sequence_id", id.Text); else w.WriteNumber("sequence_id", id.Number);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
