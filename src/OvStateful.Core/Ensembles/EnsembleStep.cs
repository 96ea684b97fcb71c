namespace OvStateful.Core.Ensembles;

/// <summary>
/// One ensemble_scheduling step as the scheduler runs it: the composing model, and which of
/// the ensemble's tensors feed its inputs and receive its outputs.
/// </summary>
/// <param name="Index">The step's position in ensemble_scheduling.step.</param>
/// <param name="ModelName">The composing model.</param>
/// <param name="ModelVersion">The version to call; null = the newest ready one (model_version -1).</param>
/// <param name="Inputs">(model input, ensemble tensor) for every input_map entry.</param>
/// <param name="Outputs">(model output, ensemble tensor) for every output_map entry.</param>
/// <param name="IsStateful">The composing model has sequence_batching: it takes the request's sequence id and flags and keeps state.</param>
public sealed record EnsembleStep(
    int Index,
    string ModelName,
    string? ModelVersion,
    IReadOnlyList<(string ModelInput, string Tensor)> Inputs,
    IReadOnlyList<(string ModelOutput, string Tensor)> Outputs,
    bool IsStateful)
{
    /// <summary>The composing model's outputs this step asks for (the mapped ones).</summary>
    public IReadOnlyList<string> RequestedOutputs { get; } = Outputs.Select(o => o.ModelOutput).ToArray();

    /// <summary>"step[0] (model 'scale')", as problems and errors name a step.</summary>
    public override string ToString() => $"step[{Index}] (model '{ModelName}')";
}
