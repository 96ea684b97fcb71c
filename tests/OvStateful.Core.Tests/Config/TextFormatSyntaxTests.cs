using OvStateful.Core.Config;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Tests.Config;

/// <summary>The text-format spellings protobuf accepts all read to the same config.</summary>
public class TextFormatSyntaxTests
{
    [Theory]
    [InlineData("sequence_batching { oldest { max_candidate_sequences: 4 } }")]
    [InlineData("sequence_batching: { oldest: { max_candidate_sequences: 4 } }")]
    [InlineData("sequence_batching < oldest < max_candidate_sequences: 4 > >")]
    [InlineData("sequence_batching {\n  # a comment { with braces }\n  oldest {max_candidate_sequences:4;} ; }")]
    [InlineData("sequence_batching{oldest{max_candidate_sequences:0x4}}")]
    [InlineData("sequence_batching{oldest{max_candidate_sequences:04}}")]
    public void Message_spellings(string text)
    {
        var c = ModelConfigParser.Parse(text);
        Assert.Equal(4, c.SequenceBatching!.Oldest!.MaxCandidateSequences);
        Assert.Equal(1_000_000UL, c.SequenceBatching.IdleMicroseconds());
    }

    [Theory]
    [InlineData("input [ { name: \"a\" dims: [1, -1] }, { name: \"b\" } ]")]
    [InlineData("input { name: \"a\" dims: 1 dims: -1 } input { name: \"b\" }")]
    [InlineData("input: [ { name: \"a\", dims: [1, -1], }, { name: \"b\" } ]")]
    [InlineData("input { name: \"a\"; dims: [ 1 ]; dims: -1 }, input { name: 'b' }")]
    public void Repeated_field_spellings(string text)
    {
        var c = ModelConfigParser.Parse(text);
        Assert.Equal(["a", "b"], c.Input.Select(i => i.Name));
        Assert.Equal([1L, -1L], c.Input[0].Dims);
    }

    [Theory]
    [InlineData("parameters [ { key: \"x\" value: { string_value: \"y\" } }, { key: \"z\" value: { string_value: \"w\" } } ]")]
    [InlineData("parameters { key: \"x\" value: { string_value: \"y\" } }\nparameters { key: \"z\" value { string_value: \"w\" } }")]
    [InlineData("parameters: { key: 'x', value: < string_value: 'y' > } parameters { value { string_value: \"w\" } key: \"z\" }")]
    public void Map_spellings(string text)
    {
        var c = ModelConfigParser.Parse(text);
        Assert.Equal(["x", "z"], c.Parameters.Keys);
        Assert.Equal("y", c.Parameters["x"].StringValue);
        Assert.Equal("w", c.Parameters["z"].StringValue);
    }

    [Fact]
    public void Map_key_given_twice_keeps_the_last_value()
    {
        var c = ModelConfigParser.Parse("parameters { key: \"k\" value { string_value: \"1\" } } parameters { key: \"k\" value { string_value: \"2\" } }");
        Assert.Equal("2", Assert.Single(c.Parameters).Value.StringValue);
    }

    [Theory]
    [InlineData("\"a\\nb\"", "a\nb")]
    [InlineData("\"tab\\there\"", "tab\there")]
    [InlineData("'it\\'s'", "it's")]
    [InlineData("\"say \\\"hi\\\"\"", "say \"hi\"")]
    [InlineData("\"back\\\\slash\"", "back\\slash")]
    [InlineData("\"\\x41\\x42\"", "AB")]
    [InlineData("\"\\101\\102\"", "AB")]
    [InlineData("\"\\u00e9\"", "é")]
    [InlineData("\"caf\\303\\251\"", "café")]
    [InlineData("\"é raw\"", "é raw")]
    [InlineData("\"ab\" 'cd'\n \"ef\"", "abcdef")]
    [InlineData("\"\"", "")]
    public void String_escapes_and_concatenation(string literal, string expected)
    {
        Assert.Equal(expected, ModelConfigParser.Parse("name: " + literal).Name);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("t", true)]
    [InlineData("1", true)]
    [InlineData("false", false)]
    [InlineData("False", false)]
    [InlineData("f", false)]
    [InlineData("0", false)]
    public void Bool_spellings(string literal, bool expected)
    {
        var c = ModelConfigParser.Parse($"input {{ name: \"x\" optional: {literal} }}");
        Assert.Equal(expected, c.Input[0].Optional);
    }

    [Theory]
    [InlineData("0.5", 0.5f)]
    [InlineData("1e-3", 0.001f)]
    [InlineData("2.5E+1", 25f)]
    [InlineData(".25", 0.25f)]
    [InlineData("3", 3f)]
    [InlineData("1.5f", 1.5f)]
    [InlineData("-2", -2f)]
    [InlineData("inf", float.PositiveInfinity)]
    [InlineData("-Infinity", float.NegativeInfinity)]
    public void Float_spellings(string literal, float expected)
    {
        var c = ModelConfigParser.Parse($"sequence_batching {{ control_input {{ name: \"s\" control {{ kind: CONTROL_SEQUENCE_START fp32_false_true: [ 0, {literal} ] }} }} }}");
        Assert.Equal(expected, c.SequenceBatching!.ControlInput[0].Control[0].Fp32FalseTrue[1]);
    }

    [Fact]
    public void Nan_float()
    {
        var c = ModelConfigParser.Parse("sequence_batching { direct { minimum_slot_utilization: nan } }");
        Assert.True(float.IsNaN(c.SequenceBatching!.Direct!.MinimumSlotUtilization));
    }

    [Theory]
    [InlineData("max_batch_size: -7", -7)]
    [InlineData("max_batch_size: 2147483647", int.MaxValue)]
    [InlineData("max_batch_size: -2147483648", int.MinValue)]
    [InlineData("max_batch_size: 0x7fffffff", int.MaxValue)]
    public void Int32_range(string text, int expected) => Assert.Equal(expected, ModelConfigParser.Parse(text).MaxBatchSize);

    [Fact]
    public void UInt64_and_int64_limits()
    {
        var c = ModelConfigParser.Parse("sequence_batching { max_sequence_idle_microseconds: 18446744073709551615 } input { name: \"x\" dims: [ -9223372036854775808, 9223372036854775807 ] }");
        Assert.Equal(ulong.MaxValue, c.SequenceBatching!.MaxSequenceIdleMicroseconds);
        Assert.Equal([long.MinValue, long.MaxValue], c.Input[0].Dims);
    }

    [Fact]
    public void Enums_by_name_and_by_number()
    {
        var c = ModelConfigParser.Parse("instance_group [ { kind: KIND_CPU }, { kind: 1 }, { kind: KIND_MODEL }, { } ] input { name: \"x\" data_type: 11 }");
        Assert.Equal([ModelInstanceGroup.Types.Kind.Cpu, ModelInstanceGroup.Types.Kind.Gpu, ModelInstanceGroup.Types.Kind.Model, ModelInstanceGroup.Types.Kind.Auto], c.InstanceGroup.Select(g => g.Kind));
        Assert.Equal(DataType.Fp32, c.Input[0].DataType.ToTensorType());
    }

    [Theory]
    [InlineData("TYPE_BOOL", DataType.Bool)]
    [InlineData("TYPE_UINT8", DataType.UInt8)]
    [InlineData("TYPE_INT64", DataType.Int64)]
    [InlineData("TYPE_FP16", DataType.Fp16)]
    [InlineData("TYPE_BF16", DataType.Bf16)]
    [InlineData("TYPE_STRING", DataType.String)]
    [InlineData("TYPE_INVALID", DataType.Invalid)]
    public void Data_types(string name, DataType expected) =>
        Assert.Equal(expected, ModelConfigParser.Parse($"output {{ name: \"o\" data_type: {name} }}").Output[0].DataType.ToTensorType());

    [Fact]
    public void Version_policies()
    {
        Assert.Null(ModelConfigParser.Parse("").VersionPolicy);
        var latest = ModelConfigParser.Parse("version_policy { latest { num_versions: 2 } }").VersionPolicy!;
        Assert.Equal(2u, latest.Latest.NumVersions);
        Assert.Equal(0u, ModelConfigParser.Parse("version_policy { latest { } }").VersionPolicy!.Latest.NumVersions);
        Assert.Equal(Protocol.Inference.ModelVersionPolicy.PolicyChoiceOneofCase.All, ModelConfigParser.Parse("version_policy { all {} }").VersionPolicy!.PolicyChoiceCase);
        var specific = ModelConfigParser.Parse("version_policy: { specific: { versions: [1, 3] } }").VersionPolicy!;
        Assert.Equal(Protocol.Inference.ModelVersionPolicy.PolicyChoiceOneofCase.Specific, specific.PolicyChoiceCase);
        Assert.Equal([1L, 3L], specific.Specific.Versions);
    }

    [Fact]
    public void Triton_defaults_where_absent()
    {
        // The message keeps what the file said (0 / unset); the readers apply Triton's defaults.
        var c = ModelConfigParser.Parse(
            "sequence_batching { max_sequence_idle_microseconds: 0 control_input { name: \"C\" control { kind: CONTROL_SEQUENCE_CORRID } } } instance_group { kind: KIND_CPU }");
        Assert.Equal(0UL, c.SequenceBatching!.MaxSequenceIdleMicroseconds);
        Assert.Equal(1_000_000UL, c.SequenceBatching.IdleMicroseconds());
        Assert.Equal(ConfigDataType.TypeInvalid, c.SequenceBatching.ControlInput[0].Control[0].DataType);
        Assert.Equal(0, c.InstanceGroup[0].Count);
        Assert.Equal(1, c.InstanceGroup[0].InstanceCount());
        Assert.Equal(1, c.SequenceSlotCount()); // no oldest, max_batch_size 0 → max(1, 0)
        Assert.Equal(8, ModelConfigParser.Parse("max_batch_size: 8 sequence_batching { oldest { } }").SequenceSlotCount());
    }

    [Fact]
    public void Real_triton_fields_we_do_not_model_are_accepted_and_ignored()
    {
        const string text = """
            name: "m"
            platform: "onnxruntime_onnx"
            runtime: "x.so"
            max_batch_size: 8
            input [ { name: "i" data_type: TYPE_FP32 format: FORMAT_NCHW dims: [3, 4, 4] is_shape_tensor: false allow_ragged_batch: true is_non_linear_format_io: false } ]
            output [ { name: "o" data_type: TYPE_FP32 dims: [1] is_shape_tensor: false } ]
            batch_input [ { kind: BATCH_ELEMENT_COUNT target_name: "n" data_type: TYPE_INT32 source_input: "i" } ]
            batch_output { target_name: ["o"] kind: BATCH_SCATTER_WITH_INPUT_SHAPE source_input: "i" }
            optimization {
              graph { level: 1 }
              priority: PRIORITY_MAX
              cuda { graphs: true busy_wait_events: true graph_spec [ { batch_size: 4 input { key: "i" value { dim: [3, 4, 4] } } graph_lower_bound { batch_size: 1 } } ] output_copy_stream: true }
              execution_accelerators { gpu_execution_accelerator: [ { name: "tensorrt" parameters { key: "precision_mode" value: "FP16" } } ] }
              input_pinned_memory { enable: false }
              output_pinned_memory: { enable: false }
              gather_kernel_buffer_threshold: 3
              eager_batching: true
            }
            sequence_batching {
              direct { max_queue_delay_microseconds: 100 minimum_slot_utilization: 0.5 }
              state [ { input_name: "si" output_name: "so" data_type: TYPE_FP32 dims: [ 3 ] initial_state { data_type: TYPE_FP32 dims: [ 3 ] zero_data: true name: "z" } use_same_buffer_for_input_output: true use_growable_memory: false } ]
              iterative_sequence: false
            }
            instance_group [ { name: "g" kind: KIND_GPU count: 2 gpus: [0, 1] rate_limiter { resources [ { name: "r" global: true count: 2 } ] priority: 1 } secondary_devices [ { kind: KIND_NVDLA device_id: 0 } ] profile: ["0"] passive: false host_policy: "numa0" } ]
            default_model_filename: "model.onnx"
            cc_model_filenames { key: "7.5" value: "a.plan" }
            metric_tags { key: "team" value: "x" }
            model_warmup [ { name: "w" batch_size: 1 inputs { key: "i" value: { data_type: TYPE_FP32 dims: [3, 4, 4] random_data: true } } count: 2 } ]
            model_operations { op_library_filename: ["libx.so"] }
            model_transaction_policy { decoupled: false }
            model_repository_agents { agents [ { name: "checksum" parameters { key: "k" value: "v" } } ] }
            response_cache { enable: true }
            model_metrics { metric_control [ { metric_identifier { family: "f" } histogram_options { buckets: [0.1, 1, 10] } } ] }
            """;
        var c = ModelConfigParser.Parse(text);
        Assert.Equal("onnxruntime_onnx", c.Platform);
        Assert.Equal(8, c.MaxBatchSize);
        Assert.True(c.InstanceGroup[0] is { Name: "g", Kind: ModelInstanceGroup.Types.Kind.Gpu, Count: 2 });
        Assert.Equal([0, 1], c.InstanceGroup[0].Gpus);
        Assert.Equal(0.5f, c.SequenceBatching!.Direct!.MinimumSlotUtilization);
        Assert.True(c.SequenceBatching.State[0].InitialState[0] is { ZeroData: true, Name: "z" });
        Assert.True(c.ModelWarmup[0].Inputs["i"].RandomData);
        Assert.Equal("model.onnx", c.DefaultModelFilename);
        Assert.Empty(c.Parameters);
    }

    [Fact]
    public void Byte_order_mark_and_crlf_line_endings()
    {
        var c = ModelConfigParser.Parse("\uFEFFname: \"m\"\r\nmax_batch_size: 2\r\n");
        Assert.Equal(("m", 2), (c.Name, c.MaxBatchSize));
    }

    [Fact]
    public void Crlf_lines_are_counted_for_error_positions()
    {
        var ex = Assert.Throws<OvStateful.Core.Config.TextFormat.ConfigParseException>(() => ModelConfigParser.Parse("name: \"m\"\r\n\r\n  bogus: 1\r\n", "x/config.pbtxt"));
        Assert.Equal("x/config.pbtxt:3:3: unknown field \"bogus\" in ModelConfig; expected one of: " +
            "name, platform, backend, runtime, version_policy, max_batch_size, input, output, batch_input, batch_output, optimization, " +
            "dynamic_batching, sequence_batching, ensemble_scheduling, instance_group, default_model_filename, cc_model_filenames, " +
            "metric_tags, parameters, model_warmup, model_operations, model_transaction_policy, model_repository_agents, " +
            "response_cache, model_metrics", ex.Message);
    }
}
