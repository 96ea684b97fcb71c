using System.Runtime.InteropServices;
using OvStateful.Core.Config;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;

namespace OvStateful.OnnxRuntime.Tests.Batcher;

/// <summary>
/// Triton's own accumulate_fp32 model folder, config.pbtxt unchanged (oldest strategy, 1280
/// candidate sequences on each of two instances, infer_end_requests = 0, uint64 CORRID), served
/// through ServedModel and the sequence batcher on the real ONNX Runtime engine.
/// </summary>
public class ConformanceServingTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    [OrtFact]
    public async Task The_conformance_config_serves_unchanged_with_Triton_semantics()
    {
        var folder = Path.Combine(TestPaths.Conformance, "accumulate_fp32");
        var config = ModelConfigParser.ParseFile(Path.Combine(folder, "config.pbtxt"));
        var provider = new OnnxRuntimeEngineProvider(new OnnxRuntimeOptions { IntraOpThreads = 1, InterOpThreads = 1 });
        await using var model = ServedModel.Load(provider, config, "1", Path.Combine(folder, "1"), Path.Combine(folder, "1", "accumulate_fp32.onnx"));
        // Triton gives each instance max_candidate_sequences of its own: 2 x 1280.
        Assert.Equal(2560, model.GetStatistics().SlotCount);
        Assert.Equal(BatchingStrategy.Oldest, model.Batcher.Settings.Strategy);
        Assert.Equal(2, model.Batcher.Settings.InstanceCount);
        var spec = Assert.Single(model.Inputs);
        Assert.Equal(new long[] { 1, 4, 1, 5 }, spec.RequestShape);

        InferenceRequest Step(SequenceId id, float[] input, bool start, bool end) => new()
        {
            ModelName = model.Name, SequenceId = id, SequenceStart = start, SequenceEnd = end,
            Inputs = [new Tensor(spec.Name, spec.DataType, spec.RequestShape, MemoryMarshal.AsBytes(input.AsSpan()).ToArray())],
        };

        var wrongKind = await Assert.ThrowsAsync<InferenceException>(() => model.InferAsync(Step(new SequenceId("a"), new float[20], true, false), default).AsTask());
        Assert.Equal(InferenceErrorKind.InvalidArgument, wrongKind.Kind);
        Assert.Contains("uint64", wrongKind.Message);

        const int sequences = 64, steps = 4;
        var problems = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var clients = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            var r = new Random(c);
            for (var s = c; s < sequences; s += 8)
            {
                var id = new SequenceId((ulong)(1000 + s));
                var sum = new float[5];
                for (var t = 0; t < steps; t++)
                {
                    // Small integers: every sum is exact in fp32.
                    var input = Enumerable.Range(0, 20).Select(_ => (float)r.Next(-20, 20)).ToArray();
                    var end = t == steps - 1;
                    var resp = await model.InferAsync(Step(id, input, t == 0, end), default);
                    var output = Assert.Single(resp.Outputs);
                    if (end)
                    {
                        // infer_end_requests = 0: an OK response with 0-shaped data.
                        if (output.Data.Length != 0 || output.Shape[0] != 0) problems.Enqueue($"sequence {id}: END step returned {output}");
                        continue;
                    }
                    for (var i = 0; i < 20; i++) sum[i % 5] += input[i];
                    var got = output.ToArray<float>();
                    for (var i = 0; i < 20; i++)
                    {
                        if (got[i] != input[i] + sum[i % 5]) { problems.Enqueue($"sequence {id} step {t} element {i}: {got[i]} != {input[i] + sum[i % 5]}"); break; }
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(clients).WaitAsync(HangGuard);
        Assert.True(problems.IsEmpty, string.Join("\n", problems.Take(5)));
        var stats = model.GetStatistics();
        Assert.Equal((ulong)(sequences * steps), stats.Success.Count);
        Assert.Equal(0, stats.ActiveSequences);
        Assert.Equal(0, stats.SlotsInUse);

        var gone = await Assert.ThrowsAsync<InferenceException>(() => model.InferAsync(Step(new SequenceId(1000), new float[20], false, false), default).AsTask());
        Assert.Equal(InferenceErrorKind.NotFound, gone.Kind);
        Assert.Contains("accumulate_fp32", gone.Message);
        Assert.Contains("1000", gone.Message);
    }
}
