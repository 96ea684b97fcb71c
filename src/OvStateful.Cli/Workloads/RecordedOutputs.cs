using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Workloads;

/// <summary>
/// Every step's outputs of a run, by sequence and step, so two runs (two engines, or the
/// batched run and its solo replay) can be compared value by value. A missing step (failed,
/// or an END step the model does not infer) is null.
/// </summary>
internal sealed class RecordedOutputs
{
    // Invariant: _steps[s] has StepsOf(s) entries; an entry is null or one tensor per model output.
    private readonly IReadOnlyList<Tensor>?[][] _steps;

    public RecordedOutputs(IStepSource source)
    {
        _steps = new IReadOnlyList<Tensor>?[source.SequenceCount][];
        for (var s = 0; s < _steps.Length; s++) _steps[s] = new IReadOnlyList<Tensor>?[source.StepsOf(s)];
    }

    public int SequenceCount => _steps.Length;
    public int StepsOf(int sequence) => _steps[sequence].Length;

    /// <summary>Each (sequence, step) is written by one client only, so no lock is needed.</summary>
    public void Set(int sequence, int step, IReadOnlyList<Tensor> outputs) => _steps[sequence][step] = outputs;

    public IReadOnlyList<Tensor>? Get(int sequence, int step) => _steps[sequence][step];
}
