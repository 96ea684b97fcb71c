using System.Net;
using System.Text.Json;
using OvStateful.Cli.Workloads;

namespace OvStateful.Cli.Remote;

/// <summary>
/// KServe v2 REST over one <see cref="SocketsHttpHandler"/> (HTTP/1.1 keep-alive, a connection
/// per concurrent sequence): an <see cref="HttpClient"/> for metadata and statistics, and for
/// the steps the handler itself through an <see cref="HttpMessageInvoker"/> (no per-request
/// timeout token, no base-address resolution).
/// </summary>
internal sealed class HttpProtocol : IRemoteProtocol
{
    private readonly SocketsHttpHandler _handler;
    private readonly HttpClient _http;
    private readonly HttpMessageInvoker _steps;
    private readonly bool _binary;

    public HttpProtocol(Uri baseAddress, bool binary)
    {
        _binary = binary;
        // Nothing per request that a load generator on loopback does not need: no proxy lookup,
        // cookies, redirects or decompression.
        _handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(_handler, disposeHandler: false) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(100) };
        _steps = new HttpMessageInvoker(_handler, disposeHandler: false);
    }

    public string Name => _binary ? "http (binary tensors)" : "http (JSON tensors)";

    public async Task<RemoteModel> MetadataAsync(string model, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync($"v2/models/{Uri.EscapeDataString(model)}", cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new UsageException($"cannot reach {_http.BaseAddress}: {e.Message}; is the server running (ovs serve) and is this its HTTP port?");
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
                throw new UsageException($"the server at {_http.BaseAddress} does not serve model \"{model}\"; models there: {await ModelNamesAsync(cancellationToken).ConfigureAwait(false)}");
            if (!response.IsSuccessStatusCode)
                throw new UsageException($"GET {_http.BaseAddress}v2/models/{model}: HTTP {(int)response.StatusCode} {body}");
            return RemoteModel.FromJson(model, body);
        }
    }

    private async Task<string> ModelNamesAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.PostAsync("v2/repository/index", new StringContent("{}"), cancellationToken).ConfigureAwait(false);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            var names = doc.RootElement.EnumerateArray()
                .Select(e => e.GetProperty("name").GetString() + (e.TryGetProperty("state", out var s) && s.GetString() is { Length: > 0 } st && st != "READY" ? $" ({st})" : ""))
                .Distinct().ToList();
            return names.Count == 0 ? "none" : string.Join(", ", names);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return "(the repository index could not be read)";
        }
    }

    public async Task<IReadOnlyDictionary<int, ulong>?> BatchExecutionsAsync(string model, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync($"v2/models/{Uri.EscapeDataString(model)}/stats", cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return null;
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            var histogram = new Dictionary<int, ulong>();
            foreach (var m in doc.RootElement.GetProperty("model_stats").EnumerateArray())
            {
                if (!m.TryGetProperty("batch_stats", out var batches)) continue;
                foreach (var b in batches.EnumerateArray())
                {
                    var size = b.GetProperty("batch_size").GetInt32();
                    var count = b.GetProperty("compute_infer").GetProperty("count").GetUInt64();
                    histogram[size] = histogram.GetValueOrDefault(size) + count;
                }
            }
            return histogram;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return null; // statistics are extra: a server without them still gets benchmarked
        }
    }

    public IStepClient CreateClient(RemoteModel model) => new HttpStepClient(_steps, _http.BaseAddress!, model.Name, model.Outputs, _binary);

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        _steps.Dispose();
        _handler.Dispose();
        return ValueTask.CompletedTask;
    }
}
