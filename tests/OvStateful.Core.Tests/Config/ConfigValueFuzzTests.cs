using System.Text.RegularExpressions;
using OvStateful.Core.Config;
using OvStateful.Core.Config.TextFormat;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;

namespace OvStateful.Core.Tests.Config;

/// <summary>
/// Config mutation fuzz on values (fixed seed; OVS_STRESS=1 for ten times as many): every
/// number of a real config set to an extreme (0, -1, 2^29, 2^31, 2^62, ...). The validator
/// never throws; a config it passes is planned against the real model file and its batcher
/// settings and slot counts computed without an exception: what `ovs validate` passes,
/// `ovs serve` can size (a dim of 2^29 once passed validation and overflowed at start-up).
/// </summary>
public partial class ConfigValueFuzzTests
{
    private static readonly string[] Extremes =
    [
        "0", "-1", "1", "2", "7", "255", "65536", "1048576", "16777217", "536870912", "2147483647", "2147483648",
        "4294967296", "4611686018427387904", "9223372036854775807", "-2147483648", "18446744073709551615",
    ];

    [GeneratedRegex(@"(?<=[:\[,]\s*)-?\d+(?=\s*[\],\n}])")]
    private static partial Regex Number();

    private static int Cases => Environment.GetEnvironmentVariable("OVS_STRESS") is { Length: > 0 } ? 20000 : 2000;

    [Fact]
    public void Extreme_values_are_located_errors_or_configs_the_server_can_size()
    {
        var folder = Path.Combine(TestPaths.TritonStateful, "accumulate_fp32");
        var text = File.ReadAllText(Path.Combine(folder, "config.pbtxt"));
        var signature = OnnxSignatureReader.Read(Path.Combine(folder, "1", "accumulate_fp32.onnx"));
        var numbers = Number().Matches(text).ToArray();
        Assert.True(numbers.Length > 10, $"only {numbers.Length} numbers to mutate in the base config");
        var rng = new Random(20261201);
        int passed = 0, refused = 0, plannedAway = 0;
        for (var n = 0; n < Cases; n++)
        {
            var mutated = text;
            // One to three numbers changed, last first so earlier offsets stay valid.
            foreach (var m in Enumerable.Range(0, rng.Next(1, 4)).Select(_ => numbers[rng.Next(numbers.Length)]).Distinct().OrderByDescending(m => m.Index))
                mutated = mutated[..m.Index] + Extremes[rng.Next(Extremes.Length)] + mutated[(m.Index + m.Length)..];
            ModelConfig config;
            try
            {
                config = ModelConfigParser.Parse(mutated, "fuzz.pbtxt");
            }
            catch (ConfigParseException)
            {
                refused++; // out of a field's range: located by the parser
                continue;
            }
            var problems = ConfigValidator.Validate(config, signature);
            if (problems.Count > 0)
            {
                refused++;
                Assert.All(problems, p => Assert.False(string.IsNullOrEmpty(p.Location), $"case {n}: a problem without a location: {p}"));
                continue;
            }
            try
            {
                var plan = ModelPlan.Build(config, signature, Path.Combine(folder, "1"));
                var settings = SequenceBatcherSettings.FromConfig(config, "1");
                _ = settings.TotalSlots;
                foreach (var s in plan.States) _ = s.Spec.SlotBytes;
                passed++;
            }
            catch (EngineException)
            {
                // The plan refused it with a message naming the model: a load failure of that model, not a crash.
                plannedAway++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {n}: validation passed but sizing threw {e.GetType().Name}: {e.Message}\n--- config ---\n{mutated}");
            }
        }
        Assert.True(passed > 50 && refused > 50, $"both outcomes should occur: {passed} passed, {refused} refused, {plannedAway} refused by the plan");
    }
}
