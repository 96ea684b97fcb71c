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
    public static IReadOnlyList<ModelInstanceGroup> EffectiveInstanceGroups(this ModelConfig config) =>
        config.InstanceGroup.Count > 0 ? config.InstanceGroup : [new ModelInstanceGroup { Kind = ModelInstanceGroup.Types.Kind.Auto, Count = 1 }];

    /// <summary>A group's instance count: count, or Triton's default of 1 when it is 0.</summary>
    public static int InstanceCount(this ModelInstanceGroup group) => group.Count > 0 ? group.Count : 1;

    /// <summary>max_sequence_idle_microseconds, or Triton's default of 1 second when it is 0.</summary>
    public static ulong IdleMicroseconds(this ModelSequenceBatching sequencing) =>
        sequencing.MaxSequenceIdleMicroseconds > 0 ? sequencing.MaxSequenceIdleMicroseconds : 1_000_000;
}
