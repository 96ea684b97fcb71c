namespace OvStateful.Core.Config;

/// <summary>
/// One problem with a model: where (a config path such as
/// <c>sequence_batching.control_input[1].control[0]</c>, <c>parameters["ort_ep"]</c>, or
/// <c>file:line:column</c> for syntax errors) and what is wrong, with what was expected.
/// </summary>
public sealed record ValidationProblem(string Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}

/// <summary>A model configuration that cannot be used; <see cref="Problems"/> lists every problem found, not just the first.</summary>
public sealed class ModelConfigException(string model, IReadOnlyList<ValidationProblem> problems)
    : Exception($"model \"{model}\": {problems.Count} configuration problem(s):" + string.Concat(problems.Select(p => "\n  " + p)))
{
    public string Model { get; } = model;
    public IReadOnlyList<ValidationProblem> Problems { get; } = problems;
}
