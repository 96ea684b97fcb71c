namespace OvStateful.Core.Config;

public static partial class ConfigValidator
{
    /// <summary>
    /// What Triton accepts and so do we, but which is probably not what the config's author meant
    /// (Triton's model_config_utils.cc is the reference for what is accepted). Each says what
    /// happens instead. A model with warnings loads and serves.
    /// </summary>
    public static IReadOnlyList<ValidationProblem> Warnings(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var warnings = new List<ValidationProblem>();
        if (config.SequenceBatching?.Oldest is { MaxCandidateSequences: > 0 } o && o.MaxCandidateSequences < config.MaxBatchSize)
        {
            Add(warnings, "sequence_batching.oldest.max_candidate_sequences",
                $"{o.MaxCandidateSequences} is below max_batch_size {config.MaxBatchSize}: accepted, as Triton does, with {o.MaxCandidateSequences} slots, so a batch holds at most {o.MaxCandidateSequences} sequences; set it to at least {config.MaxBatchSize} to fill batches");
        }
        return warnings;
    }
}
