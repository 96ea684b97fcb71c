using System.Runtime.InteropServices;
using OvStateful.Cli.Remote.Grpc;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Sequences;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Tests;

/// <summary>
/// Many sequences sharing a few ModelStreamInfer streams (`ovs bench --grpc-streams`): every
/// response must reach the step that asked for it, on a real server running accumulate.
/// </summary>
public sealed class SharedStreamTests(BenchCommandTests.ServerFixture server) : IClassFixture<BenchCommandTests.ServerFixture>
{
    [OrtAvailableFact]
    public async Task Each_sequence_gets_its_own_answers_on_shared_streams()
    {
        await using var protocol = new GrpcProtocol(new Uri(server.Grpc), stream: true, sharedStreams: 2);
        Assert.Equal("grpc (ModelStreamInfer, 2 shared streams)", protocol.Name);
        var model = await protocol.MetadataAsync("accumulate", CancellationToken.None);
        const int sequences = 24, steps = 6;

        // Sequence c sends Input filled with c + 1 at every step, so a response that went to the
        // wrong step would show another sequence's running sum.
        var runs = Enumerable.Range(0, sequences).Select(async c =>
        {
            await using var client = protocol.CreateClient(model);
            var value = c + 1f;
            var input = new float[4 * 5];
            Array.Fill(input, value);
            for (var k = 0; k < steps; k++)
            {
                var step = new StepCall(new SequenceId((ulong)(70_000 + c)), k == 0, k == steps - 1,
                    [new Tensor("Input", DataType.Fp32, [1, 4, 1, 5], MemoryMarshal.AsBytes(input.AsSpan()).ToArray())]);
                var output = Assert.Single(await client.SendAsync(step, CancellationToken.None));
                // Output = Input + running sum of every Input row so far (4 rows a step).
                var expected = value + (k + 1) * 4 * value;
                Assert.All(MemoryMarshal.Cast<byte, float>(output.Data.Span).ToArray(), v => Assert.Equal(expected, v));
            }
        });
        await Task.WhenAll(runs);
    }
}
