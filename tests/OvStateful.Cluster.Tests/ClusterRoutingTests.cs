using System.Net;
using System.Text.Json;
using Grpc.Core;
using Proto = OvStateful.Protocol.Inference;
using Ovs = OvStateful.Protocol.Ovs;

namespace OvStateful.Cluster.Tests;

/// <summary>
/// Three nodes, real gRPC clients: a sequence's steps may arrive at any node's front; each
/// reaches the node that holds the sequence, and every output equals a single-node run's.
/// </summary>
[Collection(nameof(ClusterCollection))]
public sealed class ClusterRoutingTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Steps_sent_to_any_node_reach_the_owner_and_match_a_single_node_run()
    {
        const int sequences = 48, steps = 6;
        var ids = Enumerable.Range(0, sequences).Select(i => 1000UL + (ulong)i).ToArray();
        var expected = await AccumulateSteps.ReferenceAsync(cluster.Reference, ids, steps);
        var forwardedBefore = cluster.Nodes.Sum(n => Interlocked.Read(ref n.Node.Forwarded));
        var owners = new HashSet<string>();

        await Task.WhenAll(ids.Select(async (s, i) =>
        {
            for (var k = 0; k < steps; k++)
            {
                // Each step goes to another node's front than the one before.
                var response = await cluster.Client((i + k) % 3).ModelInferAsync(AccumulateSteps.Request(s, k, steps));
                Assert.Equal(expected[s][k], AccumulateSteps.Output(response));
                if (k == 0) lock (owners) owners.UnionWith(cluster.Nodes.Where(n => n.Node.Live.ContainsKey($"accumulate/u{s}")).Select(n => n.Node.Name));
            }
        }));

        // Placement spread the sequences, and most steps ran on a node other than the one called.
        Assert.True(owners.Count >= 2, $"all sequences lived on {string.Join(", ", owners)}");
        Assert.True(cluster.Nodes.Sum(n => Interlocked.Read(ref n.Node.Forwarded)) - forwardedBefore >= sequences * steps / 3);
        // END deactivated every sequence's grain.
        await Eventually(() => ids.All(s => cluster.Nodes.All(n => !n.Node.Live.ContainsKey($"accumulate/u{s}"))));
    }

    [Fact]
    public async Task A_stream_carrying_several_sequences_keeps_each_ones_responses_in_order()
    {
        const int sequences = 12, steps = 8;
        var ids = Enumerable.Range(0, sequences).Select(i => 2000UL + (ulong)i).ToArray();
        var expected = await AccumulateSteps.ReferenceAsync(cluster.Reference, ids, steps);
        using var call = cluster.Client(1).ModelStreamInfer();
        // Every step is sent before any answer is read; the sequences live on all three nodes.
        for (var k = 0; k < steps; k++)
            foreach (var s in ids) await call.RequestStream.WriteAsync(AccumulateSteps.Request(s, k, steps));
        await call.RequestStream.CompleteAsync();

        var next = ids.ToDictionary(s => s, _ => 0);
        var count = 0;
        await foreach (var r in call.ResponseStream.ReadAllAsync())
        {
            Assert.Equal("", r.ErrorMessage);
            var parts = r.InferResponse.Id.Split('_');
            var (s, k) = (ulong.Parse(parts[0]), int.Parse(parts[1]));
            Assert.Equal(next[s], k);
            next[s] = k + 1;
            Assert.Equal(expected[s][k], AccumulateSteps.Output(r.InferResponse));
            count++;
        }
        Assert.Equal(sequences * steps, count);
    }

    [Fact]
    public async Task Each_answer_names_the_owning_node_and_a_client_that_follows_the_hint_skips_the_hop()
    {
        const ulong s = 2500;
        const int steps = 6;
        var expected = await AccumulateSteps.ReferenceAsync(cluster.Reference, [s], steps);
        var first = await cluster.Client(0).ModelInferAsync(AccumulateSteps.Request(s, 0, steps));
        var owner = cluster.Nodes.Single(n => n.Node.Live.ContainsKey($"accumulate/u{s}"));
        Assert.Equal(owner.Node.Name, first.Parameters["ovs_node"].StringParam);
        Assert.Equal(owner.Node.Grpc, first.Parameters["ovs_node_grpc"].StringParam);
        Assert.Equal(owner.Node.Http, first.Parameters["ovs_node_http"].StringParam);

        using var direct = Grpc.Net.Client.GrpcChannel.ForAddress(first.Parameters["ovs_node_grpc"].StringParam);
        var forwarded = Interlocked.Read(ref owner.Node.Forwarded);
        for (var k = 1; k < steps; k++)
        {
            var r = await new Proto.GRPCInferenceService.GRPCInferenceServiceClient(direct).ModelInferAsync(AccumulateSteps.Request(s, k, steps));
            Assert.Equal(expected[s][k], AccumulateSteps.Output(r));
            Assert.Equal(owner.Node.Name, r.Parameters["ovs_node"].StringParam);
        }
        Assert.Equal(forwarded, Interlocked.Read(ref owner.Node.Forwarded));
    }

    [Fact]
    public async Task Server_issued_sequence_ids_are_unique_across_nodes()
    {
        var seen = new HashSet<ulong>();
        for (var n = 0; n < 3; n++)
        {
            var ids = new Ovs.SequenceIdService.SequenceIdServiceClient(cluster.Channels[n]);
            for (var i = 0; i < 50; i++)
                Assert.True(seen.Add((await ids.AllocateAsync(new Ovs.AllocateSequenceIdRequest())).SequenceId.Uint64Id));
        }
        Assert.Equal(150, seen.Count);
    }

    [Fact]
    public async Task A_retried_request_is_answered_once_not_applied_twice()
    {
        const ulong s = 3000;
        const int steps = 4;
        var expected = await AccumulateSteps.ReferenceAsync(cluster.Reference, [s], steps);
        for (var k = 0; k < steps; k++)
        {
            var first = await cluster.Client(k % 3).ModelInferAsync(AccumulateSteps.Request(s, k, steps));
            Assert.Equal(expected[s][k], AccumulateSteps.Output(first));
            if (k == 1)
            {
                // The same request again (its answer "lost"), at another node: the same answer, and step 2 below still matches.
                var retry = await cluster.Client((k + 1) % 3).ModelInferAsync(AccumulateSteps.Request(s, k, steps));
                Assert.Equal(expected[s][k], AccumulateSteps.Output(retry));
            }
        }
    }

    [Fact]
    public async Task Cluster_status_and_metrics_name_every_node()
    {
        using var http = new HttpClient { BaseAddress = new Uri(cluster.Nodes[0].Node.Http) };
        var status = JsonDocument.Parse(await http.GetStringAsync("/v2/cluster")).RootElement;
        Assert.Equal("n0", status.GetProperty("node").GetString());
        var names = status.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("name").GetString()).ToArray();
        Assert.Subset(new HashSet<string?>(names), new HashSet<string?> { "n0", "n1", "n2" });
        Assert.All(status.GetProperty("nodes").EnumerateArray(), n => Assert.Contains("accumulate", n.GetProperty("models").EnumerateArray().Select(m => m.GetString())));

        // ovs cluster status reads the same page.
        var table = new StringWriter();
        Assert.Equal(0, await OvStateful.Cli.Commands.ClusterCommand.StatusAsync(cluster.Nodes[1].Node.Http, table, TextWriter.Null));
        Assert.Contains("asked node n1", table.ToString());
        Assert.Contains("accumulate", table.ToString());

        using var metrics = new HttpClient();
        var text = await metrics.GetStringAsync($"http://127.0.0.1:{cluster.Nodes[0].Server.MetricsPort}/metrics");
        Assert.Contains("ovs_cluster_slots_used{node=\"n0\"}", text);
        Assert.Contains("ovs_cluster_forwarded_steps_total{node=\"n0\"}", text);
    }

    [Fact]
    public async Task Draining_a_node_mid_run_hands_its_sequences_over_and_loses_nothing()
    {
        const int sequences = 90, steps = 8;
        var ids = Enumerable.Range(0, sequences).Select(i => 4000UL + (ulong)i).ToArray();
        var expected = await AccumulateSteps.ReferenceAsync(cluster.Reference, ids, steps);
        // A fourth node, empty, so least-loaded placement gives it many of the new sequences.
        var leaving = await cluster.AddNodeAsync("n3");
        await cluster.WaitForBoardAsync(4);
        var fronts = new[] { 0, 1, 2, 3 };
        var halfway = new TaskCompletionSource();
        // The second half waits for the drain to be accepted: otherwise, on a busy machine, every
        // sequence the leaving node held could reach its end before the drain began (nothing to move).
        var draining = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var atHalf = 0;

        var run = Task.WhenAll(ids.Select(async (s, i) =>
        {
            for (var k = 0; k < steps; k++)
            {
                if (k == steps / 2 && Interlocked.Increment(ref atHalf) == sequences) halfway.TrySetResult();
                if (k >= steps / 2) await draining.Task;
                // Clients keep sending to every node, the draining one too, until it is gone.
                var front = fronts[(i + k) % (leaving.Drained.IsCompleted ? 3 : 4)];
                var response = await cluster.Client(front).ModelInferAsync(AccumulateSteps.Request(s, k, steps));
                Assert.Equal(expected[s][k], AccumulateSteps.Output(response));
            }
        }));

        await halfway.Task;
        var held = leaving.Node.Live.Count;
        Assert.True(held > 0, "the new node got no sequence");
        using (var http = new HttpClient { BaseAddress = new Uri(leaving.Node.Http) })
            Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsync("/v2/cluster/drain", null)).StatusCode);
        draining.SetResult();
        await leaving.Drained.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Empty(leaving.Node.Live);
        Assert.True(Interlocked.Read(ref leaving.Node.MigratedOut) >= 1);
        await run;
        Assert.Equal(Interlocked.Read(ref leaving.Node.MigratedOut), cluster.Nodes.Take(3).Sum(n => Interlocked.Read(ref n.Node.MigratedIn)));
        await leaving.StopAsync();
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in 10 s");
            await Task.Delay(20);
        }
    }
}

[CollectionDefinition(nameof(ClusterCollection))]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>;
