using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace OvStateful.Cli.Commands;

/// <summary><c>ovs cluster status --url http://HOST:HTTP_PORT</c>: any node's <c>GET /v2/cluster</c> as a table, one row per node.</summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url", "-u") { Description = "Any node's KServe v2 HTTP address (default http://127.0.0.1:8000)", DefaultValueFactory = _ => "http://127.0.0.1:8000" };
        var status = new Command("status", "Nodes of the cluster: addresses, models, load (slots used + spilled), sequences, draining, migrations, forwarded steps.") { url };
        status.SetAction(parse => StatusAsync(parse.GetValue(url)!, Console.Out, Console.Error).GetAwaiter().GetResult());
        return new Command("cluster", "Look at a cluster of ovs nodes (ovs serve --cluster; docs/cluster.md).") { status };
    }

    public static async Task<int> StatusAsync(string url, TextWriter output, TextWriter errors)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        JsonElement root;
        try
        {
            using var response = await http.GetAsync(new Uri(new Uri(url), "/v2/cluster"));
            if (!response.IsSuccessStatusCode)
            {
                errors.WriteLine($"ovs cluster status: {url} answered {(int)response.StatusCode} for GET /v2/cluster: is it a node started with --cluster?");
                return 1;
            }
            root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException or JsonException)
        {
            errors.WriteLine($"ovs cluster status: cannot read {url}/v2/cluster: {e.Message}");
            return 1;
        }
        output.WriteLine($"asked node {root.GetProperty("node").GetString()}");
        output.WriteLine($"{"node",-14} {"http",-24} {"grpc",-24} {"models",-24} {"slots",6} {"spilled",8} {"seqs",6} {"drain",5} {"in",6} {"out",6} {"fwd",8}");
        foreach (var n in root.GetProperty("nodes").EnumerateArray())
        {
            static string L(JsonElement e, string p) => e.GetProperty(p).GetInt64().ToString(CultureInfo.InvariantCulture);
            var models = string.Join(",", n.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
            output.WriteLine($"{n.GetProperty("name").GetString(),-14} {n.GetProperty("http").GetString(),-24} {n.GetProperty("grpc").GetString(),-24} {models,-24} {L(n, "slots_used"),6} {L(n, "spilled"),8} {L(n, "sequences"),6} {(n.GetProperty("draining").GetBoolean() ? "yes" : "no"),5} {L(n, "migrated_in"),6} {L(n, "migrated_out"),6} {L(n, "forwarded"),8}");
        }
        return 0;
    }
}
