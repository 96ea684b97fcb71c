using OvStateful.Core.Engines;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Protocol;

/// <summary>Server and model metadata, shared by the HTTP and gRPC front ends.</summary>
internal static class MetadataMapper
{
    /// <summary>The KServe/Triton extensions served here, plus ours (ovs_sequence_id: correlation-id allocation).</summary>
    public static readonly string[] Extensions =
        ["sequence", "model_repository", "model_configuration", "system_shared_memory", "statistics", "binary_tensor_data", "parameters", "ovs_sequence_id"];

    public static string ServerVersion { get; } =
        typeof(MetadataMapper).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <param name="name">ServerOptions.ServerName.</param>
    public static Proto.ServerMetadataResponse Server(string name)
    {
        var p = new Proto.ServerMetadataResponse { Name = name, Version = ServerVersion };
        p.Extensions.AddRange(Extensions);
        return p;
    }

    /// <summary>
    /// Tensors as the config declares them (Triton: a leading -1 for batching models), limited
    /// to what clients send: control inputs and server-filled constant inputs are not listed.
    /// </summary>
    public static Proto.ModelMetadataResponse Model(IServedModel model, IModelRegistry registry)
    {
        var c = model.Config;
        var p = new Proto.ModelMetadataResponse
        {
            Name = model.Name,
            Platform = !string.IsNullOrEmpty(c.Platform) ? c.Platform : !string.IsNullOrEmpty(c.Backend) ? c.Backend : model.EngineName,
        };
        p.Versions.AddRange(registry.Index()
            .Where(e => string.Equals(e.Name, model.Name, StringComparison.Ordinal) && e.State == "READY")
            .Select(e => e.Version));
        if (p.Versions.Count == 0) p.Versions.Add(model.Version);

        foreach (var spec in model.Inputs)
        {
            var declared = c.Input.FirstOrDefault(i => string.Equals(i.Name, spec.Name, StringComparison.Ordinal));
            p.Inputs.Add(Tensor(spec, declared?.Dims, c.MaxBatchSize));
        }
        foreach (var spec in model.Outputs)
        {
            var declared = c.Output.FirstOrDefault(o => string.Equals(o.Name, spec.Name, StringComparison.Ordinal));
            p.Outputs.Add(Tensor(spec, declared?.Dims, c.MaxBatchSize));
        }
        return p;
    }

    private static Proto.ModelMetadataResponse.Types.TensorMetadata Tensor(TensorSpec spec, IReadOnlyList<long>? dims, int maxBatchSize)
    {
        var t = new Proto.ModelMetadataResponse.Types.TensorMetadata { Name = spec.Name, Datatype = spec.DataType.WireName() };
        if (dims is { Count: > 0 } || (dims is not null && spec.RequestShape.Length == (maxBatchSize > 0 ? 1 : 0)))
        {
            if (maxBatchSize > 0) t.Shape.Add(-1);
            t.Shape.AddRange(dims!);
        }
        else
        {
            t.Shape.AddRange(spec.RequestShape);
        }
        return t;
    }
}
