using OvStateful.Server.Tests.Infrastructure;

namespace OvStateful.Cluster.Tests;

/// <summary>
/// Acceptance of the cluster: Triton's own clients, unchanged, pass against each of three real
/// nodes' ports while their sequences live on other nodes. Placement spreads a client's new
/// sequences over the three nodes, so the node a client calls holds only some of them: each run
/// must raise that node's forwarded-steps count (steps that arrived there and ran elsewhere).
/// The stream client (tritonclient, in every CI run) always runs; Triton's example programs and
/// the stateful backend's client are not in this repository and run where their variables name a checkout.
/// </summary>
public sealed class TritonClusterTests(TritonClusterFixture cluster) : IClassFixture<TritonClusterFixture>
{
    [TritonClusterFact]
    public Task Tritons_stream_client_passes_at_each_node_while_its_sequences_live_on_others() =>
        AtEachNodeAsync(async node =>
        {
            // 3 rounds of 6 sequences (uint64 and string ids) x 8 steps on one stream each.
            var (code, output) = await RunAsync(Path.Combine(AppContext.BaseDirectory, "Interop", "triton_stream_sequences.py"), node.Grpc, "3", "6", "8");
            Assert.True(code == 0, output);
            Assert.Contains("3 of 3 rounds passed", output);
        });

    [TritonClusterFact(TritonClusterFixture.ExamplesVariable)]
    public Task Tritons_sequence_examples_pass_unchanged_at_each_node() =>
        AtEachNodeAsync(async node =>
        {
            var folder = Environment.GetEnvironmentVariable(TritonClusterFixture.ExamplesVariable)!;
            foreach (var (program, flag) in new[]
            {
                ("simple_grpc_sequence_sync_infer_client.py", ""), ("simple_grpc_sequence_sync_infer_client.py", "-d"),
                ("simple_http_sequence_sync_infer_client.py", ""), ("simple_http_sequence_sync_infer_client.py", "-d"),
                ("simple_grpc_sequence_stream_infer_client.py", ""), ("simple_grpc_sequence_stream_infer_client.py", "-d"),
            })
            {
                var url = new Uri(program.Contains("http", StringComparison.Ordinal) ? node.Http : node.Grpc).Authority;
                var (code, output) = await TritonClusterFixture.RunTritonProgramAsync(Path.Combine(folder, program), flag.Length == 0 ? ["-u", url] : ["-u", url, flag]);
                Assert.True(code == 0, $"{program} {flag} at {node.Name} exited with {code}:\n{output}");
            }
        });

    [TritonClusterFact(TritonClusterFixture.StatefulBackendVariable)]
    public Task Triton_stateful_backends_client_passes_unchanged_at_each_node() =>
        AtEachNodeAsync(async node =>
        {
            var client = Path.Combine(Environment.GetEnvironmentVariable(TritonClusterFixture.StatefulBackendVariable)!, "client", "mixed_io_stream_infer_client.py");
            foreach (var model in new[] { "accumulate_fp32", "accumulate_int32", "mixed_io_int32_fp16", "mixed_io_bool_int8" })
            {
                // 8 sequences x 5 segments on one stream, checked by the client against its own simulation of the model.
                var (code, output) = await TritonClusterFixture.RunTritonProgramAsync(client, "-u", new Uri(node.Grpc).Authority, "-m", model, "-S", "8", "-s", "5");
                Assert.True(code == 0 && output.Contains("PASSED", StringComparison.Ordinal), $"{model} at {node.Name} exited with {code}:\n{output}");
            }
        });

    private static async Task<(int Code, string Output)> RunAsync(string script, string grpc, params string[] args)
    {
        var (code, stdout, stderr) = await PythonScript.RunAsync([script, TritonClusterFixture.Wheel, new Uri(grpc).Authority, .. args], TimeSpan.FromMinutes(2));
        return (code, stdout + "\n" + stderr);
    }

    /// <summary>Runs <paramref name="client"/> against each node in turn and asserts some of its steps ran on another node.</summary>
    private async Task AtEachNodeAsync(Func<NodeProcess, Task> client)
    {
        foreach (var node in cluster.Nodes)
        {
            var before = await cluster.ForwardedAsync(node);
            await client(node);
            var forwarded = await cluster.ForwardedAsync(node) - before;
            Assert.True(forwarded > 0, $"no step sent to {node.Name} ran on another node: the client never reached a sequence living elsewhere");
        }
    }
}
