using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using OvStateful.Server.Hosting;
using OvStateful.Server.Tests.Infrastructure;
using OvStateful.Server.Tests.TestDoubles;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>
/// The server survives its clients: connections past MaxConnections are closed at once while
/// the admitted ones keep being served, new ones are taken again once others close, and a
/// connection that stalls in its HTTP/2 preface is closed by the idle timeout.
/// (The process-level test at a real open-file limit is in the CLI tests.)
/// </summary>
public sealed class ConnectionLimitTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private static async Task<Socket> ConnectAsync(int port)
    {
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync("127.0.0.1", port);
        return s;
    }

    /// <summary>Sends one HTTP/1.1 health request on the connection; the status line, or null when the server closed it.</summary>
    private static async Task<string?> HealthAsync(Socket s)
    {
        try
        {
            await s.SendAsync(Encoding.ASCII.GetBytes("GET /v2/health/live HTTP/1.1\r\nHost: test\r\n\r\n"));
            var buffer = new byte[4096];
            using var guard = new CancellationTokenSource(HangGuard);
            var n = await s.ReceiveAsync(buffer, SocketFlags.None, guard.Token);
            return n == 0 ? null : Encoding.ASCII.GetString(buffer, 0, n).Split("\r\n")[0];
        }
        catch (SocketException)
        {
            return null; // reset: closed with our request unread
        }
    }

    [Fact]
    public async Task Connections_past_the_limit_are_closed_while_the_admitted_keep_serving_and_the_server_recovers()
    {
        await using var server = await TestServer.StartAsync(configure: o => o.MaxConnections = 6);
        var port = server.Server.HttpPort;
        var admitted = new List<Socket>();
        for (var i = 0; i < 6; i++)
        {
            var s = await ConnectAsync(port);
            Assert.Equal("HTTP/1.1 200 OK", await HealthAsync(s));
            admitted.Add(s);
        }
        for (var i = 0; i < 20; i++)
        {
            using var extra = await ConnectAsync(port);
            Assert.Null(await HealthAsync(extra));
        }
        foreach (var s in admitted) Assert.Equal("HTTP/1.1 200 OK", await HealthAsync(s));

        foreach (var s in admitted.Take(3)) s.Dispose();
        // Kestrel notices the closes asynchronously; then new connections are taken again.
        var deadline = DateTime.UtcNow + HangGuard;
        string? status = null;
        while (status is null && DateTime.UtcNow < deadline)
        {
            using var again = await ConnectAsync(port);
            status = await HealthAsync(again);
            if (status is null) await Task.Delay(20);
        }
        Assert.Equal("HTTP/1.1 200 OK", status);
        foreach (var s in admitted.Skip(3)) Assert.Equal("HTTP/1.1 200 OK", await HealthAsync(s));
        foreach (var s in admitted) s.Dispose();
    }

    [Fact]
    public async Task A_connection_that_stalls_in_its_HTTP2_preface_is_closed_by_the_idle_timeout()
    {
        await using var server = await TestServer.StartAsync(configure: o => o.IdleTimeoutSeconds = 1);
        using var s = await ConnectAsync(server.Server.GrpcPort);
        await s.SendAsync(Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n")); // 16 of the preface's 24 bytes
        var buffer = new byte[1024];
        using var guard = new CancellationTokenSource(HangGuard);
        try
        {
            // The server may say GOAWAY first; what matters is that it ends the connection.
            while (await s.ReceiveAsync(buffer, SocketFlags.None, guard.Token) > 0) { }
        }
        catch (SocketException)
        {
            // reset: closed as well
        }
        Assert.False(guard.IsCancellationRequested, "the stalled connection was still open after the hang guard");
    }

    private sealed class CountingLogger : ILogger
    {
        public readonly List<string> Lines = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) => Lines.Add(formatter(state, exception));
    }

    [Fact]
    public void A_flood_of_refusals_writes_one_line_per_interval_with_the_count()
    {
        var logger = new CountingLogger();
        var log = new RateLimitedLog(logger, TimeSpan.FromHours(1));
        for (var i = 0; i < 10_000; i++) log.Note(i, static (l, count, _) => l.LogWarning("refused {Count}", count));
        Assert.Equal(["refused 1"], logger.Lines);

        var every = new RateLimitedLog(logger, TimeSpan.Zero);
        every.Note(0, static (l, count, _) => l.LogWarning("now {Count}", count));
        Assert.Equal("now 1", logger.Lines[^1]);
    }
}

/// <summary>A stream that pipelines without bound is told at once, per step, and nothing it was refused reaches a model.</summary>
public sealed class StreamLimitTests
{
    [Fact]
    public async Task Steps_past_the_streams_limit_are_answered_RESOURCE_EXHAUSTED_at_once_and_the_rest_run()
    {
        var gated = new GatedTestModel();
        await using var server = await TestServer.StartAsync(new TestModelRegistry(gated), o => o.MaxQueuedStepsPerStream = 3);
        var stream = await server.Grpc.StreamAsync("inference.GRPCInferenceService/ModelStreamInfer", Proto.ModelStreamInferResponse.Parser);
        for (var i = 0; i < 5; i++) stream.Send(GatedTestModel.Step($"s{i}", i));
        for (var i = 0; i < 3; i++) await gated.NextEntered();
        // Two refused while three wait at the gate: answered before any of those.
        for (var i = 0; i < 2; i++)
        {
            var refused = await stream.ReadAsync();
            Assert.Contains("this stream already has 3 steps waiting for their answers (the limit, MaxQueuedStepsPerStream, is 3)", refused!.ErrorMessage);
            Assert.Contains("was not queued and changed nothing", refused.ErrorMessage);
            Assert.Contains(refused.InferResponse.Id, new[] { "s3", "s4" });
        }
        gated.Open();
        var answered = new List<string>();
        for (var i = 0; i < 3; i++) answered.Add((await stream.ReadAsync())!.InferResponse.Id);
        Assert.Equal(["s0", "s1", "s2"], answered.Order());
        // Room again: the stream takes steps as before.
        stream.Send(GatedTestModel.Step("s5", 5));
        Assert.Equal("s5", (await stream.ReadAsync())!.InferResponse.Id);
        stream.CompleteRequests();
        Assert.Null(await stream.ReadAsync());
        await stream.DisposeAsync();
    }
}
