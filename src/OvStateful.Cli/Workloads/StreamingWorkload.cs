using System.Collections.Concurrent;
using System.Diagnostics;
using OvStateful.Core.Sequences;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Workloads;

/// <summary>
/// N concurrent sequence clients, each a task that sends its sequence's next step as soon as
/// the previous one completed (Triton perf_analyzer's sequence mode). Latency is measured per
/// step from send to completion; <see cref="Completed"/> feeds the progress display.
/// </summary>
internal sealed class StreamingWorkload
{
    private readonly IStepSource _source;
    private readonly WorkloadSettings _settings;
    private readonly Func<int, IStepClient> _clientFactory;
    // Failed steps by kind; Σ values == _completed − _ok.
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    // Steps answered (ok or failed) ≥ _ok; sequences started; sequences ENDed after a
    // cancellation. Interlocked only.
    private long _completed, _ok, _sequences, _endedOnCancel;
    // Hands out correlation ids (perf_analyzer's --sequence-id-range); never two live sequences one id.
    private readonly SequenceIds _ids;
    // Request-rate mode (--request-rate-range): the clock that releases each step; null in concurrency mode.
    private readonly RequestSchedule? _schedule;
    // Set once, by the first failure.
    private string? _firstError;
    // Stopwatch timestamp after which each client sends its sequence's END at its next step and
    // stops; set at the start (duration mode, else never) and moved to "now" when the
    // measurement windows are done. Volatile.
    private long _deadline = long.MaxValue;
    // Clients that finished their first sequence (whose outputs are recorded). Interlocked.
    private int _firstSequencesDone;
    // The open measurement window's latencies; null in Once mode.
    private readonly WindowRecorder? _windows;

    /// <param name="clientFactory">Makes the step client of client number c.</param>
    public StreamingWorkload(IStepSource source, WorkloadSettings settings, Func<int, IStepClient> clientFactory)
    {
        if (settings.Clients < 1) throw new UsageException($"--sequences {settings.Clients}: at least 1 sequence is needed");
        // Clients share source sequences only where no outputs are recorded per sequence and
        // the run cycles anyway (perf_analyzer hands data streams out round-robin).
        if ((settings.RecordOutputs || !(settings.Duration is not null || settings.Measurement.Mode != MeasurementMode.Once)) && settings.Clients > source.SequenceCount)
            throw new UsageException($"{settings.Clients} clients but the input has only {source.SequenceCount} sequence(s)");
        _source = source;
        _settings = settings;
        _clientFactory = clientFactory;
        _ids = new SequenceIds(settings.FirstSequenceId, settings.SequenceIdEnd, settings.Clients);
        if (Windowed) _windows = new WindowRecorder();
        if (settings.RequestRate is { } rate) _schedule = new RequestSchedule(rate, settings.PoissonArrivals, settings.Seed);
    }

    /// <summary>Measured in windows until stable (the clients cycle through the sequences meanwhile), not in one pass.</summary>
    private bool Windowed => _settings.Measurement.Mode != MeasurementMode.Once && _settings.Duration is null;

    /// <summary>Clients keep starting sequences (duration or windowed mode) instead of playing one each.</summary>
    private bool Cycling => _settings.Duration is not null || Windowed;

    /// <summary>Steps finished so far (ok or failed).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Steps the run will send, or null in duration mode.</summary>
    public long? TotalSteps => !Cycling
        ? Enumerable.Range(0, _settings.Clients).Sum(s => (long)_source.StepsOf(s))
        : null;

    public async Task<WorkloadResult> RunAsync(CancellationToken cancellationToken)
    {
        var outputs = _settings.RecordOutputs ? new RecordedOutputs(_source) : null;
        var latencies = new List<double>[_settings.Clients];
        var completions = new List<(double, double)>[_settings.Clients];
        await using var memory = new MemorySampler();
        var clock = Stopwatch.StartNew();
        if (_settings.Duration is { } d) _deadline = Stopwatch.GetTimestamp() + (long)(d.TotalSeconds * Stopwatch.Frequency);
        // Ctrl+C stops each client after its step in flight has answered (so no request is torn
        // off mid-way and its END can follow at once); a step that hangs is given up 5 s later.
        using var steps = new CancellationTokenSource();
        using var giveUp = cancellationToken.Register(() => steps.CancelAfter(TimeSpan.FromSeconds(5)));
        var tasks = new Task[_settings.Clients];
        for (var c = 0; c < tasks.Length; c++)
        {
            var client = c;
            latencies[c] = new List<double>(!Cycling ? _source.StepsOf(c) : 1024);
            completions[c] = new List<(double, double)>(latencies[c].Capacity);
            tasks[c] = Task.Run(() => RunClientAsync(client, latencies[client], completions[client], clock, outputs, cancellationToken, steps.Token), CancellationToken.None);
        }
        var all = Task.WhenAll(tasks);
        _schedule?.Start(_settings.Duration);
        WindowedFigures? windowed = null;
        if (_windows is not null)
        {
            windowed = await MeasureAsync(all, clock, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _deadline, Stopwatch.GetTimestamp()); // each client ENDs its sequence at its next step
            _schedule?.Stop();
        }
        // Cancellation (Ctrl+C) ends each client quietly after it ENDed its open sequence, so
        // the steps measured so far are still reported.
        await all.ConfigureAwait(false);
        if (_schedule is not null) await _schedule.DisposeAsync().ConfigureAwait(false);
        clock.Stop();
        var mem = await memory.StopAsync().ConfigureAwait(false);
        return new WorkloadResult
        {
            Clients = _settings.Clients,
            Sequences = Interlocked.Read(ref _sequences),
            StepsSent = Completed,
            StepsOk = Interlocked.Read(ref _ok),
            ErrorsByKind = new SortedDictionary<string, long>(_errors, StringComparer.Ordinal),
            FirstError = _firstError,
            Seconds = clock.Elapsed.TotalSeconds,
            Latency = LatencySummary.Of(latencies.SelectMany(l => l).ToArray(), _settings.Measurement.Percentile),
            RequestRate = _settings.RequestRate,
            DelayedSteps = _schedule?.Delayed ?? 0,
            Timeline = Timeline.Of(completions.SelectMany(c => c).ToList(), clock.Elapsed.TotalSeconds),
            Memory = mem,
            Outputs = outputs,
            Cancelled = cancellationToken.IsCancellationRequested,
            Windowed = windowed,
        };
    }

    /// <summary>
    /// Warm-up (not counted), then at least the plan's fewest windows, until the last three agree or the trials run out;
    /// with recorded outputs, not before every client has finished its first sequence.
    /// </summary>
    private async Task<WindowedFigures> MeasureAsync(Task clients, Stopwatch clock, CancellationToken cancellationToken)
    {
        var plan = _settings.Measurement;
        var windows = new List<MeasurementWindow>();
        var kept = new List<List<double>>();
        try
        {
            await Task.WhenAny(clients, Task.Delay(TimeSpan.FromSeconds(plan.WarmupSeconds), cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            _windows!.Open();
            var openedAt = clock.Elapsed.TotalSeconds;
            if (_settings.OnWindowBoundary is { } first) await first(cancellationToken).ConfigureAwait(false);
            while (!clients.IsCompleted)
            {
                if (plan.Mode == MeasurementMode.TimeWindows)
                {
                    await Task.WhenAny(clients, Task.Delay(plan.IntervalMs, cancellationToken)).ConfigureAwait(false);
                }
                else
                {
                    var opened = Stopwatch.GetTimestamp();
                    while (!clients.IsCompleted && (_windows.OpenCount < plan.RequestCount || Stopwatch.GetElapsedTime(opened).TotalSeconds < 1))
                        await Task.Delay(20, cancellationToken).ConfigureAwait(false);
                }
                cancellationToken.ThrowIfCancellationRequested();
                var (seconds, latencies) = _windows.Close(reopen: true);
                windows.Add(new MeasurementWindow(windows.Count, openedAt, seconds, latencies.Count, seconds > 0 ? latencies.Count / seconds : 0, LatencySummary.Of([.. latencies], plan.Percentile)));
                openedAt += seconds;
                if (_settings.OnWindowBoundary is { } boundary) await boundary(cancellationToken).ConfigureAwait(false);
                kept.Add(latencies);
                var outputsDone = !_settings.RecordOutputs || Volatile.Read(ref _firstSequencesDone) >= _settings.Clients;
                if (outputsDone && ((windows.Count >= plan.MinWindows && WindowedFigures.LastAgree(windows, plan)) || windows.Count >= plan.MaxTrials)) break;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: the windows measured so far are the partial result.
        }
        _windows!.Close(reopen: false);
        return WindowedFigures.From(windows, [.. kept.SelectMany(l => l)], plan);
    }

    /// <summary>Sequences that were open when the run was cancelled and were sent their END.</summary>
    public long SequencesEndedOnCancel => Interlocked.Read(ref _endedOnCancel);

    /// <summary>
    /// After Ctrl+C: the open sequence's END (its next step flagged END), so it does not hold a
    /// slot until the idle timeout. Its answer is not counted; a failure is ignored (the step
    /// may never have reached the server). Bounded, so a dead server cannot hold up the exit.
    /// </summary>
    private async Task EndOnCancelAsync(IStepClient sender, SequenceId id, int sourceSequence, int step)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            var k = Math.Min(step, _source.StepsOf(sourceSequence) - 1);
            await sender.SendAsync(new StepCall(id, false, true, _source.Step(sourceSequence, k)), timeout.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _endedOnCancel);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The sequence may be unknown there (its START was cancelled before it ran): nothing to end.
        }
    }

    private async Task RunClientAsync(int client, List<double> latencies, List<(double, double)> completions, Stopwatch clock,
        RecordedOutputs? outputs, CancellationToken cancellationToken, CancellationToken stepCancellation)
    {
        await using var sender = _clientFactory(client);
        // Fixed mode: client c plays source sequence c once. Duration mode: it cycles through
        // the source's sequences c, c+N, ... with a new correlation id each time.
        var sourceSequence = client % _source.SequenceCount;
        var id = default(SequenceId);
        var k = 0;
        // A START was sent and no END answered: the sequence may hold a slot at the far end.
        var open = false;
        var first = true;
        try
        {
            do
            {
                var idNumber = _ids.Next(client);
                id = _settings.StringIds ? new SequenceId($"seq-{idNumber}") : new SequenceId(idNumber);
                Interlocked.Increment(ref _sequences);
                var steps = _source.StepsOf(sourceSequence);
                for (k = 0; k < steps; k++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    // Request-rate mode: the step waits for its turn on the schedule (none once the run is ending).
                    if (_schedule is not null) await _schedule.WaitTurnAsync(cancellationToken).ConfigureAwait(false);
                    var end = k == steps - 1 || Stopwatch.GetTimestamp() >= Volatile.Read(ref _deadline);
                    var inputs = _source.Step(sourceSequence, k);
                    var started = Stopwatch.GetTimestamp();
                    IReadOnlyList<Tensor>? result = null;
                    if (k == 0) open = true;
                    try
                    {
                        result = await sender.SendAsync(new StepCall(id, k == 0, end, inputs), stepCancellation).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !stepCancellation.IsCancellationRequested)
                    {
                        _errors.AddOrUpdate(StepErrors.KindOf(e), 1, (_, n) => n + 1);
                        Interlocked.CompareExchange(ref _firstError, $"sequence {id} step {k}: {e.Message}", null);
                    }
                    Interlocked.Increment(ref _completed);
                    if (result is not null)
                    {
                        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                        latencies.Add(ms);
                        completions.Add((clock.Elapsed.TotalSeconds, ms));
                        Interlocked.Increment(ref _ok);
                        _windows?.Record(ms);
                        // Outputs of each client's first sequence: every source sequence once, unless --duration reuses them.
                        if (outputs is not null && _settings.Duration is null && first) outputs.Set(sourceSequence, k, result);
                        if (end) open = false;
                    }
                    else if (_settings.StopSequenceOnError)
                    {
                        open = false; // a failed step leaves the sequence to the server's own clean-up
                        break;
                    }
                    if (end) break;
                }
                if (first) Interlocked.Increment(ref _firstSequencesDone);
                first = false;
                sourceSequence = (sourceSequence + _settings.Clients) % _source.SequenceCount;
            }
            while (Cycling && Stopwatch.GetTimestamp() < Volatile.Read(ref _deadline));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || stepCancellation.IsCancellationRequested)
        {
            if (open) await EndOnCancelAsync(sender, id, sourceSequence, k).ConfigureAwait(false);
        }
    }
}
