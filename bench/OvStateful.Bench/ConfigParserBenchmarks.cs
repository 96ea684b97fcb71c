using BenchmarkDotNet.Attributes;
using OvStateful.Core.Config;

namespace OvStateful.Bench;

/// <summary>
/// config.pbtxt of the Triton stateful backend's accumulate_fp32 conformance model (the file as
/// Triton ships it): text → typed <see cref="ModelConfig"/>, and that plus the checks a
/// repository load runs (validator, stateful parameters).
/// </summary>
public class ConfigParserBenchmarks
{
    private string _text = null!;

    [GlobalSetup]
    public void Setup() =>
        _text = File.ReadAllText(Path.Combine(RepoPaths.Root, "..", "shared", "conformance", "triton-stateful", "accumulate_fp32", "config.pbtxt"));

    [Benchmark(Baseline = true, Description = "parse (tokenize + bind)")]
    public ModelConfig Parse() => ModelConfigParser.Parse(_text);

    [Benchmark(Description = "parse + validate + stateful parameters")]
    public int ParseAndValidate()
    {
        var config = ModelConfigParser.Parse(_text);
        var problems = ConfigValidator.Validate(config);
        var parameters = StatefulParameters.Read(config);
        return problems.Count + parameters.StatePairs.Count;
    }
}
