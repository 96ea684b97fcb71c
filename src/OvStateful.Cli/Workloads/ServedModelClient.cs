using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Workloads;

/// <summary>Steps into a <see cref="IServedModel"/> in this process (through its sequence batcher).</summary>
internal sealed class ServedModelClient(IServedModel model) : IStepClient
{
    public async ValueTask<IReadOnlyList<Tensor>> SendAsync(StepCall step, CancellationToken cancellationToken)
    {
        var response = await model.InferAsync(new InferenceRequest
        {
            ModelName = model.Name,
            SequenceId = step.Id,
            SequenceStart = step.Start,
            SequenceEnd = step.End,
            Inputs = step.Inputs,
        }, cancellationToken).ConfigureAwait(false);
        return response.Outputs;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
