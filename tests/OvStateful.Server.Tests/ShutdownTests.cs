using System.Net;
using System.Text;
using OvStateful.Server.Tests.Infrastructure;
using OvStateful.Server.Tests.TestDoubles;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>Graceful shutdown: in-flight steps finish on every protocol, then nothing new is accepted.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Stop_lets_in_flight_requests_finish_then_refuses_new_ones()
    {
        var gated = new GatedTestModel();
        var server = await TestServer.StartAsync(new TestModelRegistry(gated));
        var port = server.Server.HttpPort;

        var body = "{\"inputs\":[{\"name\":\"X\",\"shape\":[1],\"datatype\":\"INT32\",\"data\":[41]}]}";
        var httpTask = server.Http.PostAsync("/v2/models/gated/infer", new StringContent(body, Encoding.UTF8, "application/json"));
        var unaryTask = server.Grpc.UnaryAsync("ModelInfer", GatedTestModel.Step("unary", 9), Proto.ModelInferResponse.Parser);
        // A stream whose client has sent its last step (half-closed) but waits for the answer.
        var stream = await server.Grpc.StreamAsync("inference.GRPCInferenceService/ModelStreamInfer", Proto.ModelStreamInferResponse.Parser);
        stream.Send(GatedTestModel.Step("streamed", 1));
        stream.CompleteRequests();
        for (var i = 0; i < 3; i++) await gated.NextEntered();

        var stopping = server.Server.StopAsync();
        gated.Open();
        using (var response = await httpTask)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("42", await response.Content.ReadAsStringAsync());
        }
        var unary = await unaryTask;
        Assert.Equal("unary", unary.Single.Id);
        var answered = await stream.ReadAsync();
        Assert.Equal("streamed", answered!.InferResponse.Id);
        Assert.Null(await stream.ReadAsync());
        // OK when the server saw the half-close before it stopped reading, UNAVAILABLE otherwise.
        Assert.Contains(stream.Status().Status, new[] { 0, 14 });
        await stream.DisposeAsync();
        await stopping;

        using var fresh = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => fresh.GetAsync($"http://127.0.0.1:{port}/v2/health/live"));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task A_grpc_timeout_that_passes_ends_the_call_with_deadline_exceeded()
    {
        var gated = new GatedTestModel(); // never opened: only the deadline can end the step
        await using var server = await TestServer.StartAsync(new TestModelRegistry(gated));
        var result = await server.Grpc.UnaryAsync("ModelInfer", GatedTestModel.Step("late", 1), Proto.ModelInferResponse.Parser,
            options: new global::Grpc.Core.CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(200)));
        Assert.Equal(4, result.Status);
        Assert.True((await server.Grpc.UnaryAsync("ServerLive", new Proto.ServerLiveRequest(), Proto.ServerLiveResponse.Parser)).Single.Live);
    }
}
