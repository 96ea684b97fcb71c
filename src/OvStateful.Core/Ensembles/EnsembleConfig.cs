namespace OvStateful.Core.Ensembles;

/// <summary>How a config says it is a Triton ensemble.</summary>
public static class EnsembleConfig
{
    /// <summary>Triton's platform name for ensembles.</summary>
    public const string Platform = "ensemble";

    /// <summary>The engine name an ensemble reports (metadata, start-up table, ovs validate).</summary>
    public const string EngineName = "ensemble";

    /// <summary>platform "ensemble", or an ensemble_scheduling section (Triton needs both; the validator says which is missing).</summary>
    public static bool IsEnsemble(ModelConfig? config) =>
        config is not null && (string.Equals(config.Platform, Platform, StringComparison.Ordinal) || config.EnsembleScheduling is not null);
}
