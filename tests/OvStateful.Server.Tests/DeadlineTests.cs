using System.Buffers.Binary;
using System.Net;
using Google.Protobuf;
using OvStateful.Server.Tests.Infrastructure;
using OvStateful.Server.Tests.TestDoubles;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>
/// The deadline promise over gRPC: DEADLINE_EXCEEDED from the server means the step never ran;
/// a step already running when the deadline passes completes and is answered (Triton's
/// behaviour). The calls are raw HTTP/2 so no client library gives up on its own.
/// (The batcher-level check over thousands of steps is in Core's CancellationAndShutdownTests.)
/// </summary>
public sealed class DeadlineTests
{
    /// <summary>One unary ModelInfer over plain HTTP/2 with grpc-timeout: the status and message the server sent, and the response message if any.</summary>
    private static async Task<(int Status, string Message, Proto.ModelInferResponse? Response)> CallAsync(int port, IMessage request, string timeout)
    {
        using var client = new HttpClient();
        var payload = request.ToByteArray();
        var body = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(body, 5);
        using var message = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/inference.GRPCInferenceService/ModelInfer")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        message.Content.Headers.ContentType = new("application/grpc");
        message.Headers.TryAddWithoutValidation("te", "trailers");
        message.Headers.TryAddWithoutValidation("grpc-timeout", timeout);
        using var response = await client.SendAsync(message);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        string? Header(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.First() : response.Headers.TryGetValues(name, out var h) ? h.First() : null;
        var status = int.Parse(Header("grpc-status") ?? "-1", System.Globalization.CultureInfo.InvariantCulture);
        var text = Uri.UnescapeDataString(Header("grpc-message") ?? "");
        return (status, text, bytes.Length > 5 ? Proto.ModelInferResponse.Parser.ParseFrom(bytes.AsSpan(5).ToArray()) : null);
    }

    [Fact]
    public async Task A_step_still_waiting_at_its_deadline_fails_DEADLINE_EXCEEDED_saying_it_changed_nothing()
    {
        var gated = new GatedTestModel();
        await using var server = await TestServer.StartAsync(new TestModelRegistry(gated));
        var (status, message, response) = await CallAsync(server.Server.GrpcPort, GatedTestModel.Step("s", 1), "100m");
        Assert.Equal(4, status); // DEADLINE_EXCEEDED
        Assert.Contains("deadline exceeded before the step ran", message);
        Assert.Null(response);
        gated.Open();
    }

    [Fact]
    public async Task A_step_already_running_at_its_deadline_completes_and_is_answered()
    {
        var running = new GatedTestModel(runsToEnd: true);
        await using var server = await TestServer.StartAsync(new TestModelRegistry(running));
        var call = CallAsync(server.Server.GrpcPort, GatedTestModel.Step("s", 1), "50m");
        await running.NextEntered();
        await Task.Delay(300); // the step's deadline passes while it runs
        running.Open();
        var (status, message, response) = await call;
        Assert.True(status == 0, $"status {status}: {message}");
        Assert.Equal(2, response!.RawOutputContents.Count > 0 ? BitConverter.ToInt32(response.RawOutputContents[0].Span) : response.Outputs[0].Contents.IntContents[0]);
        Assert.Equal(1, running.Completed);
    }
}
