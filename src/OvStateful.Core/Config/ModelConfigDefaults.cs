namespace OvStateful.Core.Config;

/// <summary>Values Triton derives from a config when a field is left at 0.</summary>
public static class ModelConfigDefaults
{
    /// <summary>
    /// Slots (live sequences) per model instance, as Triton's sequence batcher counts them:
    /// oldest.max_candidate_sequences when &gt; 0, else max(1, max_batch_size).
    /// </summary>
    public static int SequenceSlotCount(this ModelConfig config)
    {
        var fallback = Math.Max(1, config.MaxBatchSize);
        return config.SequenceBatching?.Oldest is { MaxCandidateSequences: > 0 } o ? o.MaxCandidateSequences : fallback;
    }

    /// <summary>Instance groups as Triton fills them in: one group of one instance when none is given.</summary>
    public static IReadOnlyList<InstanceGroup> EffectiveInstanceGroups(this ModelConfig config) =>
        config.InstanceGroup.Count > 0 ? config.InstanceGroup : [new InstanceGroup { Kind = InstanceKind.Auto, Count = 1 }];
}
