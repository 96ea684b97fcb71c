namespace OvStateful.Core.Serving;

/// <summary>
/// The parameters of Triton's model load request (repository extension): <c>config</c>, a model
/// configuration in JSON that replaces the repository's config.pbtxt for this load, and
/// <c>file:&lt;path&gt;</c> entries, model files (such as <c>file:1/model.onnx</c>) that stand in
/// for the model's folder; Triton requires <c>config</c> with them.
/// </summary>
public sealed record ModelLoadParameters
{
    public static readonly ModelLoadParameters None = new();

    /// <summary>The prefix of a file parameter's key.</summary>
    public const string FilePrefix = "file:";

    /// <summary>The override config as JSON (proto3 JSON mapping of inference.ModelConfig), or null.</summary>
    public string? ConfigJson { get; init; }

    /// <summary>File contents by path inside the model folder (the key after "file:"); empty when none.</summary>
    public IReadOnlyDictionary<string, ReadOnlyMemory<byte>> Files { get; init; } = new Dictionary<string, ReadOnlyMemory<byte>>();

    public bool IsEmpty => ConfigJson is null && Files.Count == 0;
}
