using Google.Protobuf;
using OvStateful.Cli.Workloads;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Cli.Remote;

/// <summary>
/// The statistics extension over KServe v2 REST: <c>GET /v2/models/M/stats</c>, whose JSON is
/// Triton's ModelStatisticsResponse with the proto's field names, parsed into that message.
/// Its own small client, apart from the load generator's connections.
/// </summary>
internal sealed class RestStatistics(Uri baseAddress) : IServerStatistics, IDisposable
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };

    public async Task<ServerCounters?> CountersAsync(string model, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync($"v2/models/{Uri.EscapeDataString(model)}/stats", cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return null;
            var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return ServerStatistics.Counters(Parser.Parse<Proto.ModelStatisticsResponse>(json));
        }
        catch (Exception e) when (e is HttpRequestException or InvalidProtocolBufferException or InvalidJsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null; // statistics are extra: a server without them still gets benchmarked
        }
    }

    public void Dispose() => _http.Dispose();
}
