using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using OvStateful.Server.Hosting;

namespace OvStateful.Server.Http;

/// <summary>
/// Matches POST /v2/models/{model}[/versions/{version}]/infer ahead of endpoint routing, whose
/// route values cost a dictionary and a string per request; every other request (and any
/// infer path this does not recognise) goes on to routing, which maps the same paths to the
/// same handler.
/// </summary>
internal static class InferRoute
{
    private const string Prefix = "/v2/models/";
    private const string Suffix = "/infer";
    private const string Versions = "/versions/";

    /// <summary>Names of models that were served: a request's model name is looked up by its characters, so no string is made for it.</summary>
    private static readonly ConcurrentDictionary<string, string> Known = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> KnownBySpan =
        Known.GetAlternateLookup<ReadOnlySpan<char>>();

    public static Task Handle(HttpContext ctx, ServerServices s, RequestDelegate next)
    {
        if (!HttpMethods.IsPost(ctx.Request.Method) || !TryMatch(ctx.Request.Path.Value, out var model, out var version)) return next(ctx);
        return HttpInfer.HandleAsync(ctx, s, model, version);
    }

    /// <summary>Remembers a model name that resolved (bounded by the models the repository ever served).</summary>
    public static void Served(string model) => Known.TryAdd(model, model);

    private static bool TryMatch(string? path, out string model, out string? version)
    {
        model = "";
        version = null;
        if (path is null || !path.StartsWith(Prefix, StringComparison.Ordinal) || !path.EndsWith(Suffix, StringComparison.Ordinal)) return false;
        var middle = path.AsSpan(Prefix.Length, Math.Max(0, path.Length - Prefix.Length - Suffix.Length));
        var name = middle;
        var at = middle.IndexOf(Versions, StringComparison.Ordinal);
        if (at >= 0)
        {
            name = middle[..at];
            var v = middle[(at + Versions.Length)..];
            if (v.IsEmpty || v.Contains('/')) return false;
            version = v.ToString();
        }
        if (name.IsEmpty || name.Contains('/')) return false;
        model = KnownBySpan.TryGetValue(name, out var known) ? known : name.ToString();
        return true;
    }
}
