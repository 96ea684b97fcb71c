using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace OvStateful.Cluster.Node;

/// <summary>GET /v2/cluster (this node and every node's last report) and POST /v2/cluster/drain.</summary>
internal static class ClusterEndpoints
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static void Map(IEndpointRouteBuilder routes, ClusterNode cluster)
    {
        routes.MapGet("/v2/cluster", async ctx =>
        {
            var node = cluster.Node;
            var status = new ClusterStatus(node.Name, node.Draining, [.. node.Board.All().Select(r => r.Silo == node.Silo ? node.Report() with { Silo = r.Silo } : r)]);
            ctx.Response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(ctx.Response.Body, status, s_json, ctx.RequestAborted).ConfigureAwait(false);
        });
        routes.MapPost("/v2/cluster/drain", async ctx =>
        {
            _ = cluster.DrainAsync();
            ctx.Response.StatusCode = StatusCodes.Status202Accepted;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync($"{{\"node\":{JsonSerializer.Serialize(cluster.Node.Name)},\"draining\":true,\"sequences\":{cluster.Node.Live.Count}}}", ctx.RequestAborted).ConfigureAwait(false);
        });
    }

    /// <summary>The body of GET /v2/cluster.</summary>
    internal sealed record ClusterStatus(string Node, bool Draining, NodeReport[] Nodes);
}
