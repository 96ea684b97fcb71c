using OvStateful.Core.Config;
using OvStateful.Core.Engines;

namespace OvStateful.Core.Serving;

/// <summary>A loaded model version as the protocol front ends see it.</summary>
public interface IServedModel
{
    string Name { get; }
    string Version { get; }
    ModelConfig Config { get; }
    /// <summary>Engine name serving it, e.g. "onnxruntime".</summary>
    string EngineName { get; }
    IReadOnlyList<TensorSpec> Inputs { get; }
    IReadOnlyList<TensorSpec> Outputs { get; }
    bool IsReady { get; }

    /// <summary>Runs one step. Fails with <see cref="InferenceException"/>; a failure touches no other request.</summary>
    ValueTask<InferenceResponse> InferAsync(InferenceRequest request, CancellationToken cancellationToken);

    ModelStatistics GetStatistics();

    /// <summary>One description per engine instance (start-up table); empty when the model does not say.</summary>
    IReadOnlyList<EngineDescription> Instances => [];

    /// <summary>What its config asks that Triton accepts but that probably was not meant (<see cref="OvStateful.Core.Config.ConfigValidator.Warnings"/>), each "path: what happens".</summary>
    IReadOnlyList<string> ConfigWarnings => [.. OvStateful.Core.Config.ConfigValidator.Warnings(Config).Select(w => w.ToString())];
}

/// <summary>The models of a repository, as the server's repository and health endpoints see them.</summary>
public interface IModelRegistry
{
    IReadOnlyList<ModelIndexEntry> Index();
    /// <summary>version null/empty = the newest ready version.</summary>
    bool TryGet(string name, string? version, out IServedModel? model);
    Task LoadAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Loads with Triton's load parameters (an override config, model files). Registries that
    /// take none refuse any, naming them.
    /// </summary>
    Task LoadAsync(string name, ModelLoadParameters parameters, CancellationToken cancellationToken) =>
        parameters.IsEmpty
            ? LoadAsync(name, cancellationToken)
            : throw new InferenceException(InferenceErrorKind.InvalidArgument, $"failed to load '{name}': this server takes no load parameters ('config', 'file:')");

    Task UnloadAsync(string name, CancellationToken cancellationToken);
    /// <summary>True when every model that should be loaded is ready.</summary>
    bool IsReady { get; }
}

/// <summary>Triton repository index entry: state is READY, UNAVAILABLE, LOADING or UNLOADING.</summary>
public sealed record ModelIndexEntry(string Name, string Version, string State, string Reason);
