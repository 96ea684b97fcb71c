using Grpc.Core;
using Microsoft.Extensions.ObjectPool;
using OvStateful.Core.Serving;
using OvStateful.Server.Hosting;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Grpc;

/// <summary>
/// ModelStreamInfer: requests are read as they arrive and handed to their model at once, in
/// arrival order (so the steps of one sequence reach the batcher in the order sent); each
/// response carries its request's id and is written by <see cref="StreamResponseQueue"/>,
/// which keeps one sequence's responses in step order. A failed request answers with
/// error_message and the stream goes on. At most MaxQueuedStepsPerStream steps wait for their
/// answers at once; one past that is answered at once with RESOURCE_EXHAUSTED in its
/// error_message, never reaching a model. When the client half-closes, or the server begins to
/// stop, the stream takes no more requests, finishes those in flight, and ends.
/// </summary>
internal sealed class GrpcStreamInfer(ServerServices services, IServerStreamWriter<Proto.ModelStreamInferResponse> responses, ServerCallContext context)
{
    /// <summary>
    /// Every stream's requests are parsed into messages from here; a message goes back once its
    /// answer (or error answer) is built, before that answer waits to be written.
    /// </summary>
    internal static readonly ObjectPool<Proto.ModelInferRequest> Requests = new DefaultObjectPool<Proto.ModelInferRequest>(new ClearedRequestPolicy(), 1024);

    private readonly StreamResponseQueue _queue = new(responses);
    /// <summary>What the stream's steps wait with: the call's cancellation and its deadline (<see cref="CallDeadline"/>); set once RunAsync begins.</summary>
    private CallDeadline.CallWait _steps = null!;
    /// <summary>Steps handed to models whose responses are not yet written; pruned as they finish.</summary>
    private readonly List<Task> _inFlight = [];
    /// <summary>Steps read and not yet answered (Interlocked); at MaxQueuedStepsPerStream a further one is refused unread by any model.</summary>
    private int _pending;

    public async Task RunAsync(IAsyncStreamReader<Incoming<Proto.ModelInferRequest>> requests)
    {
        // Headers go out now: a client may wait for them before sending its first request.
        await context.WriteResponseHeadersAsync(ResponseEncoding.Headers(context)).ConfigureAwait(false);

        using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, services.Stopping.Token);
        using var steps = CallDeadline.For(context.GetHttpContext(), context.CancellationToken);
        _steps = steps;
        var stoppedByServer = false;
        try
        {
            while (await requests.MoveNext(reading.Token).ConfigureAwait(false))
            {
                var incoming = requests.Current;
                if (incoming.Message is not { } request) Track(_queue.CompleteAsync(_queue.Enter(default), new Proto.ModelStreamInferResponse { ErrorMessage = incoming.Error }));
                else if (Interlocked.Increment(ref _pending) > services.Options.MaxQueuedStepsPerStream) Track(RefuseAsync(request));
                else Track(ProcessAsync(request, _queue.Enter(GrpcInferCodec.PeekSequenceId(request))));
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

    /// <summary>
    /// Past the stream's limit the step is answered at once, in its sequence's order, without
    /// reaching a model (a client pipelining without bound gets told, and nothing changes).
    /// </summary>
    private async Task RefuseAsync(Proto.ModelInferRequest message)
    {
        try
        {
            var max = services.Options.MaxQueuedStepsPerStream;
            var error = new InferenceException(InferenceErrorKind.ResourceExhausted,
                $"this stream already has {max} steps waiting for their answers (the limit, MaxQueuedStepsPerStream, is {max}); the step of sequence {GrpcInferCodec.PeekSequenceId(message)} was not queued and changed nothing");
            var place = _queue.Enter(GrpcInferCodec.PeekSequenceId(message));
            var response = ErrorResponse(message, error);
            Requests.Return(message);
            await _queue.CompleteAsync(place, response).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    private static Proto.ModelStreamInferResponse ErrorResponse(Proto.ModelInferRequest message, Exception e) => new()
    {
        // The failed request's identity still goes back, so the client can match the error.
        ErrorMessage = GrpcErrors.From(e).Detail,
        InferResponse = new Proto.ModelInferResponse { ModelName = message.ModelName, ModelVersion = message.ModelVersion, Id = message.Id },
    };

    private async Task ProcessAsync(Proto.ModelInferRequest message, StreamResponseQueue.Place place)
    {
        try
        {
            Proto.ModelStreamInferResponse response;
            InferenceResponse? source = null;
            GrpcInferCall call = default;
            var stepping = false;
            try
            {
                call = GrpcInferCall.Begin(services, message, _steps.Token);
                stepping = true;
                // This frame is the message's only one: the step is awaited here, not in a helper's frame of its own.
                var answer = await call.Step.ConfigureAwait(false);
                stepping = false;
                // A response this stream already wrote, refilled: the steady state allocates no new message.
                var reply = _queue.Rent();
                reply.InferResponse = call.Finish(answer, reply.InferResponse);
                response = reply;
                source = answer;
            }
            catch (Exception e) when (!context.CancellationToken.IsCancellationRequested)
            {
                // A failed step is reported as the invoker reports it; a request that could not be resolved or decoded, as it is.
                response = ErrorResponse(message, _steps.Explain(stepping ? call.Failure(e) : e));
            }
            finally
            {
                call.Dispose();
            }
            // The request message is done with (the step's inputs refer to its byte strings, not to it).
            Requests.Return(message);
            // The queue releases the model's response once the message that refers to its tensors is written.
            await _queue.CompleteAsync(place, response, source).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
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
