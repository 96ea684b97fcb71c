using System.Diagnostics;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Ensembles;

/// <summary>
/// A loaded ensemble version (Triton's ensemble scheduler): a request's tensors flow through
/// the steps of its <see cref="EnsembleGraph"/> by name; a step runs as soon as its inputs are
/// there, steps that do not depend on each other run concurrently. Each step is a request to
/// its composing model as the registry serves it now, so a stateful step goes through that
/// model's own sequence batcher (batched with other sequences' steps) with this request's
/// sequence id and START/END flags. A failing step fails the request with its error prefixed
/// as Triton prefixes it ("in ensemble 'pipe', …"); steps not yet started then never start,
/// and the message names the stateful steps that had already run (their state moved on).
/// </summary>
public sealed class EnsembleModel : ILoadedModel
{
    private readonly EnsembleGraph _graph;
    private readonly IModelRegistry _registry;
    private readonly RequestValidator _validator;
    private readonly ModelMetrics _metrics;
    // 1 once disposed or draining: not ready, new requests refused by the front ends.
    private int _stopped;
    // Requests running now (a drain waits for them).
    private int _running;

    public EnsembleModel(ModelConfig config, string version, EnsembleGraph graph, IModelRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(registry);
        Config = config;
        Version = version;
        _graph = graph;
        _registry = registry;
        _validator = new RequestValidator(config.Name, graph.Inputs, graph.Outputs, isSequenceModel: false, Sequences.CorrelationIdKind.Any);
        _metrics = new ModelMetrics(config.Name, version, 1);
    }

    public string Name => Config.Name;
    public string Version { get; }
    public ModelConfig Config { get; }
    public string EngineName => EnsembleConfig.EngineName;
    public IReadOnlyList<TensorSpec> Inputs => _graph.Inputs;
    public IReadOnlyList<TensorSpec> Outputs => _graph.Outputs;
    public EnsembleGraph Graph => _graph;
    public bool IsReady => Volatile.Read(ref _stopped) == 0;

    public async ValueTask<InferenceResponse> InferAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _running);
        try
        {
            var outputs = await RunAsync(request, cancellationToken).ConfigureAwait(false);
            var ns = ModelMetrics.ElapsedNs(started, Stopwatch.GetTimestamp());
            _metrics.RecordSuccess(ns);
            _metrics.RecordBatch(1, 1, 0, ns, 0);
            return new InferenceResponse { ModelName = Name, ModelVersion = Version, RequestId = request.RequestId, Outputs = outputs };
        }
        catch
        {
            _metrics.RecordFailure(ModelMetrics.ElapsedNs(started, Stopwatch.GetTimestamp()));
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private async Task<IReadOnlyList<Tensor>> RunAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        _validator.Validate(request);
        var stateful = _graph.FirstStatefulStep;
        if (stateful is not null && request.SequenceId.IsNone)
        {
            // Triton's words, so clients that match them keep working.
            throw new InferenceException(InferenceErrorKind.InvalidArgument,
                $"in ensemble '{Name}', inference request to model '{stateful.ModelName}' must specify a non-zero or non-empty correlation ID");
        }

        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var t in request.Inputs) values[t.Name] = t;
        var steps = _graph.Steps;
        var launched = new bool[steps.Count];
        var running = new Dictionary<Task<InferenceResponse>, EnsembleStep>();
        var committed = new List<EnsembleStep>();
        (EnsembleStep Step, InferenceException Error)? failure = null;

        Launch();
        while (running.Count > 0)
        {
            var done = await Task.WhenAny(running.Keys).ConfigureAwait(false);
            var step = running[done];
            running.Remove(done);
            InferenceResponse response;
            try
            {
                response = await done.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                failure ??= (step, AsInferenceException(step, e, cancellationToken));
                continue;
            }
            if (step.IsStateful) committed.Add(step);
            if (failure is not null) continue;
            foreach (var (modelOutput, tensor) in step.Outputs)
            {
                var produced = response.Outputs.FirstOrDefault(o => o.Name == modelOutput)
                    ?? throw new InferenceException(InferenceErrorKind.Internal, $"in ensemble '{Name}', {step} returned no output '{modelOutput}'");
                values[tensor] = produced with { Name = tensor };
            }
            Launch();
        }
        if (failure is { } f) throw Failed(f.Step, f.Error, committed, request);

        var wanted = request.RequestedOutputs is { Count: > 0 } r ? r : Outputs.Select(o => o.Name).ToList();
        return wanted.Select(n => values[n]).ToList();

        // Starts every step not yet started whose inputs are all there.
        void Launch()
        {
            for (var s = 0; s < steps.Count; s++)
            {
                if (launched[s] || !steps[s].Inputs.All(i => values.ContainsKey(i.Tensor))) continue;
                launched[s] = true;
                running.Add(RunStepAsync(steps[s], values, request, cancellationToken), steps[s]);
            }
        }
    }

    private async Task<InferenceResponse> RunStepAsync(EnsembleStep step, Dictionary<string, Tensor> values, InferenceRequest request, CancellationToken cancellationToken)
    {
        if (!_registry.TryGet(step.ModelName, step.ModelVersion, out var model) || model is null || !model.IsReady)
        {
            throw new InferenceException(InferenceErrorKind.Unavailable,
                $"Request for unknown model: '{step.ModelName}'{(step.ModelVersion is null ? "" : $" version {step.ModelVersion}")} is not ready");
        }
        var inputs = new Tensor[step.Inputs.Count];
        for (var i = 0; i < inputs.Length; i++) inputs[i] = values[step.Inputs[i].Tensor] with { Name = step.Inputs[i].ModelInput };
        var stepRequest = new InferenceRequest
        {
            ModelName = step.ModelName,
            ModelVersion = step.ModelVersion,
            RequestId = request.RequestId,
            SequenceId = request.SequenceId,
            SequenceStart = request.SequenceStart,
            SequenceEnd = request.SequenceEnd,
            Inputs = inputs,
            RequestedOutputs = step.RequestedOutputs,
        };
        return await model.InferAsync(stepRequest, cancellationToken).ConfigureAwait(false);
    }

    private static InferenceException AsInferenceException(EnsembleStep step, Exception e, CancellationToken cancellationToken) => e switch
    {
        InferenceException ie => ie,
        OperationCanceledException when cancellationToken.IsCancellationRequested => new InferenceException(InferenceErrorKind.Cancelled, $"request to model '{step.ModelName}' was cancelled", e),
        ObjectDisposedException => new InferenceException(InferenceErrorKind.Unavailable, $"model '{step.ModelName}' was unloaded while the request ran", e),
        _ => new InferenceException(InferenceErrorKind.Internal, $"model '{step.ModelName}' failed: {e.Message}", e),
    };

    /// <summary>
    /// The failing step's error as Triton words it ("in ensemble 'pipe', " + the step's message),
    /// plus, when stateful steps had already run this request, which ones (Triton says nothing).
    /// </summary>
    private InferenceException Failed(EnsembleStep step, InferenceException error, List<EnsembleStep> committed, InferenceRequest request)
    {
        var message = $"in ensemble '{Name}', {error.Message}";
        if (committed.Count > 0)
        {
            message += $" [stateful steps already committed for sequence {request.SequenceId}: {string.Join(", ", committed.Select(c => $"'{c.ModelName}'"))}; " +
                       $"{step} and the steps after it did not run]";
        }
        // NotFound from a composing model means an unknown sequence: a bad request, as the front ends read it.
        var kind = error.Kind == InferenceErrorKind.NotFound ? InferenceErrorKind.InvalidArgument : error.Kind;
        return new InferenceException(kind, message, error);
    }

    public ModelStatistics GetStatistics() => _metrics.Snapshot(default);

    /// <summary>Not ready from now on; waits (up to <paramref name="timeout"/>) for the requests running now.</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        Volatile.Write(ref _stopped, 1);
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Volatile.Read(ref _running) > 0 && Stopwatch.GetTimestamp() < until) await Task.Delay(5).ConfigureAwait(false);
    }

    /// <summary>An ensemble owns no engine: its composing models are the registry's.</summary>
    public ValueTask DisposeAsync()
    {
        Volatile.Write(ref _stopped, 1);
        return ValueTask.CompletedTask;
    }
}
