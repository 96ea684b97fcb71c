using OvStateful.Server.Hosting;
using OvStateful.Server.Protocol;
using Pb = OvStateful.Server.Protocol.Inference;

namespace OvStateful.Server.Grpc;

/// <summary>
/// ModelStreamInfer: requests are read as they arrive and handed to their model at once, in
/// arrival order (so the steps of one sequence reach the batcher in the order sent); each
/// response is written when its step completes, carrying the request's id. A failed request
/// answers with error_message and the stream goes on. When the client half-closes, or the
/// server begins to stop, the stream takes no more requests, finishes those in flight, and ends.
/// </summary>
internal sealed class GrpcStreamInfer(GrpcCall call, ServerServices services)
{
    /// <summary>Steps handed to models whose responses are not yet written; pruned as they finish.</summary>
    private readonly List<Task> _inFlight = [];

    public async Task RunAsync()
    {
        // Headers go out now: a client may wait for them before sending its first request.
        await call.StartAsync().ConfigureAwait(false);

        using var reading = CancellationTokenSource.CreateLinkedTokenSource(call.Aborted, services.Stopping.Token);
        var stoppedByServer = false;
        try
        {
            while (true)
            {
                Pb.ModelInferRequest? request;
                try
                {
                    request = await call.ReadAsync(Pb.ModelInferRequest.Parser, reading.Token).ConfigureAwait(false);
                }
                catch (Core.Serving.InferenceException e)
                {
                    // A malformed message: its frame was consumed, so the stream can go on.
                    await call.WriteAsync(new Pb.ModelStreamInferResponse { ErrorMessage = e.Message }).ConfigureAwait(false);
                    continue;
                }
                if (request is null) break;
                Track(ProcessAsync(request));
            }
        }
        catch (OperationCanceledException) when (services.Stopping.IsCancellationRequested && !call.Aborted.IsCancellationRequested)
        {
            // A client that had already half-closed lost nothing: its stream ends OK.
            var reader = call.Context.Request.BodyReader;
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
            catch (Exception) when (call.Aborted.IsCancellationRequested) { }
        }

        if (stoppedByServer) throw new Core.Serving.InferenceException(Core.Serving.InferenceErrorKind.Unavailable, "server is shutting down; in-flight requests of this stream were answered");
    }

    private async Task ProcessAsync(Pb.ModelInferRequest message)
    {
        Pb.ModelStreamInferResponse response;
        try
        {
            var model = services.Resolver.Resolve(message.ModelName, message.ModelVersion);
            var request = GrpcInferCodec.Decode(message);
            var result = await services.Invoker.InferAsync(model, request, call.Aborted).ConfigureAwait(false);
            response = new Pb.ModelStreamInferResponse { InferResponse = GrpcInferCodec.Encode(result, request) };
        }
        catch (Exception e) when (!call.Aborted.IsCancellationRequested)
        {
            var (_, text) = GrpcErrors.From(e);
            // The failed request's identity still goes back, so the client can match the error.
            response = new Pb.ModelStreamInferResponse
            {
                ErrorMessage = text,
                InferResponse = new Pb.ModelInferResponse { ModelName = message.ModelName, ModelVersion = message.ModelVersion, Id = message.Id },
            };
        }
        await call.WriteAsync(response).ConfigureAwait(false);
    }

    private void Track(Task task)
    {
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
