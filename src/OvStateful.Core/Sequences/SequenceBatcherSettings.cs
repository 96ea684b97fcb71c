using OvStateful.Core.Config;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Sequences;

/// <summary>Triton's two sequence batching strategies.</summary>
public enum BatchingStrategy
{
    /// <summary>Each sequence pinned to one batch slot for its life (sequence_batching.direct).</summary>
    Direct,
    /// <summary>Batches formed from the oldest pending steps of the candidate sequences (sequence_batching.oldest).</summary>
    Oldest,
}

/// <summary>Which kind of correlation id a model takes (CONTROL_SEQUENCE_CORRID's data_type).</summary>
public enum CorrelationIdKind
{
    /// <summary>No CORRID control: either kind is accepted.</summary>
    Any,
    UInt64,
    String,
}

/// <summary>
/// What the batcher takes from config.pbtxt, with Triton's defaults applied. Built by
/// <see cref="FromConfig"/>; tests build it directly.
/// </summary>
public sealed record SequenceBatcherSettings
{
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    /// <summary>False when the config has no sequence_batching: every request is its own batch-of-one step.</summary>
    public bool IsSequenceModel { get; init; } = true;
    public BatchingStrategy Strategy { get; init; } = BatchingStrategy.Direct;
    /// <summary>Most steps per batch (&gt;= 1; the config's max_batch_size, 0 read as 1).</summary>
    public int MaxBatchSize { get; init; } = 1;
    /// <summary>Engines (instance_group counts summed), &gt;= 1.</summary>
    public int InstanceCount { get; init; } = 1;
    /// <summary>Oldest only: slots of each instance (max_candidate_sequences: Triton gives every instance that many candidates).</summary>
    public int MaxCandidateSequences { get; init; }
    /// <summary>Oldest only; ascending.</summary>
    public IReadOnlyList<int> PreferredBatchSizes { get; init; } = [];
    public TimeSpan MaxQueueDelay { get; init; }
    /// <summary>Direct only: fraction of an instance's slots that must have a step ready before a batch runs early.</summary>
    public double MinimumSlotUtilization { get; init; }
    /// <summary>A sequence with no step for this long is released (Triton's default 1 s).</summary>
    public TimeSpan MaxSequenceIdle { get; init; } = TimeSpan.FromSeconds(1);
    public CorrelationIdKind CorrelationIdKind { get; init; } = CorrelationIdKind.Any;

    /// <summary>Slots of all instances together.</summary>
    public int TotalSlots
    {
        get
        {
            var n = 0;
            for (var i = 0; i < InstanceCount; i++) n += SlotsForInstance(i);
            return n;
        }
    }

    /// <summary>
    /// Slots instance <paramref name="instance"/> holds: direct = max_batch_size each;
    /// oldest = max_candidate_sequences each (Triton's sequence batcher gives every instance
    /// its own candidates, so they scale with the instance count); stateless = one.
    /// </summary>
    public int SlotsForInstance(int instance)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(instance);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(instance, InstanceCount);
        if (!IsSequenceModel) return 1;
        if (Strategy == BatchingStrategy.Direct) return MaxBatchSize;
        return Math.Max(1, MaxCandidateSequences > 0 ? MaxCandidateSequences : MaxBatchSize);
    }

    public static SequenceBatcherSettings FromConfig(ModelConfig config, string version)
    {
        ArgumentNullException.ThrowIfNull(config);
        var instances = 0;
        foreach (var g in config.InstanceGroup) instances += g.InstanceCount();
        instances = Math.Max(1, instances);
        var maxBatch = Math.Max(1, config.MaxBatchSize);
        var sb = config.SequenceBatching;
        if (sb is null)
        {
            return new SequenceBatcherSettings
            {
                ModelName = config.Name, ModelVersion = version, IsSequenceModel = false,
                Strategy = BatchingStrategy.Oldest, MaxBatchSize = 1, InstanceCount = instances,
            };
        }

        // Triton reads 0 as "not set": the default idle timeout is one second.
        var idleUs = sb.MaxSequenceIdleMicroseconds == 0 ? 1_000_000UL : sb.MaxSequenceIdleMicroseconds;
        var settings = new SequenceBatcherSettings
        {
            ModelName = config.Name,
            ModelVersion = version,
            MaxBatchSize = maxBatch,
            InstanceCount = instances,
            MaxSequenceIdle = Microseconds(idleUs),
            CorrelationIdKind = CorrIdKind(sb),
        };
        if (sb.Oldest is { } oldest)
        {
            var preferred = new List<int>();
            foreach (var p in oldest.PreferredBatchSize)
            {
                if (p >= 1 && p <= maxBatch && !preferred.Contains(p)) preferred.Add(p);
            }
            preferred.Sort();
            return settings with
            {
                Strategy = BatchingStrategy.Oldest,
                MaxCandidateSequences = oldest.MaxCandidateSequences > 0 ? oldest.MaxCandidateSequences : maxBatch,
                PreferredBatchSizes = preferred,
                MaxQueueDelay = Microseconds(oldest.MaxQueueDelayMicroseconds),
            };
        }
        var direct = sb.Direct;
        return settings with
        {
            Strategy = BatchingStrategy.Direct,
            MaxQueueDelay = Microseconds(direct?.MaxQueueDelayMicroseconds ?? 0),
            MinimumSlotUtilization = Math.Clamp(direct?.MinimumSlotUtilization ?? 0f, 0f, 1f),
        };
    }

    // Huge values (Triton configs use 100000000000 for "never") are capped far beyond any real run.
    private static TimeSpan Microseconds(ulong us) =>
        us >= (ulong)(TimeSpan.MaxValue.Ticks / 20) ? TimeSpan.FromTicks(TimeSpan.MaxValue.Ticks / 2) : TimeSpan.FromTicks((long)us * 10);

    private static CorrelationIdKind CorrIdKind(ModelSequenceBatching sb)
    {
        foreach (var ci in sb.ControlInput)
        {
            foreach (var c in ci.Control)
            {
                if (c.Kind.ToControlKind() == ControlKind.SequenceCorrid)
                {
                    return c.DataType == ConfigDataType.TypeString ? CorrelationIdKind.String : CorrelationIdKind.UInt64;
                }
            }
        }
        return CorrelationIdKind.Any;
    }
}
