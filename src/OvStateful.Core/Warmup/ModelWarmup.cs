using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Warmup;

/// <summary>
/// Triton's model_warmup: before a model version turns READY, each sample runs <c>count</c>
/// times (at least once) with <c>batch_size</c> requests at a time, through a batcher of its own
/// over the version's engines, so nothing of it reaches the served model's statistics. A
/// stateful model warms up on throwaway sequences (START on the first run, END on the last),
/// whose slots are free again and whose state the served batcher never sees. Any failure is
/// the version's load failure, with the sample and the reason.
/// </summary>
public static class ModelWarmup
{
    /// <summary>Runs the warmup of <paramref name="config"/> (nothing when it has none); throws <see cref="ModelWarmupException"/>.</summary>
    /// <param name="modelDirectory">The model's folder (input_data_file is read from its warmup/ folder).</param>
    public static void Run(ModelConfig config, string version, string modelDirectory, IReadOnlyList<IStatefulEngine> engines, BatcherOptions? options)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.ModelWarmup.Count == 0) return;
        var settings = SequenceBatcherSettings.FromConfig(config, version) with { InstanceCount = engines.Count };
        var batcher = new SequenceBatcher(settings, engines, options);
        try
        {
            RunAsync(config, settings, batcher, modelDirectory).GetAwaiter().GetResult();
        }
        finally
        {
            batcher.StopAsync().GetAwaiter().GetResult();
        }
    }

    private static async Task RunAsync(ModelConfig config, SequenceBatcherSettings settings, SequenceBatcher batcher, string modelDirectory)
    {
        // Seeded: the same config warms up with the same random_data on every load.
        var random = new Random(20261201);
        for (var i = 0; i < config.ModelWarmup.Count; i++)
        {
            var sample = config.ModelWarmup[i];
            var where = $"model_warmup[{i}] '{sample.Name}'";
            var inputs = WarmupInputs.Build(config, sample, where, batcher.Inputs, modelDirectory, random);
            var requests = Math.Max(1, (int)sample.BatchSize);
            if (config.MaxBatchSize > 0 && requests > config.MaxBatchSize)
                throw new ModelWarmupException($"{where}: batch_size {sample.BatchSize} is more than max_batch_size {config.MaxBatchSize}");
            var runs = Math.Max(1, (int)sample.Count);
            for (var run = 0; run < runs; run++)
            {
                var batch = new Task<InferenceResponse>[requests];
                for (var b = 0; b < requests; b++)
                {
                    batch[b] = batcher.InferAsync(new InferenceRequest
                    {
                        ModelName = config.Name,
                        SequenceId = settings.IsSequenceModel ? ThrowawayId(settings, i, b) : default,
                        SequenceStart = run == 0,
                        SequenceEnd = run == runs - 1,
                        Inputs = inputs,
                    }).AsTask();
                }
                try
                {
                    await Task.WhenAll(batch).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InferenceException or EngineException)
                {
                    throw new ModelWarmupException($"{where} failed: {e.Message}", e);
                }
            }
        }
    }

    /// <summary>A sequence id for warmup only, of the kind the model takes (its batcher is thrown away, so ids need only differ within a sample).</summary>
    private static SequenceId ThrowawayId(SequenceBatcherSettings settings, int sample, int request) =>
        settings.CorrelationIdKind == CorrelationIdKind.String
            ? new SequenceId($"ovs-warmup-{sample}-{request}")
            : new SequenceId(ulong.MaxValue - (ulong)(sample * 4096 + request));
}
