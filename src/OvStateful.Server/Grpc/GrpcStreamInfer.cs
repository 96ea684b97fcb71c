using Grpc.Core;
using OvStateful.Core.Serving;
using OvStateful.Server.Hosting;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Grpc;

/// <summary>
/// ModelStreamInfer: requests are read as they arrive and handed to their model at once, in
/// arrival order (so the steps of one sequence reach the batcher in the order sent); each
/// response carries its request's id and is written by <see cref="StreamResponseQueue"/>,
/// which keeps one sequence's responses in step order. A failed request answers with
/// error_message and the stream goes on. When the client half-closes, or the server begins to
/// stop, the stream takes no more requests, finishes those in flight, and ends.
/// </summary>
internal sealed class GrpcStreamInfer(ServerServices services, IServerStreamWriter<Proto.ModelStreamInferResponse> responses, ServerCallContext context)
{
    private readonly StreamResponseQueue _queue = new(responses);
    /// <summary>Steps handed to models whose responses are not yet written; pruned as they finish.</summary>
    private readonly List<Task> _inFlight = [];

    public async Task RunAsync(IAsyncStreamReader<Incoming<Proto.ModelInferRequest>> requests)
    {
        // Headers go out now: a client may wait for them before sending its first request.
        await context.WriteResponseHeadersAsync(ResponseEncoding.Headers(context)).ConfigureAwait(false);

        using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, services.Stopping.Token);
        var stoppedByServer = false;
        try
        {
            while (await requests.MoveNext(reading.Token).ConfigureAwait(false))
            {
                var incoming = requests.Current;
                if (incoming.Message is { } request) Track(ProcessAsync(request, _queue.Enter(GrpcInferCodec.PeekSequenceId(request))));
                else Track(_queue.CompleteAsync(_queue.Enter(default), new Proto.ModelStreamInferResponse { ErrorMessage = incoming.Error }));
            }
        }
        catch (OperationCanceledException) when (services.Stopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            // A client that had already half-closed lost nothing: its stream ends OK.
            var reader = context.GetHttpContext().Request.BodyReader;
            stoppedByServer = true;
            if (reader.TryRead(out var rest))
            {
                stoppedByServer = !(rest.IsCompleted && rest.Buffer.IsEmpty);
                reader.AdvanceTo(rest.Buffer.Start);
            }
        }
        finally
        {
            // Steps already handed to a model always finish (or see the call cancelled) before the call ends.
            try { await Task.WhenAll(Snapshot()).ConfigureAwait(false); }
            catch (Exception) when (context.CancellationToken.IsCancellationRequested) { }
        }

        if (stoppedByServer) throw new InferenceException(InferenceErrorKind.Unavailable, "server is shutting down; in-flight requests of this stream were answered");
    }

    private async Task ProcessAsync(Proto.ModelInferRequest message, StreamResponseQueue.Place place)
    {
        Proto.ModelStreamInferResponse response;
        try
        {
            response = new Proto.ModelStreamInferResponse { InferResponse = await GrpcInferCall.RunAsync(services, message, context.CancellationToken).ConfigureAwait(false) };
        }
        catch (Exception e) when (!context.CancellationToken.IsCancellationRequested)
        {
            // The failed request's identity still goes back, so the client can match the error.
            response = new Proto.ModelStreamInferResponse
            {
                ErrorMessage = GrpcErrors.From(e).Detail,
                InferResponse = new Proto.ModelInferResponse { ModelName = message.ModelName, ModelVersion = message.ModelVersion, Id = message.Id },
            };
        }
        await _queue.CompleteAsync(place, response).ConfigureAwait(false);
    }

    private void Track(Task task)
    {
        if (task.IsCompletedSuccessfully) return;
        lock (_inFlight)
        {
            if (_inFlight.Count >= 256) _inFlight.RemoveAll(t => t.IsCompleted);
            _inFlight.Add(task);
        }
    }

    private Task[] Snapshot()
    {
        lock (_inFlight) return _inFlight.ToArray();
    }
}
