using OvStateful.Core.Config;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Tests.Config;

public class StatefulParametersTests
{
    private static ModelConfig With(params (string Key, string Value)[] parameters)
    {
        var c = new ModelConfig { Name = "m" };
        foreach (var (k, v) in parameters) c.SetParameter(k, v);
        return c;
    }

    [Fact]
    public void Defaults_when_no_parameter_is_given()
    {
        var p = StatefulParameters.Read(With());
        Assert.Equal(EngineKind.OnnxRuntime, p.Engine);
        Assert.Equal(OrtEpKind.Auto, p.OrtEp);
        Assert.Equal(ComputePrecision.Fp32, p.ComputePrecision);
        Assert.True(p.InferEndRequests);
        Assert.False(p.AlwaysPadToMaxBatch || p.StoreStatesAsFp16 || p.EnableCudaGraph || p.EnableTrtCaching);
        Assert.Equal(0.9, p.MaxCandidateSequenceUseRatio);
        Assert.Null(p.BufferSizes);
        Assert.Null(p.OnnxFileName);
        Assert.Equal("/tmp", p.TrtCacheDir);
        Assert.Equal("CPU", p.OpenVinoDevice);
        Assert.Equal(OpenVinoMode.Batched, p.OpenVinoMode);
        Assert.Empty(p.ConstantInputs);
        Assert.Empty(p.StatePairs);
    }

    [Fact]
    public void Ours_and_the_stateful_backends_values()
    {
        var p = StatefulParameters.Read(With(
            ("engine", "openvino"), ("openvino_device", "GPU"), ("openvino_mode", "per_slot"), ("constant_inputs", " sr = 16000 , foo=1.5,"),
            ("compute_precision", "FP16"), ("always_pad_to_max_batch", "1"), ("store_states_as_fp16", "true"), ("infer_end_requests", "0"),
            ("max_candidate_sequence_use_ratio", "0.75"), ("enable_cuda_graph", "1"), ("ort_ep", "cuda")));
        Assert.Equal(EngineKind.OpenVino, p.Engine);
        Assert.Equal("openvino", p.EngineName);
        Assert.Equal("GPU", p.OpenVinoDevice);
        Assert.Equal(OpenVinoMode.PerSlot, p.OpenVinoMode);
        Assert.Equal([new ConstantInput("sr", "16000", 16000), new ConstantInput("foo", "1.5", 1.5)], p.ConstantInputs);
        Assert.Equal(ComputePrecision.Fp16, p.ComputePrecision);
        Assert.True(p.AlwaysPadToMaxBatch);
        Assert.True(p.StoreStatesAsFp16);
        Assert.False(p.InferEndRequests);
        Assert.Equal(0.75, p.MaxCandidateSequenceUseRatio);
        Assert.True(p.EnableCudaGraph);
        Assert.Equal(OrtEpKind.Cuda, p.OrtEp);
    }

    [Theory]
    [InlineData(ModelInstanceGroup.Types.Kind.Cpu, "trt", OrtEpKind.Cpu)]
    [InlineData(ModelInstanceGroup.Types.Kind.Gpu, "trt", OrtEpKind.TensorRt)]
    [InlineData(ModelInstanceGroup.Types.Kind.Gpu, null, OrtEpKind.Cuda)]
    [InlineData(ModelInstanceGroup.Types.Kind.Auto, "cuda", OrtEpKind.Cuda)]
    [InlineData(ModelInstanceGroup.Types.Kind.Auto, null, OrtEpKind.Auto)]
    public void Ort_ep_follows_the_instance_kind(ModelInstanceGroup.Types.Kind kind, string? ortEp, OrtEpKind expected)
    {
        var c = ortEp is null ? With() : With(("ort_ep", ortEp));
        c.InstanceGroup.Add(new ModelInstanceGroup { Kind = kind });
        Assert.Equal(expected, StatefulParameters.Read(c).OrtEp);
    }

    [Fact]
    public void A_given_group_overrides_the_first()
    {
        var c = With(("ort_ep", "cuda"));
        c.InstanceGroup.Add(new ModelInstanceGroup { Kind = ModelInstanceGroup.Types.Kind.Gpu });
        c.InstanceGroup.Add(new ModelInstanceGroup { Kind = ModelInstanceGroup.Types.Kind.Cpu });
        Assert.Equal(OrtEpKind.Cpu, StatefulParameters.Read(c, c.InstanceGroup[1]).OrtEp);
    }

    [Theory]
    [InlineData("engine", "tensorflow", "parameters[\"engine\"]: value \"tensorflow\" is not accepted; expected one of: onnxruntime, openvino")]
    [InlineData("ort_ep", "rocm", "parameters[\"ort_ep\"]: value \"rocm\" is not accepted; expected one of: cuda, trt")]
    [InlineData("compute_precision", "int8", "parameters[\"compute_precision\"]: value \"int8\" is not accepted; expected one of: fp32, fp16")]
    [InlineData("openvino_device", "NPU", "parameters[\"openvino_device\"]: value \"NPU\" is not accepted; expected one of: CPU, GPU, AUTO")]
    [InlineData("openvino_mode", "slots", "parameters[\"openvino_mode\"]: value \"slots\" is not accepted; expected one of: batched, per_slot")]
    [InlineData("infer_end_requests", "yes", "parameters[\"infer_end_requests\"]: value \"yes\" is not a flag; expected one of: 0, 1, true, false")]
    [InlineData("store_states_as_fp16", "2", "parameters[\"store_states_as_fp16\"]: value \"2\" is not a flag")]
    [InlineData("max_candidate_sequence_use_ratio", "abc", "parameters[\"max_candidate_sequence_use_ratio\"]: value \"abc\" is not a number")]
    [InlineData("max_candidate_sequence_use_ratio", "1.5", "parameters[\"max_candidate_sequence_use_ratio\"]: value \"1.5\" is out of range; expected a number in (0, 1]")]
    [InlineData("constant_inputs", "sr", "parameters[\"constant_inputs\"]: entry \"sr\" in \"sr\" is not name=number")]
    [InlineData("constant_inputs", "sr=abc", "parameters[\"constant_inputs\"]: entry \"sr=abc\" in \"sr=abc\" is not name=number")]
    [InlineData("constant_inputs", "sr=1,sr=2", "parameters[\"constant_inputs\"]: input \"sr\" is given twice")]
    [InlineData("onnx_file_name", "../x.onnx", "parameters[\"onnx_file_name\"]: value \"../x.onnx\" is not a file name inside the version folder")]
    [InlineData("subsequent_buffer_size", "5", "parameters[\"subsequent_buffer_size\"]: \"subsequent_buffer_size\" is given without \"initial_buffer_size\"")]
    [InlineData("state_pairs", "<<<a, b>>", "parameters[\"state_pairs\"]: value \"<<<a, b>>\" is malformed: the pair opened at character 1 has no closing \">>>\"")]
    public void Bad_values_name_the_parameter_value_and_accepted_values(string key, string value, string expected)
    {
        var ex = Assert.Throws<ModelConfigException>(() => StatefulParameters.Read(With((key, value))));
        Assert.Contains(expected, Assert.Single(ex.Problems).ToString());
        Assert.Contains("model \"m\"", ex.Message);
    }

    [Fact]
    public void Buffer_sizes_need_all_four()
    {
        var ex = Assert.Throws<ModelConfigException>(() => StatefulParameters.Read(With(("initial_buffer_size", "8"), ("buffer_alloc_threshold", "-1"))));
        Assert.Equal(
        [
            "parameters[\"subsequent_buffer_size\"]: missing; \"initial_buffer_size\" is given, so \"subsequent_buffer_size\" must be given too (an integer ≥ 0)",
            "parameters[\"buffer_alloc_threshold\"]: value \"-1\" is not accepted; expected an integer ≥ 0",
            "parameters[\"buffer_dealloc_threshold\"]: missing; \"initial_buffer_size\" is given, so \"buffer_dealloc_threshold\" must be given too (an integer ≥ 0)",
        ], ex.Problems.Select(p => p.ToString()));
    }

    [Theory]
    [InlineData("<<<a, b>>>", "a>b")]
    [InlineData("<<<a,b>>> <<<c , d>>>", "a>b c>d")]
    [InlineData("<<<a, b>>>,<<<c, d>>>", "a>b c>d")]
    [InlineData("  <<< h_in ,h_out >>>\n<<<c_in, c_out>>>  ", "h_in>h_out c_in>c_out")]
    [InlineData("", "")]
    public void State_pairs_text(string text, string expected)
    {
        Assert.True(StatePairsText.TryParse(text, out var pairs, out var error), error);
        Assert.Equal(expected, string.Join(" ", pairs.Select(p => $"{p.Input}>{p.Output}")));
    }

    [Theory]
    [InlineData("a, b", "expected \"<<<\" at character 1, found \"a, b\"")]
    [InlineData("<<<a b>>>", "must hold exactly two names separated by one ',', found 1")]
    [InlineData("<<<a, b, c>>>", "found 3")]
    [InlineData("<<<a, >>>", "has an invalid tensor name \"\"")]
    [InlineData("<<<a, b c>>>", "has an invalid tensor name \"b c\"")]
    [InlineData("<<<a, b>>> x", "expected \"<<<\" at character 12, found \"x\"")]
    [InlineData("<<<a, <b>>>", "invalid tensor name \"<b\"")]
    public void Malformed_state_pairs(string text, string expected)
    {
        Assert.False(StatePairsText.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void State_pairs_from_both_declarations()
    {
        var c = ModelConfigParser.Parse("""
            parameters { key: "state_pairs" value { string_value: "<<<a_in, a_out>>>" } }
            sequence_batching { state [ { input_name: "b_in" output_name: "b_out" data_type: TYPE_FP16 dims: [ 2, -1 ] initial_state { data_type: TYPE_FP16 dims: [2, 1] zero_data: true } } ] }
            """);
        var pairs = StatefulParameters.Read(c).StatePairs;
        Assert.Equal(2, pairs.Count);
        Assert.Equal(("a_in", "a_out", StatePairSource.StatePairsParameter), (pairs[0].InputName, pairs[0].OutputName, pairs[0].Source));
        Assert.Equal(("b_in", "b_out", StatePairSource.SequenceBatchingState), (pairs[1].InputName, pairs[1].OutputName, pairs[1].Source));
        Assert.Equal(DataType.Fp16, pairs[1].DataType);
        Assert.Equal([2L, -1L], pairs[1].Dims!);
        Assert.True(Assert.Single(pairs[1].InitialState).ZeroData);
        Assert.Equal("sequence_batching.state[0]", pairs[1].Location);
    }
}
