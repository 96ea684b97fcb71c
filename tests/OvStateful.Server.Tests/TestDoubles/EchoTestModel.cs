using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;

namespace OvStateful.Server.Tests.TestDoubles;

/// <summary>
/// A stateless test double for the server's codecs: one optional input per datatype, named by
/// its wire name ("FP32", "BYTES", ...), each [1, 3], echoed unchanged as "OUT_&lt;name&gt;".
/// </summary>
internal sealed class EchoTestModel : IServedModel
{
    public static readonly DataType[] Types =
    [
        DataType.Bool, DataType.UInt8, DataType.UInt16, DataType.UInt32, DataType.UInt64, DataType.Int8, DataType.Int16,
        DataType.Int32, DataType.Int64, DataType.Fp16, DataType.Fp32, DataType.Fp64, DataType.Bf16, DataType.String,
    ];

    private static readonly long[] Shape = [1, 3];

    public EchoTestModel(string name = "echo")
    {
        Name = name;
        Config = new ModelConfig { Name = name, Platform = "echo_test_double" };
        Config.Input.AddRange(Types.Select(t => new ModelInput { Name = t.WireName(), DataType = t.ToConfigType(), Dims = { 1, 3 }, Optional = true }));
        Config.Output.AddRange(Types.Select(t => new ModelOutput { Name = "OUT_" + t.WireName(), DataType = t.ToConfigType(), Dims = { 1, 3 } }));
        Inputs = Types.Select(t => new TensorSpec(t.WireName(), t, Shape)).ToList();
        Outputs = Types.Select(t => new TensorSpec("OUT_" + t.WireName(), t, Shape)).ToList();
    }

    public string Name { get; }
    public string Version => "1";
    public ModelConfig Config { get; }
    public string EngineName => "test-double";
    public IReadOnlyList<TensorSpec> Inputs { get; }
    public IReadOnlyList<TensorSpec> Outputs { get; }
    public bool IsReady => true;

    public ValueTask<InferenceResponse> InferAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        // As the batcher does: Core's one request check, before anything else.
        this.CheckRequest(request);
        var outputs = request.Inputs
            .Select(t => t with { Name = "OUT_" + t.Name })
            .Where(t => request.RequestedOutputs is not { Count: > 0 } r || r.Contains(t.Name))
            .ToList();
        return ValueTask.FromResult(new InferenceResponse { ModelName = Name, ModelVersion = Version, RequestId = request.RequestId, Outputs = outputs });
    }

    public ModelStatistics GetStatistics() => new() { Name = Name, Version = Version };
}
