using OvStateful.Core.Config;

namespace OvStateful.Bench;

/// <summary>The example repository's accumulate model (models/accumulate), its config read from disk.</summary>
internal static class AccumulateModel
{
    public static string VersionDirectory => Path.Combine(RepoPaths.Root, "models", "accumulate", "1");
    public static string File => Path.Combine(VersionDirectory, "model.onnx");

    /// <summary>
    /// The config with the batcher's queue delay at 0 (a step runs as soon as it is queued, so the
    /// round trip measures the batcher's own work, not its wait for company) and a long idle timeout.
    /// </summary>
    public static ModelConfig Config()
    {
        var config = ModelConfigParser.ParseFile(Path.Combine(RepoPaths.Root, "models", "accumulate", "config.pbtxt"));
        config.SequenceBatching!.Oldest!.MaxQueueDelayMicroseconds = 0;
        config.SequenceBatching.MaxSequenceIdleMicroseconds = 3_600_000_000;
        return config;
    }
}
