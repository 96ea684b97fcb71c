using Grpc.Core;
using Grpc.Net.Client;
using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
using OvStateful.Testing;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Cluster.Tests;

/// <summary>
/// Three real <c>ovs serve --cluster redis://</c> processes with Debian's redis-server, started
/// and stopped here: one node killed with kill -9 mid-run, another stopped with SIGTERM (drain),
/// and every sequence's outputs still equal a single-node run's.
/// </summary>
public sealed class RedisClusterTests : IAsyncLifetime
{
    private string _repository = "";
    private ModelRegistry _reference = null!;

    public async Task InitializeAsync()
    {
        _repository = Path.Combine(Path.GetTempPath(), "ovs-redis-" + Guid.NewGuid().ToString("N")[..8]);
        var from = Path.Combine(TestPaths.Models, AccumulateSteps.Model);
        var to = Path.Combine(_repository, AccumulateSteps.Model);
        Directory.CreateDirectory(Path.Combine(to, "1"));
        File.Copy(Path.Combine(from, "config.pbtxt"), Path.Combine(to, "config.pbtxt"));
        File.Copy(Path.Combine(from, "1", "model.onnx"), Path.Combine(to, "1", "model.onnx"));
        _reference = new ModelRegistry(_repository, [new OnnxRuntimeEngineProvider()]);
        await _reference.LoadAllAsync();
    }

    public async Task DisposeAsync()
    {
        await _reference.DisposeAsync();
        try { Directory.Delete(_repository, recursive: true); } catch (IOException) { }
    }

    [RedisFact]
    public async Task Kill_9_with_persistence_and_a_SIGTERM_drain_lose_nothing()
    {
        // Thousands of live sequences (spilled beyond the 3 x 256 slots); OVS_STRESS=1 for more.
        var sequences = Environment.GetEnvironmentVariable("OVS_STRESS") is { Length: > 0 } ? 6000 : 1200;
        const int steps = 9;
        var ids = Enumerable.Range(0, sequences).Select(i => 7000UL + (ulong)i).ToArray();
        var expected = await AccumulateSteps.ReferenceAsync(_reference, ids, steps);
        var redisPort = ClusterFixture.FreePort();
        using var redis = await NodeProcess.StartRedisAsync(redisPort) ?? throw new InvalidOperationException("no redis-server");
        var nodes = new NodeProcess[3];
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 3).Select(async i => nodes[i] = await NodeProcess.StartNodeAsync($"n{i}", _repository, redisPort, ClusterFixture.FreePort(), persist: true)));
            var channels = nodes.Select(n => GrpcChannel.ForAddress(n.Grpc)).ToArray();
            var alive = new[] { true, true, true };

            async Task RunSteps(int from, int to) => await Task.WhenAll(ids.Select(async (s, i) =>
            {
                for (var k = from; k < to; k++)
                {
                    var output = await StepWithRetryAsync(channels, alive, i + k, AccumulateSteps.Request(s, k, steps));
                    Assert.True(expected[s][k].SequenceEqual(output), $"sequence {s} step {k}: {string.Join(",", output.Take(5))} != {string.Join(",", expected[s][k].Take(5))}");
                }
            }));

            await RunSteps(0, 3);
            // kill -9 while steps are in flight: their answers may be lost; clients retry the same request at another node.
            var during = RunSteps(3, 6);
            await Task.Delay(100);
            nodes[2].Kill();
            alive[2] = false;
            await during;
            // SIGTERM: node 1 hands its sequences over and exits 0; clients go on at node 0.
            var stopping = nodes[1].TerminateAsync();
            alive[1] = false;
            await RunSteps(6, steps);
            Assert.Equal(0, await stopping);
            Assert.Contains("drained", nodes[1].Output);
            foreach (var c in channels) c.Dispose();
        }
        finally
        {
            foreach (var n in nodes) n?.Dispose();
        }
    }

    [RedisFact]
    public async Task Kill_9_without_persistence_fails_each_lost_sequence_clearly_and_never_resets_it()
    {
        const int sequences = 40, steps = 6;
        var ids = Enumerable.Range(0, sequences).Select(i => 9000UL + (ulong)i).ToArray();
        var expected = await AccumulateSteps.ReferenceAsync(_reference, ids, steps);
        var redisPort = ClusterFixture.FreePort();
        using var redis = await NodeProcess.StartRedisAsync(redisPort) ?? throw new InvalidOperationException("no redis-server");
        var nodes = new NodeProcess[2];
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 2).Select(async i => nodes[i] = await NodeProcess.StartNodeAsync($"n{i}", _repository, redisPort, ClusterFixture.FreePort(), persist: false)));
            var channels = nodes.Select(n => GrpcChannel.ForAddress(n.Grpc)).ToArray();
            var alive = new[] { true, true };
            foreach (var k in Enumerable.Range(0, 3))
                await Task.WhenAll(ids.Select(async (s, i) => Assert.Equal(expected[s][k], await StepWithRetryAsync(channels, alive, i + k, AccumulateSteps.Request(s, k, steps)))));
            nodes[1].Kill();
            alive[1] = false;

            var lost = 0;
            await Task.WhenAll(ids.Select(async s =>
            {
                try
                {
                    Assert.Equal(expected[s][3], await StepWithRetryAsync(channels, alive, 0, AccumulateSteps.Request(s, 3, steps)));
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
                {
                    // Its state was on n1: said once per step, naming the sequence and the node; never a reset state.
                    Assert.Contains($"sequence {s} of model 'accumulate' lived on node n1", e.Status.Detail);
                    Assert.Contains("none of its steps was kept", e.Status.Detail);
                    Interlocked.Increment(ref lost);
                    var again = await Assert.ThrowsAsync<RpcException>(() => StepWithRetryAsync(channels, alive, 0, AccumulateSteps.Request(s, 4, steps)));
                    Assert.Contains("lived on node n1", again.Status.Detail);
                    // A START begins it again, from the initial state.
                    Assert.Equal(expected[s][0], await StepWithRetryAsync(channels, alive, 0, AccumulateSteps.Request(s, 0, steps)));
                }
            }));
            Assert.InRange(lost, 1, sequences - 1);
            foreach (var c in channels) c.Dispose();
        }
        finally
        {
            foreach (var n in nodes) n?.Dispose();
        }
    }

    /// <summary>
    /// Sends one step to a live node's front, moving on to the next live node on UNAVAILABLE (a
    /// killed node, or one whose sequences are still coming back). The same request id each time:
    /// a step that ran but whose answer was lost is answered again, not applied twice.
    /// </summary>
    private static async Task<float[]> StepWithRetryAsync(GrpcChannel[] channels, bool[] alive, int start, Proto.ModelInferRequest request)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        for (var attempt = 0; ; attempt++)
        {
            var n = Enumerable.Range(start + attempt, channels.Length).Select(i => i % channels.Length).First(i => alive[i]);
            try
            {
                var client = new Proto.GRPCInferenceService.GRPCInferenceServiceClient(channels[n]);
                return AccumulateSteps.Output(await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(20)));
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
