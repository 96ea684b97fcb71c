using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace OvStateful.Cli.Tests;

/// <summary>
/// `ovs serve` as a real process, on real models (accumulate, and Silero VAD when the build
/// fetched it): kill -9 with durable state, then continuing every sequence, compared with an
/// uninterrupted replay; the open-file limit; SIGTERM with a step waiting for a slot.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class CrashAndLimitsTests : IDisposable
{
    private readonly string _root = CliRunner.TempFolder();
    private readonly HttpClient _client = new() { Timeout = ServeProcess.HangGuard };

    public void Dispose()
    {
        _client.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static bool SileroPresent => File.Exists(Path.Combine(CliRunner.Models, "silero_vad", "1", "model.onnx"));

    /// <summary>A repository with accumulate (and silero_vad when present), <paramref name="slots"/> slots each when given.</summary>
    private string Repository(int? slots = null)
    {
        var repo = Path.Combine(_root, "repo" + (slots?.ToString(CultureInfo.InvariantCulture) ?? ""));
        foreach (var model in SileroPresent ? new[] { "accumulate", "silero_vad" } : ["accumulate"])
        {
            var source = Path.Combine(CliRunner.Models, model);
            Directory.CreateDirectory(Path.Combine(repo, model, "1"));
            File.Copy(Path.Combine(source, "1", "model.onnx"), Path.Combine(repo, model, "1", "model.onnx"));
            var config = File.ReadAllText(Path.Combine(source, "config.pbtxt"));
            if (slots is { } n)
            {
                config = System.Text.RegularExpressions.Regex.Replace(config, @"max_batch_size: \d+", $"max_batch_size: {n}");
                config = System.Text.RegularExpressions.Regex.Replace(config, @"max_candidate_sequences: \d+", $"max_candidate_sequences: {n}");
            }
            File.WriteAllText(Path.Combine(repo, model, "config.pbtxt"), config);
        }
        return repo;
    }

    /// <summary>
    /// Step k of sequence <paramref name="id"/>: accumulate takes [1, 4, 1, 5], Silero [1, 512] of
    /// deterministic values (those of sequence <paramref name="valuesOf"/> when given; zeros with <paramref name="zeros"/>).
    /// </summary>
    private static string Body(string model, ulong id, int k, bool start, ulong? valuesOf = null, bool zeros = false)
    {
        var n = model == "accumulate" ? 20 : 512;
        var v = valuesOf ?? id;
        var values = string.Join(",", Enumerable.Range(0, n).Select(i => zeros ? "0" : (((v * 31 + (ulong)k * 7 + (ulong)i) % 17) / 16.0 - 0.5).ToString("R", CultureInfo.InvariantCulture)));
        var shape = model == "accumulate" ? "[1,4,1,5]" : "[1,512]";
        var input = model == "accumulate" ? "Input" : "input";
        return $"{{\"parameters\":{{\"sequence_id\":{id},\"sequence_start\":{(start ? "true" : "false")}}},\"inputs\":[{{\"name\":\"{input}\",\"datatype\":\"FP32\",\"shape\":{shape},\"data\":[{values}]}}]}}";
    }

    private async Task<(HttpStatusCode Status, string Body)> Infer(ServeProcess server, string model, ulong id, int k, bool start, ulong? valuesOf = null, bool zeros = false)
    {
        using var response = await _client.PostAsync(new Uri(server.Http, $"/v2/models/{model}/infer"), new StringContent(Body(model, id, k, start, valuesOf, zeros), Encoding.UTF8, "application/json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static float[] Output(string body) =>
        JsonDocument.Parse(body).RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();

    private (string Model, ulong Id)[] Sequences() =>
        [.. Enumerable.Range(1, 8).Select(i => ("accumulate", (ulong)i)), .. SileroPresent ? Enumerable.Range(101, 8).Select(i => ("silero_vad", (ulong)i)) : []];

    /// <summary>Steps [first, first + count) of every sequence, all sequences at once; outputs per sequence and step.</summary>
    private async Task<Dictionary<(string, ulong), List<float[]>>> Run(ServeProcess server, int first, int count)
    {
        var results = new Dictionary<(string, ulong), List<float[]>>();
        await Task.WhenAll(Sequences().Select(async s =>
        {
            var outputs = new List<float[]>();
            for (var k = first; k < first + count; k++)
            {
                var (status, body) = await Infer(server, s.Model, s.Id, k, start: k == 0);
                Assert.True(status == HttpStatusCode.OK, $"{s.Model} sequence {s.Id} step {k}: {(int)status} {body}");
                outputs.Add(Output(body));
            }
            lock (results) results[s] = outputs;
        }));
        return results;
    }

    private async Task<ulong> Allocate(ServeProcess server)
    {
        using var response = await _client.PostAsync(new Uri(server.Http, "/v2/sequences/allocate"), new StringContent("{\"type\": \"uint64\"}", Encoding.UTF8, "application/json"));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("sequence_id").GetUInt64();
    }

    [OrtAvailableFact]
    public async Task After_kill_9_every_sequence_continues_exactly_as_an_uninterrupted_replay()
    {
        var repo = Repository();
        var state = Path.Combine(_root, "state");
        Dictionary<(string, ulong), List<float[]>> before, after;
        ulong allocatedBefore, allocatedAfter;
        using (var first = await ServeProcess.StartAsync(repo, ["--state-dir", state]))
        {
            before = await Run(first, 0, 6);
            allocatedBefore = await Allocate(first);
            await first.KillAsync();
        }
        using (var restarted = await ServeProcess.StartAsync(repo, ["--state-dir", state]))
        {
            Assert.Contains("model 'accumulate' version 1: restored 8 live sequences", restarted.Output);
            after = await Run(restarted, 6, 6);
            // An id never started in any lifetime is refused, not mapped onto a new sequence.
            var (status, body) = await Infer(restarted, "accumulate", 999, 1, start: false);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("sequence 999 is not active", body);
            Assert.Contains("restored after the server restarted at", body);
            allocatedAfter = await Allocate(restarted);
        }
        Assert.True(allocatedAfter > allocatedBefore, $"id {allocatedAfter} allocated after the restart; {allocatedBefore} was handed out before it");

        using var reference = await ServeProcess.StartAsync(repo, []);
        var uninterrupted = await Run(reference, 0, 12);
        foreach (var s in Sequences())
        {
            var got = before[s].Concat(after[s]).ToList();
            for (var k = 0; k < 12; k++) Assert.True(uninterrupted[s][k].AsSpan().SequenceEqual(got[k]), $"{s.Model} sequence {s.Id} step {k} differs from the uninterrupted replay");
        }
    }

    /// <summary>
    /// kill -9 in the middle of traffic: after the restart each sequence holds the state after
    /// its last answered step, or after the one in flight at the kill (never answered, so either
    /// is right), never an older one and never one step twice. accumulate's output for a step of
    /// zeros is its state, compared bit for bit with a replay on a server that never crashed.
    /// Ids come from the allocator; none handed out before the kill is handed out after it.
    /// </summary>
    [OrtAvailableFact]
    public async Task Kill_9_under_load_loses_no_answered_step_and_the_allocator_reuses_no_id()
    {
        var repo = Repository();
        var state = Path.Combine(_root, "state");
        var answered = new Dictionary<ulong, int>(); // id -> steps answered (0..n-1)
        ulong[] ids;
        using (var first = await ServeProcess.StartAsync(repo, ["--state-dir", state]))
        {
            ids = new ulong[8];
            for (var i = 0; i < ids.Length; i++) ids[i] = await Allocate(first);
            using var stop = new CancellationTokenSource();
            var loops = ids.Select(id => Task.Run(async () =>
            {
                var k = 0;
                try
                {
                    for (; !stop.IsCancellationRequested; k++)
                    {
                        var (status, body) = await Infer(first, "accumulate", id, k, start: k == 0);
                        Assert.True(status == HttpStatusCode.OK, $"sequence {id} step {k}: {(int)status} {body}");
                        lock (answered) answered[id] = k + 1;
                    }
                }
                catch (HttpRequestException) { } // the kill
                catch (TaskCanceledException) { }
                catch (IOException) { }
            })).ToArray();
            var deadline = DateTime.UtcNow + ServeProcess.HangGuard;
            while (true)
            {
                lock (answered) if (answered.Count == ids.Length && answered.Values.All(n => n >= 5)) break;
                Assert.True(DateTime.UtcNow < deadline, "the sequences never reached 5 steps");
                await Task.Delay(10);
            }
            await first.KillAsync(); // steps are in flight now
            stop.Cancel();
            await Task.WhenAll(loops).WaitAsync(ServeProcess.HangGuard);
        }

        var restoredStates = new Dictionary<ulong, float[]>();
        var after = new HashSet<ulong>();
        using (var restarted = await ServeProcess.StartAsync(repo, ["--state-dir", state]))
        {
            Assert.Contains("model 'accumulate' version 1: restored 8 live sequences", restarted.Output);
            foreach (var id in ids)
            {
                var (status, body) = await Infer(restarted, "accumulate", id, 0, start: false, zeros: true);
                Assert.True(status == HttpStatusCode.OK, $"sequence {id} after the restart: {(int)status} {body}");
                restoredStates[id] = Output(body);
            }
            for (var i = 0; i < 200; i++) after.Add(await Allocate(restarted));
        }
        Assert.Empty(after.Intersect(ids));
        Assert.True(after.Min() > ids.Max(), $"ids from {after.Min()} allocated after the restart; {ids.Max()} was handed out before it");

        using var reference = await ServeProcess.StartAsync(repo, []);
        foreach (var id in ids)
        {
            var n = answered[id];
            // The state after its n answered steps, and after the one in flight too.
            var candidates = new List<float[]>();
            foreach (var steps in new[] { n, n + 1 })
            {
                var replay = id + 1_000_000UL * (ulong)steps;
                for (var k = 0; k < steps; k++) Assert.Equal(HttpStatusCode.OK, (await Infer(reference, "accumulate", replay, k, start: k == 0, valuesOf: id)).Status);
                candidates.Add(Output((await Infer(reference, "accumulate", replay, 0, start: false, zeros: true)).Body));
            }
            Assert.True(candidates.Any(c => c.AsSpan().SequenceEqual(restoredStates[id])),
                $"sequence {id}: {n} steps were answered before the kill, but the restored state is neither the state after them nor after one more step");
        }
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(IPAddress.Loopback, port);
        return s;
    }

    private static async Task<string?> HealthAsync(Socket s)
    {
        try
        {
            await s.SendAsync(Encoding.ASCII.GetBytes("GET /v2/health/live HTTP/1.1\r\nHost: test\r\n\r\n"));
            var buffer = new byte[4096];
            using var guard = new CancellationTokenSource(ServeProcess.HangGuard);
            var n = await s.ReceiveAsync(buffer, SocketFlags.None, guard.Token);
            return n == 0 ? null : Encoding.ASCII.GetString(buffer, 0, n).Split("\r\n")[0];
        }
        catch (SocketException)
        {
            return null;
        }
    }

    [OrtAvailableFact]
    public async Task At_an_open_file_limit_of_400_a_flood_of_idle_connections_is_refused_and_the_server_lives_on()
    {
        using var server = await ServeProcess.StartAsync(Repository(), [], openFileLimit: 400);
        using var admitted = await ConnectAsync(server.Http.Port);
        Assert.Equal("HTTP/1.1 200 OK", await HealthAsync(admitted));

        // Before the cap, 600 idle connections stalled in their HTTP/2 preface aborted the process ("Out of memory.").
        var flood = new List<Socket>();
        for (var i = 0; i < 600; i++)
        {
            var s = await ConnectAsync(server.GrpcPort);
            try { await s.SendAsync(Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n")); } catch (SocketException) { }
            flood.Add(s);
        }
        Assert.Equal("HTTP/1.1 200 OK", await HealthAsync(admitted));
        Assert.False(server.HasExited, server.Output);
        foreach (var s in flood) s.Dispose();

        var deadline = DateTime.UtcNow + ServeProcess.HangGuard;
        string? status = null;
        while (status is null && DateTime.UtcNow < deadline)
        {
            using var again = await ConnectAsync(server.Http.Port);
            status = await HealthAsync(again);
            if (status is null) await Task.Delay(50);
        }
        Assert.Equal("HTTP/1.1 200 OK", status);
        Assert.False(server.HasExited);
        Assert.Contains("the limit is MaxConnections=144", server.Output);
        Assert.DoesNotContain("Out of memory", server.Output);
    }

    [OrtAvailableFact]
    public async Task SIGTERM_answers_a_step_waiting_for_a_slot_at_once_and_exits_0()
    {
        using var server = await ServeProcess.StartAsync(Repository(slots: 1), ["--set", "Server:ShutdownTimeoutSeconds=30"]);
        Assert.Equal(HttpStatusCode.OK, (await Infer(server, "accumulate", 1, 0, start: true)).Status); // holds the only slot
        var waiting = Infer(server, "accumulate", 2, 0, start: true);
        var deadline = DateTime.UtcNow + ServeProcess.HangGuard;
        while (!(await _client.GetStringAsync(server.Metrics)).Contains("ovs_sequences_backlogged{model=\"accumulate\",version=\"1\"} 1", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "sequence 2 never reached the backlog");
            await Task.Delay(20);
        }
        var exit = server.TerminateAsync();
        var (status, body) = await waiting;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("the server is shutting down; the step of sequence 2 was not run and changed nothing", body);
        // (Left to the 30 s shutdown timeout, the request would have been reset, not answered.)
        Assert.Equal(0, await exit);
    }
}
