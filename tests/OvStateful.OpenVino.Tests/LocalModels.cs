using OvStateful.Core.Config;

namespace OvStateful.OpenVino.Tests;

/// <summary>The OpenVINO tests' own models (Models/, each with the script that made it).</summary>
internal static class LocalModels
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Models");

    /// <summary>gather_state made to fail inside OpenVINO on an index outside 0..7 (make_gather_or_fail.py).</summary>
    public static ModelUnderTest GatherOrFail(OpenVinoMode mode)
    {
        var config = ModelConfigParser.Parse(TestConfigs.GatherStateText(maxBatch: 8).Replace("gather_state", "gather_or_fail"), "gather_or_fail/config.pbtxt");
        config.SetParameter("engine", "openvino");
        config.SetParameter("openvino_mode", Mode(mode));
        return new ModelUnderTest("gather_or_fail", config, Path.Combine(Folder, "gather_or_fail.onnx"), r => [ModelUnderTest.Longs(r.Next(0, 8))]);
    }

    /// <summary>A config for one of the stateful IRs of make_initial_value_irs.py: input x [3], output y [3], the given pairs.</summary>
    public static ModelUnderTest InitialValueIr(string name, string statePairs, OpenVinoMode mode)
    {
        var config = ModelConfigParser.Parse($$"""
            name: "{{name}}"
            max_batch_size: 8
            input [ { name: "x" data_type: TYPE_FP32 dims: [ 3 ] } ]
            output [ { name: "y" data_type: TYPE_FP32 dims: [ 3 ] } ]
            sequence_batching { }
            instance_group [ { kind: KIND_CPU } ]
            parameters [
              { key: "engine" value: { string_value: "openvino" } },
              { key: "openvino_mode" value: { string_value: "{{Mode(mode)}}" } },
              { key: "state_pairs" value: { string_value: "{{statePairs}}" } }
            ]
            """, name + "/config.pbtxt");
        return new ModelUnderTest(name, config, Path.Combine(Folder, name + ".xml"), r => [ModelUnderTest.Floats(r, 3, 4)]);
    }

    public static string Mode(OpenVinoMode mode) => mode == OpenVinoMode.PerSlot ? "per_slot" : "batched";
}
