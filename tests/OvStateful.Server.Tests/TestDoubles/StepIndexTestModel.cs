using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;

namespace OvStateful.Server.Tests.TestDoubles;

/// <summary>
/// A test double for the server's stream ordering: a sequence model whose output INDEX
/// (INT64 [1, 1]) is the step's index in its sequence, counted in the order the steps reach
/// the model. Responses are completed by a completer thread in shuffled batches, with
/// continuations on the thread pool, so steps of one sequence that were sent back to back
/// complete together and in any order, as a batcher's answers may.
/// </summary>
internal sealed class StepIndexTestModel : IServedModel, IDisposable
{
    private static readonly long[] Shape = [1, 1];
    private readonly Lock _lock = new();
    /// <summary>Live sequences: id → steps seen; guarded by <see cref="_lock"/>.</summary>
    private readonly Dictionary<SequenceId, long> _steps = [];
    /// <summary>Answers not yet completed; guarded by <see cref="_lock"/>, taken whole by the completer.</summary>
    private List<(TaskCompletionSource<InferenceResponse> Answer, InferenceResponse Response)> _pending = [];
    /// <summary>Released when answers become pending; the completer waits on it.</summary>
    private readonly SemaphoreSlim _work = new(0);
    private readonly Thread _completer;
    private volatile bool _stopped;

    public StepIndexTestModel(string name = "step_index")
    {
        Name = name;
        Config = ModelConfigParser.Parse($$"""
            name: "{{name}}"
            backend: "test_double"
            max_batch_size: 16
            sequence_batching { oldest { max_candidate_sequences: 4096 } }
            input [ { name: "X" data_type: TYPE_INT64 dims: [ 1 ] } ]
            output [ { name: "INDEX" data_type: TYPE_INT64 dims: [ 1 ] } ]
            """);
        _completer = new Thread(CompleteLoop) { IsBackground = true, Name = "step-index completer" };
        _completer.Start();
    }

    public string Name { get; }
    public string Version => "1";
    public ModelConfig Config { get; }
    public string EngineName => "test-double";
    public IReadOnlyList<TensorSpec> Inputs { get; } = [new TensorSpec("X", DataType.Int64, Shape)];
    public IReadOnlyList<TensorSpec> Outputs { get; } = [new TensorSpec("INDEX", DataType.Int64, Shape)];
    public bool IsReady => true;

    public ValueTask<InferenceResponse> InferAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        // As the batcher does: Core's one request check, before anything else.
        this.CheckRequest(request);
        var answer = new TaskCompletionSource<InferenceResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (request.SequenceStart) _steps[request.SequenceId] = 0;
            if (!_steps.TryGetValue(request.SequenceId, out var index))
                throw new InferenceException(InferenceErrorKind.NotFound, $"sequence {request.SequenceId} of model '{Name}' is not live");
            _steps[request.SequenceId] = index + 1;
            if (request.SequenceEnd) _steps.Remove(request.SequenceId);
            var response = new InferenceResponse
            {
                ModelName = Name,
                ModelVersion = Version,
                RequestId = request.RequestId,
                Outputs = [Tensor.FromArray("INDEX", DataType.Int64, Shape, new[] { index })],
            };
            _pending.Add((answer, response));
            if (_pending.Count == 1) _work.Release();
        }
        return new ValueTask<InferenceResponse>(answer.Task);
    }

    private void CompleteLoop()
    {
        var random = new Random(17);
        var taken = new List<(TaskCompletionSource<InferenceResponse>, InferenceResponse)>();
        while (!_stopped)
        {
            if (!_work.Wait(50)) continue;
            lock (_lock) (taken, _pending) = (_pending, taken);
            var batch = taken.ToArray();
            random.Shuffle(batch);
            foreach (var (answer, response) in batch) answer.TrySetResult(response);
            taken.Clear();
        }
    }

    public ModelStatistics GetStatistics() => new() { Name = Name, Version = Version };

    public void Dispose()
    {
        _stopped = true;
        _completer.Join();
    }
}
