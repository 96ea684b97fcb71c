using Google.Protobuf;
using OvStateful.Core.Config;

namespace OvStateful.Core.Tests.Config;

/// <summary>
/// What the text parser fills is an ordinary protobuf message: it survives the wire unchanged
/// (the server sends exactly it as ModelConfig), and the same text always gives the same message.
/// </summary>
public class RoundTripTests
{
    public static TheoryData<int> Sinks => new(Enumerable.Range(0, ConfigSamples.KitchenSinks.Length));

    internal static void AssertWireRoundTrip(ModelConfig config)
    {
        var again = ModelConfig.Parser.ParseFrom(config.ToByteArray());
        Assert.Equal(config, again);
    }

    [Theory]
    [MemberData(nameof(Sinks))]
    public void Kitchen_sink_survives_the_wire(int index)
    {
        var first = ModelConfigParser.Parse(ConfigSamples.KitchenSinks[index]);
        AssertWireRoundTrip(first);
        Assert.Equal(first, ModelConfigParser.Parse(ConfigSamples.KitchenSinks[index]));
    }

    [Theory]
    [InlineData("accumulate_fp32")]
    [InlineData("accumulate_int32")]
    public void Conformance_configs_survive_the_wire(string model) =>
        AssertWireRoundTrip(ModelConfigParser.ParseFile(TestPaths.ConformanceConfig(model)));

    [Fact]
    public void Every_kind_of_field_is_filled_as_written()
    {
        var c = ModelConfigParser.Parse(ConfigSamples.KitchenSinks[0]);
        // Oneofs, nested enums, repeated scalars and maps land in the generated message's fields.
        Assert.Equal(ModelConfig.SchedulingChoiceOneofCase.SequenceBatching, c.SchedulingChoiceCase);
        Assert.Equal(ModelSequenceBatching.StrategyChoiceOneofCase.Oldest, c.SequenceBatching.StrategyChoiceCase);
        Assert.Equal([4, 8], c.SequenceBatching.Oldest.PreferredBatchSize);
        Assert.Equal(OvStateful.Protocol.Inference.ModelVersionPolicy.PolicyChoiceOneofCase.Specific, ModelVersionPolicyCase(c));
        Assert.Equal([1L, 3L], c.VersionPolicy.Specific.Versions);
    }

    private static OvStateful.Protocol.Inference.ModelVersionPolicy.PolicyChoiceOneofCase ModelVersionPolicyCase(ModelConfig c) => c.VersionPolicy.PolicyChoiceCase;
}
