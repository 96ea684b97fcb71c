using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Workloads;

/// <summary>
/// The inputs a workload streams: sequence s, step k → the step's request tensors. Sources are
/// deterministic and random-access, so the same steps can be replayed (verify, compare, bench).
/// </summary>
internal interface IStepSource
{
    /// <summary>Sequences this source describes (a bench in duration mode may reuse them cyclically).</summary>
    int SequenceCount { get; }

    /// <summary>Steps of sequence <paramref name="sequence"/>.</summary>
    int StepsOf(int sequence);

    /// <summary>The request tensors of one step; a fresh list the caller may keep.</summary>
    IReadOnlyList<Tensor> Step(int sequence, int step);

    /// <summary>One line for the report: "synthetic (seed 1)", "4 WAV files from ...".</summary>
    string Description { get; }
}
