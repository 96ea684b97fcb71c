using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests.TestDoubles;

/// <summary>
/// A stateless test double whose steps wait until the test opens the gate (for shutdown and
/// deadline tests). Y = X + 1.
/// </summary>
/// <param name="runsToEnd">
/// A step that reached the gate ignores the caller's token from then on and completes when the
/// gate opens (as a step already taken into a batch does); otherwise cancelling it ends its wait.
/// </param>
internal sealed class GatedTestModel(bool runsToEnd = false) : IServedModel
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Released once per step that reaches the gate.</summary>
    private readonly SemaphoreSlim _entered = new(0);
    /// <summary>Steps that passed the gate and were answered; only grows.</summary>
    private int _completed;

    /// <summary>Steps that passed the gate and were answered so far.</summary>
    public int Completed => Volatile.Read(ref _completed);

    public string Name => "gated";
    public string Version => "1";
    public ModelConfig Config { get; } = new() { Name = "gated", Input = { new ModelInput { Name = "X", DataType = ConfigDataType.TypeInt32, Dims = { 1 } } } };
    public string EngineName => "test-double";
    public IReadOnlyList<TensorSpec> Inputs { get; } = [new TensorSpec("X", DataType.Int32, [1])];
    public IReadOnlyList<TensorSpec> Outputs { get; } = [new TensorSpec("Y", DataType.Int32, [1])];
    public bool IsReady => true;

    /// <summary>Completes when another step is waiting at the gate.</summary>
    public Task NextEntered() => _entered.WaitAsync();

    public void Open() => _gate.TrySetResult();

    public async ValueTask<InferenceResponse> InferAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        // As the batcher does: Core's one request check, before anything else.
        this.CheckRequest(request);
        _entered.Release();
        await _gate.Task.WaitAsync(runsToEnd ? CancellationToken.None : cancellationToken);
        var x = request.Inputs[0].ToArray<int>()[0];
        Interlocked.Increment(ref _completed);
        return new InferenceResponse { ModelName = Name, ModelVersion = Version, RequestId = request.RequestId, Outputs = [Tensor.FromArray("Y", DataType.Int32, [1], new[] { x + 1 })] };
    }

    public ModelStatistics GetStatistics() => new() { Name = Name, Version = Version };

    /// <summary>A gRPC ModelInfer request for this model (or one with its inputs): X = <paramref name="x"/>, request id <paramref name="id"/>.</summary>
    public static Proto.ModelInferRequest Step(string id, int x)
    {
        var step = new Proto.ModelInferRequest { ModelName = "gated", Id = id };
        var t = new Proto.ModelInferRequest.Types.InferInputTensor { Name = "X", Datatype = "INT32", Contents = new Proto.InferTensorContents() };
        t.Shape.Add(1);
        t.Contents.IntContents.Add(x);
        step.Inputs.Add(t);
        return step;
    }
}
