using ModelConfig = OvStateful.Protocol.Inference.ModelConfig;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;

namespace OvStateful.Cluster.Routing;

/// <summary>
/// A local model as the fronts of a cluster node see it: a step of a sequence goes to its
/// sequence's grain (on this node or another); everything else (stateless requests, metadata,
/// statistics) is the local model's.
/// </summary>
internal sealed class ClusterServedModel(IServedModel local, SequenceForwarder forwarder, bool isSequenceModel) : IServedModel
{
    public IServedModel Local { get; } = local;
    public string Name => Local.Name;
    public string Version => Local.Version;
    public ModelConfig Config => Local.Config;
    public string EngineName => Local.EngineName;
    public IReadOnlyList<TensorSpec> Inputs => Local.Inputs;
    public IReadOnlyList<TensorSpec> Outputs => Local.Outputs;
    public bool IsReady => Local.IsReady;
    public IReadOnlyList<EngineDescription> Instances => Local.Instances;
    public IReadOnlyList<string> ConfigWarnings => Local.ConfigWarnings;
    public ModelStatistics GetStatistics() => Local.GetStatistics();

    public ValueTask<InferenceResponse> InferAsync(InferenceRequest request, CancellationToken cancellationToken) =>
        // A request without a sequence id fails in the local batcher with its usual message.
        isSequenceModel && !request.SequenceId.IsNone
            ? forwarder.StepAsync(request, cancellationToken)
            : Local.InferAsync(request, cancellationToken);
}
