using Orleans.Concurrency;
using OvStateful.Cluster.Grains;
using OvStateful.Cluster.Node;
using OvStateful.Cluster.Wire;
using OvStateful.Core.Serving;

namespace OvStateful.Cluster.Routing;

/// <summary>
/// Sends a step to its sequence's grain, wherever that lives, and raises its error again here
/// unchanged. Steps of one sequence that arrive at this node leave it one at a time, in arrival
/// order: Orleans does not promise that two calls in flight to one grain arrive in the order
/// sent, and the batcher must see a sequence's steps in the client's order (a gRPC stream with
/// several sequences keeps each one's responses in order this way, across nodes).
/// </summary>
internal sealed class SequenceForwarder(IGrainFactory grains, NodeContext node)
{
    // Under itself. Invariant: each value completes when the last step queued here for its key
    // has its answer; removed by that step when no later one queued behind it.
    private readonly Dictionary<string, Task> _tails = new(StringComparer.Ordinal);

    public async ValueTask<InferenceResponse> StepAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        var key = SequenceKey.Of(request.ModelName, request.SequenceId);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task? before;
        lock (_tails)
        {
            _tails.TryGetValue(key, out before);
            _tails[key] = done.Task;
        }
        StepAnswer answer;
        try
        {
            if (before is not null) await before.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            answer = await grains.GetGrain<ISequenceGrain>(key).Step(new Immutable<InferenceRequest>(request)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new InferenceException(InferenceErrorKind.Cancelled, $"model '{request.ModelName}': the step of sequence {request.SequenceId} was cancelled before it was sent to its node; it changed nothing");
        }
        catch (Exception e) when (e is not InferenceException)
        {
            // Orleans could not reach the grain (its node died mid-call, a timeout): the step may or may not have run.
            throw new InferenceException(InferenceErrorKind.Unavailable,
                $"model '{request.ModelName}': the step of sequence {request.SequenceId} could not reach the node that holds it ({e.GetType().Name}: {e.Message}); retry it with the same request id to be answered once", e);
        }
        finally
        {
            lock (_tails)
            {
                if (_tails.TryGetValue(key, out var tail) && tail == done.Task) _tails.Remove(key);
            }
            done.SetResult();
        }
        if (answer.Node != node.Name) Interlocked.Increment(ref node.Forwarded);
        if (answer.Response is { } response)
        {
            // The hint: which node holds the sequence, so a client may send its next steps there and skip the hop.
            // Always a response of the caller's own: the grain keeps its answer to replay a retried step, so the caller must never release that one.
            return new InferenceResponse { ModelName = response.ModelName, ModelVersion = response.ModelVersion, RequestId = response.RequestId, Outputs = response.Outputs, Parameters = node.Hint(answer.Node) };
        }
        throw new InferenceException(answer.ErrorKind, answer.Error ?? "the step failed on its node");
    }
}
