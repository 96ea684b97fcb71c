using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Tests.Config;

public class ConfigValidatorTests
{
    private const string Accumulate = """
        name: "acc"
        backend: "stateful"
        max_batch_size: 16
        sequence_batching {
          oldest { max_candidate_sequences: 32 }
          control_input [
            { name: "ResetSequence" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] },
            { name: "EndSequence" control [ { kind: CONTROL_SEQUENCE_END int32_false_true: [ 0, 1 ] } ] },
            { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 } ] }
          ]
        }
        input [ { name: "Input" data_type: TYPE_FP32 dims: [ 4, -1, 5 ] } ]
        output [ { name: "Output" data_type: TYPE_FP32 dims: [ 4, -1, 5 ] } ]
        parameters { key: "state_pairs" value { string_value: "<<<Accumulate_In, Accumulate_Out>>>" } }
        """;

    private static ModelFileTensor T(string name, DataType type, params long[] shape) => new(name, type, shape);

    private static ModelFileSignature AccumulateFile(
        DataType stateOut = DataType.Fp32, long[]? stateInShape = null, long[]? inputShape = null, bool withReset = true, string? extraInput = null)
    {
        var inputs = new List<ModelFileTensor> { T("Input", DataType.Fp32, inputShape ?? [-1, -1, 5]), T("Accumulate_In", DataType.Fp32, stateInShape ?? [-1, 5]) };
        if (withReset) inputs.Add(T("ResetSequence", DataType.Bool, -1, 1));
        if (extraInput is not null) inputs.Add(T(extraInput, DataType.Int64));
        return new ModelFileSignature(inputs, [T("Output", DataType.Fp32, -1, -1, 5), T("Accumulate_Out", stateOut, -1, 5)]);
    }

    private static string[] Problems(string text, ModelFileSignature? file = null) =>
        ConfigValidator.Validate(ModelConfigParser.Parse(text), file).Select(p => p.ToString()).ToArray();

    [Fact]
    public void Valid_config_and_matching_model_file_have_no_problem()
    {
        Assert.Empty(Problems(Accumulate));
        Assert.Empty(Problems(Accumulate, AccumulateFile()));
    }

    [Fact]
    public void Reports_every_problem_at_once()
    {
        const string text = """
            max_batch_size: -2
            backend: "stateful"
            input [ { name: "a" data_type: TYPE_FP32 dims: [ 0, -3 ] }, { name: "a" dims: [ 1 ] }, { data_type: TYPE_FP32 } ]
            output [ { name: "o" data_type: TYPE_FP32 dims: [ 1 ] } ]
            instance_group [ { kind: KIND_CPU count: -2 gpus: [ 0 ] } ]
            version_policy { latest { num_versions: 0 } }
            parameters { key: "ort_ep" value { string_value: "rocm" } }
            """;
        Assert.Equal(
        [
            "parameters[\"ort_ep\"]: value \"rocm\" is not accepted; expected one of: cuda, trt",
            "max_batch_size: -2 is negative; expected 0 (no batching) or a positive batch size",
            "sequence_batching: missing: the model is a sequence model (its backend is \"stateful\") and needs a sequence_batching { … } section",
            "input[0].dims[0]: 0 is not a dimension; expected a positive size or -1 (dynamic)",
            "input[0].dims[1]: -3 is not a dimension; expected a positive size or -1 (dynamic)",
            "input[1].name: \"a\" is already used by input[0]; input names must be unique",
            "input[1].data_type: missing or TYPE_INVALID; expected a TYPE_* data type such as TYPE_FP32",
            "input[2].name: missing; every input needs a name",
            "input[2].dims: missing; expected the tensor's dimensions, e.g. dims: [ 4, -1, 5 ]",
            "instance_group[0].count: -2 instances; expected at least 1 (or none for Triton's default of 1)",
            "instance_group[0].gpus: gpus cannot be given for KIND_CPU; expected KIND_GPU or KIND_AUTO",
            "version_policy.latest.num_versions: 0; expected at least 1",
        ], Problems(text));
    }

    public static TheoryData<string, string> ControlCases => new()
    {
        { "{ kind: CONTROL_SEQUENCE_START }", "sequence_batching.control_input[0].control[0]: CONTROL_SEQUENCE_START needs exactly one of int32_false_true, fp32_false_true or bool_false_true with 2 values [false, true]; none is given" },
        { "{ kind: CONTROL_SEQUENCE_READY int32_false_true: [0, 1] fp32_false_true: [0, 1] }", "sequence_batching.control_input[0].control[0]: CONTROL_SEQUENCE_READY needs exactly one of int32_false_true, fp32_false_true or bool_false_true; found int32_false_true and fp32_false_true" },
        { "{ kind: CONTROL_SEQUENCE_END bool_false_true: [ true ] }", "sequence_batching.control_input[0].control[0].bool_false_true: has 1 value(s); expected exactly 2: [false value, true value]" },
        { "{ kind: CONTROL_SEQUENCE_START int32_false_true: [0, 1, 2] }", "sequence_batching.control_input[0].control[0].int32_false_true: has 3 value(s); expected exactly 2" },
        { "{ kind: CONTROL_SEQUENCE_CORRID int32_false_true: [0, 1] }", "sequence_batching.control_input[0].control[0].int32_false_true: not allowed for CONTROL_SEQUENCE_CORRID; the correlation id tensor takes only data_type" },
        { "{ kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_FP32 }", "sequence_batching.control_input[0].control[0].data_type: TYPE_FP32 cannot carry a correlation id; expected one of: TYPE_UINT64, TYPE_INT64, TYPE_UINT32, TYPE_INT32, TYPE_STRING" },
    };

    [Theory]
    [MemberData(nameof(ControlCases))]
    public void Control_kind_and_value_fields_must_fit(string control, string expected)
    {
        var problems = Problems($"sequence_batching {{ control_input [ {{ name: \"C\" control [ {control} ] }} ] }}");
        Assert.Equal(expected, Assert.Single(problems)[..Math.Min(expected.Length, Assert.Single(problems).Length)]);
    }

    [Theory]
    [InlineData("TYPE_UINT64")]
    [InlineData("TYPE_INT64")]
    [InlineData("TYPE_UINT32")]
    [InlineData("TYPE_INT32")]
    [InlineData("TYPE_STRING")]
    public void Corrid_types(string type) =>
        Assert.Empty(Problems($"sequence_batching {{ control_input [ {{ name: \"C\" control [ {{ kind: CONTROL_SEQUENCE_CORRID data_type: {type} }} ] }} ] }}"));

    [Fact]
    public void Control_tensors_and_kinds_are_unique()
    {
        var problems = Problems("""
            input { name: "S" data_type: TYPE_INT32 dims: [1] }
            sequence_batching { control_input [
              { name: "S" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [0, 1] } ] },
              { name: "S" control [ { kind: CONTROL_SEQUENCE_END int32_false_true: [0, 1] } ] },
              { name: "T" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [0, 1] }, { kind: CONTROL_SEQUENCE_READY int32_false_true: [0, 1] } ] },
              { name: "" }
            ] }
            """);
        Assert.Equal(
        [
            "sequence_batching.control_input[0].name: \"S\" is also listed in input; control tensors are filled by the server, not sent by clients",
            "sequence_batching.control_input[1].name: \"S\" is already used by control_input[0]; a tensor carries one control",
            "sequence_batching.control_input[2].control: 2 controls on one tensor; a control tensor carries exactly one control kind",
            "sequence_batching.control_input[2].control[0].kind: CONTROL_SEQUENCE_START is already given by control_input[0]; each control kind may appear once",
            "sequence_batching.control_input[3].name: missing; every control input needs the name of the tensor it fills",
            "sequence_batching.control_input[3].control: missing; expected one control { kind: CONTROL_SEQUENCE_… }",
        ], problems);
    }

    [Theory]
    [InlineData(8, 0, null)]
    [InlineData(8, 8, null)]
    [InlineData(8, 4, null)] // Triton accepts it: a warning (below), not a problem
    [InlineData(8, -1, "sequence_batching.oldest.max_candidate_sequences: -1 is negative")]
    public void Candidate_sequences_versus_batch_size(int maxBatch, int candidates, string? expected)
    {
        var problems = Problems($"max_batch_size: {maxBatch} sequence_batching {{ oldest {{ max_candidate_sequences: {candidates} preferred_batch_size: [ 8 ] }} }}");
        if (expected is null) Assert.Empty(problems);
        else Assert.StartsWith(expected, Assert.Single(problems));
    }

    [Fact]
    public void Fewer_candidate_sequences_than_the_batch_size_is_a_warning_saying_what_happens()
    {
        var config = ModelConfigParser.Parse("max_batch_size: 8 sequence_batching { oldest { max_candidate_sequences: 4 } }");
        Assert.Equal(
            ["sequence_batching.oldest.max_candidate_sequences: 4 is below max_batch_size 8: accepted, as Triton does, with 4 slots, so a batch holds at most 4 sequences; set it to at least 8 to fill batches"],
            ConfigValidator.Warnings(config).Select(w => w.ToString()));
        Assert.Empty(ConfigValidator.Warnings(ModelConfigParser.Parse("max_batch_size: 8 sequence_batching { oldest { max_candidate_sequences: 8 } }")));
    }

    [Fact]
    public void Preferred_batch_sizes_fit_the_max_batch_size()
    {
        Assert.Equal(
        [
            "sequence_batching.oldest.preferred_batch_size[0]: 0 is not a batch size; expected 1 to max_batch_size (4)",
            "sequence_batching.oldest.preferred_batch_size[2]: 5 is not a batch size; expected 1 to max_batch_size (4)",
        ], Problems("max_batch_size: 4 sequence_batching { oldest { preferred_batch_size: [ 0, 4, 5 ] } }"));
    }

    [Fact]
    public void Implicit_state_declarations_are_checked()
    {
        var problems = Problems("""
            max_batch_size: 4
            input { name: "s_in" data_type: TYPE_FP32 dims: [ 1 ] }
            sequence_batching { state [
              { input_name: "s_in" output_name: "s_out" data_type: TYPE_FP32 dims: [ -1, -1 ] },
              { input_name: "s_in" output_name: "t_out" data_type: TYPE_STRING dims: [ 3 ] },
              { output_name: "u_out" dims: [ 2 ] initial_state { data_type: TYPE_INT32 dims: [ -1 ] } }
            ] }
            """);
        Assert.Equal(
        [
            "sequence_batching.state[0]: state input \"s_in\" is also listed as input[0]; states are kept by the server, not sent by clients",
            "sequence_batching.state[0].dims: dims [-1, -1] give the model shape [-1, -1, -1] with 3 dynamic dimensions; a state needs exactly one (its batch axis)",
            "sequence_batching.state[1]: state input \"s_in\" is already declared by sequence_batching.state[0]",
            "sequence_batching.state[1]: state input \"s_in\" is also listed as input[0]; states are kept by the server, not sent by clients",
            "sequence_batching.state[1].data_type: TYPE_STRING cannot be a state; expected a fixed-size numeric or bool type",
            "sequence_batching.state[2].input_name: missing; a state needs the model input that reads it",
            "sequence_batching.state[2].data_type: missing or TYPE_INVALID; expected the state's TYPE_* data type",
            "sequence_batching.state[2].initial_state[0].data_type: TYPE_INT32 differs from the state's TYPE_INVALID",
            "sequence_batching.state[2].initial_state[0].dims: [-1] must be concrete (positive sizes only)",
            "sequence_batching.state[2].initial_state[0]: needs zero_data: true or data_file: \"…\"",
        ], problems);
    }

    [Fact]
    public void A_state_without_a_batch_axis_is_reported_when_the_model_does_not_batch()
    {
        Assert.Equal(
            ["sequence_batching.state[0].dims: dims [2, 3] give the model shape [2, 3] with 0 dynamic dimensions; a state needs exactly one (its batch axis)"],
            Problems("sequence_batching { state { input_name: \"i\" output_name: \"o\" data_type: TYPE_FP32 dims: [ 2, 3 ] } }"));
    }

    [Fact]
    public void Model_file_cross_check_finds_every_mismatch()
    {
        const string text = """
            max_batch_size: 16
            sequence_batching {
              control_input [
                { name: "ResetSequence" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] },
                { name: "Ready" control [ { kind: CONTROL_SEQUENCE_READY int32_false_true: [ 0, 1 ] } ] },
                { name: "EndSequence" control [ { kind: CONTROL_SEQUENCE_END int32_false_true: [ 0, 1 ] } ] }
              ]
            }
            input [ { name: "Input" data_type: TYPE_INT32 dims: [ 3, -1, 5 ] }, { name: "Missing" data_type: TYPE_FP32 dims: [ 1 ] } ]
            output [ { name: "Output" data_type: TYPE_FP32 dims: [ 4, 5 ] } ]
            parameters { key: "state_pairs" value { string_value: "<<<Accumulate_In, Accumulate_Out>>> <<<Nope_In, Nope_Out>>>" } }
            parameters { key: "constant_inputs" value { string_value: "sr=16000,ghost=1" } }
            """;
        var file = AccumulateFile(stateOut: DataType.Fp16, stateInShape: [-1, -1, 5], extraInput: "sr");
        var problems = Problems(text, file);
        Assert.Contains("input[0].data_type: TYPE_INT32 in the config, but the model file's input \"Input\" is TYPE_FP32", problems);
        Assert.Contains("input[1].name: \"Missing\" is not an input of the model file; its inputs are: \"Input\", \"Accumulate_In\", \"ResetSequence\", \"sr\"", problems);
        Assert.Equal(9, problems.Length); // the file's dynamic dims accept the config's [3, -1, 5] and [4, 5]
        Assert.Contains("parameters[\"state_pairs\"]: state input \"Accumulate_In\" is FP32 but state output \"Accumulate_Out\" is FP16; a state pair needs one element type", problems);
        Assert.Contains("parameters[\"state_pairs\"]: state input \"Accumulate_In\" has shape [-1, -1, 5] but state output \"Accumulate_Out\" has [-1, 5]; a state pair needs one shape", problems);
        Assert.Contains("parameters[\"state_pairs\"]: state \"Accumulate_In\" has shape [-1, -1, 5] with 2 dynamic dimensions in the model file; a state needs exactly one (its batch axis)", problems);
        Assert.Contains("parameters[\"state_pairs\"]: state input \"Nope_In\" is not an input of the model file; its inputs are: \"Input\", \"Accumulate_In\", \"ResetSequence\", \"sr\"", problems);
        Assert.Contains("parameters[\"state_pairs\"]: state output \"Nope_Out\" is not an output of the model file; its outputs are: \"Output\", \"Accumulate_Out\"", problems);
        Assert.Contains("sequence_batching.control_input[1].name: \"Ready\" (CONTROL_SEQUENCE_READY) is not an input of the model file; its inputs are: \"Input\", \"Accumulate_In\", \"ResetSequence\", \"sr\". Only END and CORRID controls may be absent (the server consumes them)", problems);
        Assert.Contains("parameters[\"constant_inputs\"]: \"ghost\" is not an input of the model file; its inputs are: \"Input\", \"Accumulate_In\", \"ResetSequence\", \"sr\"", problems);
        Assert.DoesNotContain(problems, p => p.Contains("EndSequence"));
        Assert.DoesNotContain(problems, p => p.Contains("\"sr\" (INT64"));
    }

    [Fact]
    public void Output_rank_mismatch_is_reported()
    {
        var file = AccumulateFile();
        file = file with { Outputs = [T("Output", DataType.Fp32, -1, 5), file.Outputs[1]] };
        var problem = Assert.Single(ConfigValidator.Validate(ModelConfigParser.Parse(Accumulate), file));
        Assert.Equal("output[0].dims: dims [4, -1, 5] mean model shape [4, -1, 5] (-1: batch or dynamic), but the model file's output \"Output\" has [-1, 5] (rank 2, expected 3)", problem.ToString());
    }

    [Fact]
    public void Unfed_model_input_is_reported()
    {
        var problem = Assert.Single(ConfigValidator.Validate(ModelConfigParser.Parse(Accumulate), AccumulateFile(extraInput: "sr")));
        Assert.Equal("input: the model file's input \"sr\" (INT64 []) is fed by nothing; declare it in input, state_pairs / sequence_batching.state, control_input or parameters[\"constant_inputs\"]", problem.ToString());
    }

    [Fact]
    public void Start_control_missing_from_the_model_is_reported_but_end_and_corrid_are_not()
    {
        var problem = Assert.Single(ConfigValidator.Validate(ModelConfigParser.Parse(Accumulate), AccumulateFile(withReset: false)));
        Assert.StartsWith("sequence_batching.control_input[0].name: \"ResetSequence\" (CONTROL_SEQUENCE_START) is not an input of the model file", problem.ToString());
    }

    [Theory]
    [InlineData(new long[] { 4, -1, 5 }, null)]
    [InlineData(new long[] { -1, -1, 5 }, null)]
    [InlineData(new long[] { 4, 16, 5 }, null)]
    [InlineData(new long[] { 4, 8, 5 }, "axis 1 is the batch axis but is fixed to 8; batches of up to 16 need it dynamic")]
    [InlineData(new long[] { 4, -1, 6 }, "axis 2 is 6, expected 5")]
    [InlineData(new long[] { -1, 4, 5 }, "axis 1 is the batch axis but is fixed to 4; batches of up to 16 need it dynamic")]
    [InlineData(new long[] { 4, 5 }, "rank 2, expected 3")]
    public void Batch_axis_in_place_convention(long[] fileShape, string? why)
    {
        var problems = ConfigValidator.Validate(ModelConfigParser.Parse(Accumulate), AccumulateFile(inputShape: fileShape));
        if (why is null) Assert.Empty(problems);
        else Assert.Contains(why, Assert.Single(problems).Message);
    }

    [Fact]
    public void Leading_batch_axis_convention()
    {
        var c = ModelConfigParser.Parse("max_batch_size: 8 input { name: \"x\" data_type: TYPE_FP32 dims: [ 512 ] } output { name: \"y\" data_type: TYPE_FP32 dims: [ 1 ] }");
        var ok = new ModelFileSignature([T("x", DataType.Fp32, -1, 512)], [T("y", DataType.Fp32, -1, 1)]);
        Assert.Empty(ConfigValidator.Validate(c, ok));
        var bad = new ModelFileSignature([T("x", DataType.Fp32, 512)], [T("y", DataType.Fp32, -1, 1)]);
        Assert.Contains("rank 1, expected 2", Assert.Single(ConfigValidator.Validate(c, bad)).Message);
        // A variable-length dim in Triton's usual convention: the file's rank decides that dims [-1] means [B, -1].
        var variable = ModelConfigParser.Parse("max_batch_size: 8 input { name: \"x\" data_type: TYPE_FP32 dims: [ -1 ] }");
        Assert.Empty(ConfigValidator.Validate(variable, new ModelFileSignature([T("x", DataType.Fp32, -1, -1)], [])));
    }

    [Fact]
    public void Implicit_state_cross_checked_against_the_file()
    {
        var c = ModelConfigParser.Parse("""
            max_batch_size: 4
            sequence_batching { state { input_name: "h" output_name: "h_next" data_type: TYPE_FP16 dims: [ 2, -1, 128 ] } }
            """);
        var file = new ModelFileSignature([T("h", DataType.Fp32, 2, -1, 64)], [T("h_next", DataType.Fp32, 2, -1, 64)]);
        Assert.Equal(
        [
            "sequence_batching.state[0].data_type: TYPE_FP16 in the config, but the model file's input \"h\" is TYPE_FP32",
            "sequence_batching.state[0].dims: dims [2, -1, 128] mean model shape [2, -1, 128], but the model file's input \"h\" has [2, -1, 64] (axis 2 is 64, expected 128)",
        ], ConfigValidator.Validate(c, file).Select(p => p.ToString()));
    }
}

public class StateShapeAgreementTests
{
    private static ModelFileTensor T(string name, long[] shape) => new(name, DataType.Fp32, shape);

    [Theory]
    [InlineData(new long[] { 2, -1, 128 }, new long[] { -1, -1, -1 }, true)]  // Silero's stateN as ONNX Runtime reports it
    [InlineData(new long[] { 2, -1, 128 }, new long[] { }, true)]             // output of unknown rank
    [InlineData(new long[] { 2, -1, 128 }, new long[] { 2, -1, 64 }, false)]
    [InlineData(new long[] { 2, -1, 128 }, new long[] { -1, 128 }, false)]
    public void Symbolic_output_dims_match_any_size(long[] input, long[] output, bool ok)
    {
        var c = ModelConfigParser.Parse("max_batch_size: 4 sequence_batching { } parameters { key: \"state_pairs\" value { string_value: \"<<<s, sN>>>\" } }");
        var problems = ConfigValidator.Validate(c, new ModelFileSignature([T("s", input)], [T("sN", output)]));
        Assert.Equal(ok, problems.Count == 0);
    }
}
