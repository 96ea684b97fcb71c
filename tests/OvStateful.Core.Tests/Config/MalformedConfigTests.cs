using OvStateful.Core.Config;
using OvStateful.Core.Config.TextFormat;

namespace OvStateful.Core.Tests.Config;

/// <summary>Each malformed config gives one error at the right line and column saying what was found and what was expected.</summary>
public class MalformedConfigTests
{
    public static TheoryData<string, string, int, int, string> Cases => new()
    {
        { "unknown top-level field", "name: \"m\"\nmax_batchsize: 8\n", 2, 1, "unknown field \"max_batchsize\" in ModelConfig; expected one of: name, platform, backend, runtime, version_policy, max_batch_size" },
        { "typo gets a suggestion", "max_batchsize: 8", 1, 1, "did you mean \"max_batch_size\"?" },
        { "unknown nested field", "sequence_batching {\n  oldest {\n    max_candidates: 4\n  }\n}", 3, 5, "unknown field \"max_candidates\" in ModelSequenceBatching.StrategyOldest; expected one of: max_candidate_sequences" },
        { "generic_batching is not Triton's", "generic_batching { }", 1, 1, "unknown field \"generic_batching\" in ModelConfig" },
        { "missing colon before scalar", "name \"m\"", 1, 6, "expected ':' after field name \"name\", found string \"m\"" },
        { "unterminated message", "sequence_batching {\n  max_sequence_idle_microseconds: 5\n", 3, 1, "unexpected end of file; expected '}' to close the ModelSequenceBatching opened at 1:19" },
        { "stray closing brace", "name: \"m\"\n}", 2, 1, "unexpected '}'; expected a field name of ModelConfig" },
        { "unterminated string", "name: \"abc\nbackend: \"x\"", 1, 7, "unterminated string; expected a closing \" before the end of the line" },
        { "bad escape", "name: \"a\\qb\"", 1, 9, "invalid escape \"\\q\"" },
        { "string where int expected", "max_batch_size: \"8\"", 1, 17, "expected an integer (int32) for field \"max_batch_size\" of ModelConfig, found string \"8\"" },
        { "int32 overflow", "max_batch_size: 3000000000", 1, 17, "integer 3000000000 is out of range for int32 field \"max_batch_size\" of ModelConfig" },
        { "negative unsigned", "sequence_batching { max_sequence_idle_microseconds: -5 }", 1, 53, "integer -5 is out of range for uint64 field \"max_sequence_idle_microseconds\"" },
        { "float for int", "max_batch_size: 1.5", 1, 17, "expected an integer (int32) for field \"max_batch_size\" of ModelConfig, found number 1.5" },
        { "unknown enum value", "input [ { name: \"x\" data_type: TYPE_FLOAT32 dims: [1] } ]", 1, 32, "unknown value \"TYPE_FLOAT32\" for DataType field \"data_type\" of ModelInput; expected one of: TYPE_INVALID, TYPE_BOOL" },
        { "unknown instance kind", "instance_group [ { kind: KIND_TPU } ]", 1, 26, "unknown value \"KIND_TPU\" for ModelInstanceGroup.Kind field \"kind\"" },
        { "unknown control kind", "sequence_batching { control_input [ { name: \"S\" control [ { kind: CONTROL_SEQUENCE_BEGIN } ] } ] }", 1, 67, "unknown value \"CONTROL_SEQUENCE_BEGIN\" for ModelSequenceBatching.Control.Kind" },
        { "bad bool", "input [ { name: \"x\" optional: yes } ]", 1, 31, "expected true or false for bool field \"optional\" of ModelInput, found identifier \"yes\"" },
        { "list for singular field", "max_batch_size: [ 1, 2 ]", 1, 17, "field \"max_batch_size\" of ModelConfig is not repeated; a list [ ] is only allowed for repeated fields" },
        { "list without commas", "input [ { name: \"x\" dims: [ 1 2 ] } ]", 1, 31, "unexpected number 2 in the list of \"dims\" opened at 1:27; expected ',' or ']'" },
        { "singular field twice", "name: \"a\"\nname: \"b\"", 2, 1, "field \"name\" of ModelConfig is given twice (first at 1:1); it is not repeated" },
        { "two strategies of one oneof", "sequence_batching {\n  direct { }\n  oldest { }\n}", 3, 3, "field \"oldest\" cannot be given together with \"direct\": both belong to oneof strategy_choice of ModelSequenceBatching" },
        { "dynamic and sequence batching", "dynamic_batching { }\nsequence_batching { }", 2, 1, "field \"sequence_batching\" cannot be given together with \"dynamic_batching\": both belong to oneof scheduling_choice" },
        { "two version policies", "version_policy { latest { num_versions: 1 } all { } }", 1, 45, "cannot be given together with \"latest\"" },
        { "message value without brace", "sequence_batching: 5", 1, 20, "expected '{' to start ModelSequenceBatching \"sequence_batching\", found number 5" },
        { "unknown parameters entry field", "parameters { key: \"a\" val: { string_value: \"b\" } }", 1, 23, "unknown field \"val\" in ModelConfig.parameters entry; expected one of: key, value" },
        { "parameter value not a string", "parameters { key: \"a\" value: { string_value: 3 } }", 1, 46, "expected a quoted string for field \"string_value\" of ModelParameter, found number 3" },
        { "bad character", "name: \"m\" @", 1, 11, "unexpected character '@'" },
        { "number glued to letters", "max_batch_size: 8x", 1, 18, "unexpected character 'x' in number \"8\"" },
        { "hex without digits", "max_batch_size: 0x", 1, 19, "expected a hex digit after \"0x\", found end of file" },
        { "extension syntax", "[foo.bar]: 1", 1, 1, "unexpected '['; extension and Any fields ([name]) are not part of ModelConfig" },
        { "missing value at end", "max_batch_size:", 1, 16, "expected an integer (int32) for field \"max_batch_size\" of ModelConfig, found end of file" },
        { "bad octal", "max_batch_size: 09", 1, 17, "integer 09 is not a valid integer (a leading 0 means octal)" },
        { "invalid utf8 from escapes", "name: \"\\xff\"", 1, 7, "string is not valid UTF-8 after decoding its escapes" },
        { "field in unmodeled message is still checked", "optimization { cuda { graphz: true } }", 1, 23, "unknown field \"graphz\" in ModelOptimizationPolicy.Cuda; expected one of: graphs" },
        { "unclosed list", "input [ { name: \"x\" } ", 1, 23, "unexpected end of file in the list of \"input\" opened at 1:7; expected ',' or ']'" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reports_located_error(string why, string text, int line, int column, string expected)
    {
        var ex = Assert.Throws<ConfigParseException>(() => ModelConfigParser.Parse(text, "config.pbtxt"));
        Assert.True(ex.Detail.Contains(expected, StringComparison.Ordinal), $"{why}: message \"{ex.Detail}\" lacks \"{expected}\"");
        Assert.Equal((line, column), (ex.Line, ex.Column));
        Assert.Equal("config.pbtxt", ex.File);
        Assert.StartsWith($"config.pbtxt:{line}:{column}: ", ex.Message);
    }

    [Fact]
    public void Unknown_field_message_lists_every_field_of_the_message()
    {
        var ex = Assert.Throws<ConfigParseException>(() => ModelConfigParser.Parse("max_batchsize: 8"));
        foreach (var f in new[] { "name", "platform", "backend", "max_batch_size", "input", "output", "sequence_batching", "dynamic_batching",
                     "instance_group", "parameters", "model_warmup", "optimization", "response_cache", "model_transaction_policy" })
        {
            Assert.Contains($" {f},", ex.Detail + ",");
        }
    }
}
