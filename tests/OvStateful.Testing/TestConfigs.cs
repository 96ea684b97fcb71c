using OvStateful.Core.Config;

namespace OvStateful.Testing;

/// <summary>The configs the engine tests load: the real config.pbtxt files, parsed, plus the test-only gather model's.</summary>
public static class TestConfigs
{
    public static ModelConfig Conformance(string name) => ModelConfigParser.ParseFile(Path.Combine(TestPaths.Conformance, name, "config.pbtxt"));

    public static ModelConfig Example(string name) => ModelConfigParser.ParseFile(Path.Combine(TestPaths.Models, name, "config.pbtxt"));

    public static ModelConfig GatherState(int maxBatch = 8) => ModelConfigParser.Parse(GatherStateText(maxBatch), "gather_state/config.pbtxt");

    /// <summary>The gather model's config text (the OpenVINO tests reuse it for their gather_or_fail variant).</summary>
    public static string GatherStateText(int maxBatch = 8) => $$"""
        name: "gather_state"
        max_batch_size: {{maxBatch}}
        input [ { name: "index" data_type: TYPE_INT64 dims: [ 1 ] } ]
        output [ { name: "Row" data_type: TYPE_FP32 dims: [ 4 ] } ]
        sequence_batching { }
        instance_group [ { kind: KIND_CPU } ]
        parameters [ { key: "state_pairs" value: { string_value: "<<<Sum_In, Sum_Out>>>" } } ]
        """;
}
