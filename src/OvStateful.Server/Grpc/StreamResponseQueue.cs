using System.Diagnostics;
using Grpc.Core;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Grpc;

/// <summary>
/// The one writer of a ModelStreamInfer stream. Each request takes a place in line when it is
/// read (<see cref="Enter"/>); its response is released for writing only after the responses
/// to every earlier step of the same sequence on this stream, so one sequence's answers leave
/// in the order its steps were sent even when steps of it complete together. Responses of
/// different sequences leave as they complete. Whoever releases responses while no write is
/// under way becomes the writer: it writes everything released (each message with
/// BufferHint but the last) and flushes once, so a batch's answers to the sequences sharing
/// a stream go out in one HTTP/2 write; responses released meanwhile go in its next round.
/// A successful response, once written (serialized into the stream), becomes a spare that
/// <see cref="Rent"/> hands out to be refilled, so the stream's steady state reuses its messages;
/// the model's response whose tensors its raw outputs refer to is released then, and not before.
/// </summary>
internal sealed class StreamResponseQueue(IServerStreamWriter<Proto.ModelStreamInferResponse> writer)
{
    /// <summary>A message to write and the model's response its raw outputs refer to (null when none: an error), released once the message is written.</summary>
    internal readonly record struct Outgoing(Proto.ModelStreamInferResponse Message, InferenceResponse? Source);

    /// <summary>A request's place in line; <see cref="Response"/> is set once, when it completes.</summary>
    internal sealed class Place(SequenceId sequence)
    {
        public SequenceId Sequence { get; } = sequence;
        public Outgoing? Response;
        /// <summary>The next step of the same sequence on this stream (null: none yet).</summary>
        public Place? Next;
    }

    private readonly Lock _lock = new();
    /// <summary>Per sequence with unwritten steps: its oldest unwritten place (the head, not yet released) and its newest. Guarded by _lock.</summary>
    private readonly Dictionary<SequenceId, (Place Head, Place Tail)> _lines = [];
    /// <summary>Responses released for writing, in release order; swapped with _writing by the writer. Guarded by _lock.</summary>
    private List<Outgoing> _released = [];
    /// <summary>The batch the writer is writing; touched only by the writer.</summary>
    private List<Outgoing> _batch = [];
    /// <summary>Written successful responses free to be refilled (none is queued or being written); at most MaxSpares. Guarded by _lock.</summary>
    private readonly Stack<Proto.ModelStreamInferResponse> _spares = new();
    /// <summary>True while one caller is the writer. Guarded by _lock.</summary>
    private bool _writerActive;
    /// <summary>Set when a write failed: the stream is broken and later responses are dropped. Guarded by _lock.</summary>
    private Exception? _broken;

    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);
    private static readonly WriteOptions Flushed = new();
    /// <summary>More spares than steps in flight would only hold memory: a stream with fewer in flight keeps at most this many.</summary>
    private const int MaxSpares = 64;

    /// <summary>A response message to fill: a spare written earlier (its error_message empty), or a new one.</summary>
    public Proto.ModelStreamInferResponse Rent()
    {
        lock (_lock)
        {
            if (_spares.TryPop(out var spare)) return spare;
        }
        return new Proto.ModelStreamInferResponse();
    }

    /// <summary>Takes the request's place in line; called by the one reader, in arrival order. A request without a sequence waits for nobody.</summary>
    public Place Enter(SequenceId sequence)
    {
        var place = new Place(sequence);
        if (sequence.IsNone) return place;
        lock (_lock)
        {
            if (_lines.TryGetValue(sequence, out var line))
            {
                line.Tail.Next = place;
                _lines[sequence] = (line.Head, place);
            }
            else
            {
                _lines[sequence] = (place, place);
            }
        }
        return place;
    }

    /// <summary>
    /// Sets the place's response and writes what that releases when no one else is writing.
    /// The task ends when the caller's writing (if it became the writer) is done; responses it
    /// only released are written by the writer under way. <paramref name="source"/>, the model's
    /// response the message's raw outputs refer to, is released once the message is written
    /// (on a broken stream it is left to the collector).
    /// </summary>
    public Task CompleteAsync(Place place, Proto.ModelStreamInferResponse response, InferenceResponse? source = null)
    {
        lock (_lock)
        {
            AssertInvariants();
            var outgoing = new Outgoing(response, source);
            place.Response = outgoing;
            if (_broken is not null) return Task.FromException(_broken);
            if (place.Sequence.IsNone) _released.Add(outgoing);
            else Release(place.Sequence);
            if (_writerActive || _released.Count == 0) return Task.CompletedTask;
            _writerActive = true;
        }
        return WriteReleasedAsync();
    }

    /// <summary>Moves the sequence's completed head steps, in order, to the released list. Under _lock.</summary>
    private void Release(SequenceId sequence)
    {
        var (head, tail) = _lines[sequence];
        Place? next = head;
        while (next is { Response: { } r })
        {
            _released.Add(r);
            next.Response = null;
            next = next.Next;
        }
        if (next is null) _lines.Remove(sequence);
        else if (!ReferenceEquals(next, head)) _lines[sequence] = (next, tail);
    }

    private async Task WriteReleasedAsync()
    {
        try
        {
            while (true)
            {
                lock (_lock)
                {
                    // The last round's messages are serialized: the successful ones can be refilled.
                    foreach (var (written, _) in _batch)
                    {
                        if (_spares.Count < MaxSpares && written.ErrorMessage.Length == 0 && written.InferResponse is not null) _spares.Push(written);
                    }
                    _batch.Clear();
                    if (_released.Count == 0)
                    {
                        _writerActive = false;
                        return;
                    }
                    (_batch, _released) = (_released, _batch);
                }
                // Writes happen outside the lock: a write may wait for the client's flow control.
                for (var i = 0; i < _batch.Count; i++)
                {
                    writer.WriteOptions = i < _batch.Count - 1 ? Buffered : Flushed;
                    await writer.WriteAsync(_batch[i].Message).ConfigureAwait(false);
                    // Serialized into the stream: nothing reads the model's response any more.
                    _batch[i].Source?.Release();
                }
            }
        }
        catch (Exception e)
        {
            // The stream is broken (client gone, deadline): what is still queued goes with it.
            lock (_lock)
            {
                _broken = e;
                _released.Clear();
                _batch.Clear();
                _writerActive = false;
            }
            throw;
        }
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_lock.IsHeldByCurrentThread);
        Debug.Assert(_writerActive || _released.Count == 0 || _broken is not null, "released responses wait only while a writer is active");
    }
}
