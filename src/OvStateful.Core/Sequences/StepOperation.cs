using System.Threading.Tasks.Sources;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;

namespace OvStateful.Core.Sequences;

/// <summary>Where a step is in its life. Changed only under the batcher's lock.</summary>
internal enum StepState : byte
{
    /// <summary>Rented and filled, not yet in the sequence table.</summary>
    Created,
    /// <summary>On its sequence's pending list.</summary>
    Queued,
    /// <summary>Taken into a batch; will run (cancellation no longer stops it).</summary>
    InFlight,
    /// <summary>Cancelled while Created or Queued: never runs.</summary>
    Cancelled,
    /// <summary>Result decided (response or error), completion pending or done.</summary>
    Done,
}

/// <summary>
/// One request's step: a pooled <see cref="IValueTaskSource{TResult}"/>, so queueing and
/// completing a step allocates nothing. The step completes on the thread pool (it queues
/// itself as the work item, so no per-step callback object is made), so completing it never
/// runs a caller's code on a batcher thread. Returned to its batcher's pool when the awaiter
/// reads the result.
/// </summary>
internal sealed class StepOperation : IValueTaskSource<InferenceResponse>, IThreadPoolWorkItem
{
    private ManualResetValueTaskSourceCore<InferenceResponse> _core;

    public StepOperation(SequenceBatcher owner, int inputCount, int outputCount)
    {
        Owner = owner;
        Inputs = new ReadOnlyMemory<byte>[inputCount];
        WantOutput = new bool[outputCount];
        // Continuations run inline in Execute, which is already on a thread-pool thread.
        _core.RunContinuationsAsynchronously = false;
    }

    public SequenceBatcher Owner { get; }
    /// <summary>The request's input bytes in the engine's input order (validated: each exactly RequestBytes).</summary>
    public readonly ReadOnlyMemory<byte>[] Inputs;
    /// <summary>Which engine outputs the response carries.</summary>
    public readonly bool[] WantOutput;

    public string? RequestId;
    public StepFlags Flags;
    public StepState State;
    /// <summary>Set once queued; the sequence whose pending list (or in-flight slot) holds it.</summary>
    public Sequence? Sequence;
    public StepOperation? Prev, Next;
    /// <summary>Timestamp when it entered the batcher; orders the oldest strategy and measures queue time.</summary>
    public long EnqueuedAt;
    public CancellationTokenRegistration Registration;

    /// <summary>The outcome, set by whoever decides it (outside the lock) before <see cref="Complete"/>.</summary>
    public InferenceResponse? Response;
    public Exception? Error;

    public short Version => _core.Version;
    public bool IsStart => (Flags & StepFlags.Start) != 0;
    public bool IsEnd => (Flags & StepFlags.End) != 0;

    /// <summary>
    /// Completes the awaiter with <see cref="Response"/> or <see cref="Error"/>, on the thread
    /// pool. Never call under the batcher's lock: disposing the registration waits for a
    /// running cancel callback, which takes that lock.
    /// </summary>
    public void Complete()
    {
        Registration.Dispose();
        Registration = default;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    // On a thread-pool thread: the awaiter's continuation runs here, and may take the result
    // and return this step to its pool, so nothing of this step is touched after SetResult.
    void IThreadPoolWorkItem.Execute()
    {
        if (Error is { } e) _core.SetException(e);
        else _core.SetResult(Response!);
    }

    public void Fail(Exception error)
    {
        Error = error;
        Response = null;
        Complete();
    }

    public InferenceResponse GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Reset();
            Owner.ReturnOperation(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Returns a step that was never handed to a caller (it failed validation) to the pool.</summary>
    public void Recycle()
    {
        Reset();
        Owner.ReturnOperation(this);
    }

    private void Reset()
    {
        Inputs.AsSpan().Clear();
        RequestId = null;
        Flags = StepFlags.None;
        State = StepState.Created;
        Sequence = null;
        Prev = Next = null;
        Response = null;
        Error = null;
        Registration = default;
        _core.Reset();
    }
}
