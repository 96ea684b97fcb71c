using OvStateful.Core.Config;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Engines;

/// <summary>Whether an engine's runtime is present here, and if not, why and how to get it.</summary>
public sealed record EngineAvailability(bool IsAvailable, string Reason)
{
    /// <summary>The runtime's own version string ("2026.4.1-22982-..."), when the engine knows it; null otherwise.</summary>
    public string? RuntimeVersion { get; init; }

    /// <summary>The folder the runtime's library was loaded from, when the engine knows it; null otherwise.</summary>
    public string? RuntimeLocation { get; init; }

    public static EngineAvailability Available(string detail) => new(true, detail);
    public static EngineAvailability Unavailable(string reason) => new(false, reason);
}

/// <summary>A tensor as the model file declares it; -1 marks a dynamic or symbolic dimension.</summary>
public sealed record ModelFileTensor(string Name, DataType DataType, long[] Shape);

/// <summary>The real inputs and outputs of a model file, read by an engine.</summary>
public sealed record ModelFileSignature(IReadOnlyList<ModelFileTensor> Inputs, IReadOnlyList<ModelFileTensor> Outputs);

/// <summary>What an engine needs to load one instance of a model version.</summary>
/// <param name="Config">The validated model configuration.</param>
/// <param name="VersionDirectory">The version folder (holds the model file; Triton's initial_state/ folder is beside it, in the model folder).</param>
/// <param name="ModelFile">Full path of the model file.</param>
/// <param name="SlotCount">Slots (live sequences) this instance holds.</param>
/// <param name="InstanceIndex">Which instance of the model's instance_group this is.</param>
/// <param name="Device">Engine-specific device ("cpu", "cuda:0", "CPU", "GPU", "AUTO"); null = from the config.</param>
public sealed record EngineLoadContext(
    ModelConfig Config,
    string VersionDirectory,
    string ModelFile,
    int SlotCount,
    int InstanceIndex = 0,
    string? Device = null);

/// <summary>An engine kind: reports availability, reads model files, loads models.</summary>
public interface IEngineProvider
{
    /// <summary>"onnxruntime" or "openvino": the value of the config's engine parameter.</summary>
    string Name { get; }
    EngineAvailability Availability { get; }
    /// <summary>Reads a model file's inputs and outputs (for validation). Throws <see cref="EngineException"/> naming the file.</summary>
    ModelFileSignature Inspect(string modelFile);
    IStatefulEngine Load(EngineLoadContext context);

    /// <summary>
    /// Why this engine cannot serve a plan that fits its model file (e.g. BYTES tensors on an
    /// engine without strings), or null. <see cref="Load"/> refuses the same, so that
    /// <c>ovs validate</c>, which asks this, and <c>ovs serve</c> agree.
    /// </summary>
    string? Refuses(ModelPlan plan) => null;
}
