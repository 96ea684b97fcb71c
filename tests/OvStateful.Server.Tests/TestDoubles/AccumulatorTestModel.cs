using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;

namespace OvStateful.Server.Tests.TestDoubles;

/// <summary>
/// A test double for the *server*: an <see cref="IServedModel"/> that keeps a running sum per
/// sequence with the conformance accumulate model's arithmetic (state += Σ over the 4 rows,
/// output = input + state). It is not an engine and stands in for none; it lets the server
/// tests run before the real batcher and engine are merged.
/// </summary>
internal sealed class AccumulatorTestModel : IServedModel
{
    private static readonly long[] StepShape = [1, 4, 1, 5];
    private readonly Lock _lock = new();
    /// <summary>Live sequences: id → running sum of 5 values; guarded by <see cref="_lock"/>.</summary>
    private readonly Dictionary<SequenceId, float[]> _sums = [];
    private long _success, _fail, _successNs, _executions;

    /// <param name="config">A config to report instead of the built-in one (e.g. a parsed config.pbtxt).</param>
    public AccumulatorTestModel(string name = "accumulate", bool stringIds = false, ModelConfig? config = null)
    {
        Name = name;
        Config = config ?? ModelConfigParser.Parse($$"""
            name: "{{name}}"
            backend: "stateful"
            max_batch_size: 16
            sequence_batching {
              max_sequence_idle_microseconds: 100000000
              oldest { max_candidate_sequences: 1280 max_queue_delay_microseconds: 2000 }
              control_input [
                { name: "ResetSequence" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] },
                { name: "EndSequence" control [ { kind: CONTROL_SEQUENCE_END int32_false_true: [ 0, 1 ] } ] },
                { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: {{(stringIds ? "TYPE_STRING" : "TYPE_UINT64")}} } ] }
              ]
            }
            input [ { name: "Input" data_type: TYPE_FP32 dims: [ 4, -1, 5 ] } ]
            output [ { name: "Output" data_type: TYPE_FP32 dims: [ 4, -1, 5 ] } ]
            instance_group [ { count: 2 kind: KIND_GPU gpus: [ 0 ] } ]
            parameters { key: "state_pairs" value { string_value: "<<<Accumulate_In, Accumulate_Out>>>" } }
            """, $"{name}/config.pbtxt");
    }

    public string Name { get; }
    public string Version => "1";
    public ModelConfig Config { get; }
    public string EngineName => "test-double";
    public IReadOnlyList<TensorSpec> Inputs { get; } = [new TensorSpec("Input", DataType.Fp32, StepShape)];
    public IReadOnlyList<TensorSpec> Outputs { get; } = [new TensorSpec("Output", DataType.Fp32, StepShape)];
    public bool IsReady { get; set; } = true;

    public int LiveSequences
    {
        get { lock (_lock) return _sums.Count; }
    }

    public ValueTask<InferenceResponse> InferAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        // As the batcher does: Core's one request check, before anything else.
        this.CheckRequest(request);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var input = request.Inputs.Single(t => t.Name == "Input").ToArray<float>();
        var output = new float[20];
        lock (_lock)
        {
            if (request.SequenceStart) _sums[request.SequenceId] = new float[5];
            if (!_sums.TryGetValue(request.SequenceId, out var sum))
            {
                Interlocked.Increment(ref _fail);
                throw new InferenceException(InferenceErrorKind.NotFound,
                    $"sequence {request.SequenceId} of model '{Name}' is not live: its first request must set sequence_start");
            }
            for (var row = 0; row < 4; row++)
                for (var j = 0; j < 5; j++) sum[j] += input[row * 5 + j];
            for (var row = 0; row < 4; row++)
                for (var j = 0; j < 5; j++) output[row * 5 + j] = input[row * 5 + j] + sum[j];
            if (request.SequenceEnd) _sums.Remove(request.SequenceId);
        }
        Interlocked.Increment(ref _success);
        Interlocked.Increment(ref _executions);
        Interlocked.Add(ref _successNs, (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalNanoseconds + 1);
        return ValueTask.FromResult(new InferenceResponse
        {
            ModelName = Name,
            ModelVersion = Version,
            RequestId = request.RequestId,
            Outputs = [Tensor.FromArray("Output", DataType.Fp32, StepShape, output)],
        });
    }

    public ModelStatistics GetStatistics()
    {
        int live;
        lock (_lock) live = _sums.Count;
        return new ModelStatistics
        {
            Name = Name,
            Version = Version,
            LastInference = 1_700_000_000_000,
            InferenceCount = (ulong)Interlocked.Read(ref _success),
            ExecutionCount = (ulong)Interlocked.Read(ref _executions),
            Success = new StatisticDuration((ulong)Interlocked.Read(ref _success), (ulong)Interlocked.Read(ref _successNs)),
            Fail = new StatisticDuration((ulong)Interlocked.Read(ref _fail), 0),
            BatchStats = [new BatchStatistics(1, new StatisticDuration(1, 10), new StatisticDuration(1, 20), new StatisticDuration(1, 30))],
            ActiveSequences = live,
            SlotCount = 1280,
            SlotsInUse = live,
            SpilledSequences = 0,
            SpilledBytes = 0,
        };
    }
}
