using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.OpenVino.Tests;

public class StatePairsTests
{
    [Fact]
    public void Parses_pairs_separated_by_spaces_or_commas()
    {
        Assert.Equal([("a", "b"), ("c", "d")], StatePairs.Parse("<<<a, b>>> , <<<c,d>>>"));
    }

    [Theory]
    [InlineData("<<<a, b")]
    [InlineData("<<<a>>>")]
    [InlineData("a,b")]
    public void Bad_pairs_are_refused_with_the_text(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => StatePairs.Parse(text));
        Assert.Contains(text, e.Message);
    }

    [Fact]
    public void Config_pairs_come_from_the_parameter_and_the_state_section()
    {
        var config = new ModelConfig { Name = "m" };
        config.SetParameter("state_pairs", "<<<h_in, h_out>>>");
        config.SequenceBatching = new ModelSequenceBatching { State = { new ModelSequenceBatching.Types.State { InputName = "c_in", OutputName = "c_out" } } };
        Assert.Equal([("h_in", "h_out"), ("c_in", "c_out")], StatePairs.FromConfig(config));
    }

    [Fact]
    public void MakeStateful_names_the_variable_input_plus_output_and_the_input_name_is_a_fallback()
    {
        Assert.Equal("Accumulate_InAccumulate_Out", StatePairs.VariableName("Accumulate_In", "Accumulate_Out"));
        Assert.Equal(1, StatePairs.FindVariable(["x", "stateN_x", "statestateN"], "state", "stateN") - 1);
        Assert.Equal(0, StatePairs.FindVariable(["state", "other"], "state", "stateN"));
        Assert.Equal(-1, StatePairs.FindVariable(["other"], "state", "stateN"));
    }

    [Fact]
    public void Mapping_states_to_variables_names_every_missing_state_and_the_variables_there_are()
    {
        StateSpec[] states =
        [
            new("state", "stateN", DataType.Fp32, [2, -1, 128], 1),
            new("h", "h_out", DataType.Fp32, [-1, 8], 0),
        ];
        Assert.Equal([1, 0], StatePairs.MapStates("m", states, ["hh_out", "statestateN"]));

        var e = Assert.Throws<EngineException>(() => StatePairs.MapStates("silero", states, ["foo"]));
        Assert.Contains("model \"silero\"", e.Message);
        Assert.Contains("<<<state, stateN>>> (expected variable \"statestateN\")", e.Message);
        Assert.Contains("<<<h, h_out>>>", e.Message);
        Assert.Contains("\"foo\"", e.Message);
    }

    [Fact]
    public void A_stateful_IR_gets_its_pairs_back_in_the_signature_from_the_variables()
    {
        var sig = new ModelFileSignature(
            [new ModelFileTensor("input", DataType.Fp32, [-1, 512]), new ModelFileTensor("sr", DataType.Int64, [])],
            [new ModelFileTensor("output", DataType.Fp32, [-1, 1])]);
        var variables = new[] { new ModelFileTensor("statestateN", DataType.Fp32, [2, -1, 128]) };

        var with = StatePairs.WithVariables(sig, [("state", "stateN")], variables);

        var input = Assert.Single(with.Inputs, i => i.Name == "state");
        Assert.Equal([2L, -1, 128], input.Shape);
        var output = Assert.Single(with.Outputs, o => o.Name == "stateN");
        Assert.Equal(DataType.Fp32, output.DataType);
        Assert.Equal(3, with.Inputs.Count);
    }
}
