using OvStateful.Core.Config;
using OvStateful.Core.Repository;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Tests.Config;

/// <summary>The Triton stateful backend's own example configs load unchanged, every field as written.</summary>
public class ConformanceConfigTests
{
    [Theory]
    [InlineData("accumulate_fp32", DataType.Fp32)]
    [InlineData("accumulate_int32", DataType.Int32)]
    public void Reads_every_field_as_written(string model, DataType type)
    {
        var c = ModelConfigParser.ParseFile(TestPaths.ConformanceConfig(model));

        Assert.Equal(model, c.Name);
        Assert.Equal("stateful", c.Backend);
        Assert.Equal("", c.Platform);
        Assert.Equal(16, c.MaxBatchSize);

        var sb = Assert.IsType<ModelSequenceBatching>(c.SequenceBatching);
        Assert.Equal(100_000_000UL, sb.MaxSequenceIdleMicroseconds);
        Assert.Null(sb.Direct);
        var oldest = Assert.IsType<ModelSequenceBatching.Types.StrategyOldest>(sb.Oldest);
        Assert.Equal(1280, oldest.MaxCandidateSequences);
        Assert.Equal(2000UL, oldest.MaxQueueDelayMicroseconds);
        Assert.Empty(oldest.PreferredBatchSize); // commented out in the file
        Assert.False(oldest.PreserveOrdering);

        Assert.Equal(3, sb.ControlInput.Count);
        Assert.Equal("ResetSequence", sb.ControlInput[0].Name);
        var start = Assert.Single(sb.ControlInput[0].Control);
        Assert.Equal(ControlKind.SequenceStart, start.Kind.ToControlKind());
        Assert.Equal([0, 1], start.Int32FalseTrue);
        Assert.Empty(start.Fp32FalseTrue);
        Assert.Empty(start.BoolFalseTrue);
        Assert.Equal("EndSequence", sb.ControlInput[1].Name);
        var end = Assert.Single(sb.ControlInput[1].Control);
        Assert.Equal(ControlKind.SequenceEnd, end.Kind.ToControlKind());
        Assert.Equal([0, 1], end.Int32FalseTrue);
        Assert.Equal("CORRID", sb.ControlInput[2].Name);
        var corrid = Assert.Single(sb.ControlInput[2].Control);
        Assert.Equal(ControlKind.SequenceCorrid, corrid.Kind.ToControlKind());
        Assert.Equal(DataType.UInt64, corrid.DataType.ToTensorType());
        Assert.Empty(corrid.Int32FalseTrue);
        Assert.Empty(sb.State);

        var input = Assert.Single(c.Input);
        Assert.Equal("Input", input.Name);
        Assert.Equal(type, input.DataType.ToTensorType());
        Assert.Equal([4L, -1L, 5L], input.Dims);
        var output = Assert.Single(c.Output);
        Assert.Equal("Output", output.Name);
        Assert.Equal(type, output.DataType.ToTensorType());
        Assert.Equal([4L, -1L, 5L], output.Dims);

        var group = Assert.Single(c.InstanceGroup);
        Assert.Equal(2, group.Count);
        Assert.Equal(ModelInstanceGroup.Types.Kind.Gpu, group.Kind);
        Assert.Equal([0], group.Gpus);

        Assert.Equal($"{model}.onnx", c.Parameters["onnx_file_name"].StringValue);
        Assert.Equal("<<<Accumulate_In, Accumulate_Out>>>", c.Parameters["state_pairs"].StringValue);
        Assert.Equal("512", c.Parameters["initial_buffer_size"].StringValue);
        Assert.Equal("100", c.Parameters["subsequent_buffer_size"].StringValue);
        Assert.Equal("32", c.Parameters["buffer_alloc_threshold"].StringValue);
        Assert.Equal("200", c.Parameters["buffer_dealloc_threshold"].StringValue);
        Assert.Equal("15", c.Parameters["error_inject_rate"].StringValue);
        Assert.Equal("trt", c.Parameters["ort_ep"].StringValue);
        Assert.Equal("fp32", c.Parameters["compute_precision"].StringValue);
        Assert.Equal("0", c.Parameters["store_states_as_fp16"].StringValue);
        Assert.Equal("2", c.Parameters["metric_logging_frequency_seconds"].StringValue);
        Assert.Equal("0", c.Parameters["always_pad_to_max_batch"].StringValue);
        Assert.Equal("1", c.Parameters["enable_trt_caching"].StringValue);
        Assert.Equal("/tmp/trt_cache", c.Parameters["trt_cache_dir"].StringValue);
        Assert.Equal("VERBOSE", c.Parameters["logging_level"].StringValue);
        if (model == "accumulate_fp32")
        {
            Assert.Equal(19, c.Parameters.Count);
            Assert.Equal("1", c.Parameters["enable_cuda_graph"].StringValue);
            Assert.Equal("0", c.Parameters["infer_end_requests"].StringValue);
            Assert.Equal("INFO", c.Parameters["detailed_metrics_logging_level"].StringValue);
            Assert.Equal("VERBOSE", c.Parameters["batch_info_logging_level"].StringValue);
        }
        else
        {
            Assert.Equal(16, c.Parameters.Count);
            Assert.Equal("1", c.Parameters["infer_end_requests"].StringValue);
        }
        // Parameters keep file order.
        Assert.Equal("onnx_file_name", c.Parameters.Keys.First());
        Assert.Equal("logging_level", c.Parameters.Keys.Last());
    }

    [Theory]
    [InlineData("accumulate_fp32", false)]
    [InlineData("accumulate_int32", true)]
    public void Typed_parameters_and_state_pair(string model, bool inferEnd)
    {
        var c = ModelConfigParser.ParseFile(TestPaths.ConformanceConfig(model));
        var p = StatefulParameters.Read(c);

        var pair = Assert.Single(p.StatePairs);
        Assert.Equal("Accumulate_In", pair.InputName);
        Assert.Equal("Accumulate_Out", pair.OutputName);
        Assert.Null(pair.DataType);
        Assert.Null(pair.Dims);
        Assert.Equal(StatePairSource.StatePairsParameter, pair.Source);

        Assert.Equal(EngineKind.OnnxRuntime, p.Engine);
        Assert.Equal("onnxruntime", p.EngineName);
        Assert.Equal(OrtEpKind.TensorRt, p.OrtEp);
        Assert.Equal(ComputePrecision.Fp32, p.ComputePrecision);
        Assert.False(p.StoreStatesAsFp16);
        Assert.False(p.AlwaysPadToMaxBatch);
        Assert.True(p.EnableTrtCaching);
        Assert.Equal(model == "accumulate_fp32", p.EnableCudaGraph);
        Assert.Equal("/tmp/trt_cache", p.TrtCacheDir);
        Assert.Equal(inferEnd, p.InferEndRequests);
        Assert.Equal(0.9, p.MaxCandidateSequenceUseRatio);
        Assert.Equal(new StateBufferSizes(512, 100, 32, 200), p.BufferSizes);
        Assert.Equal($"{model}.onnx", p.OnnxFileName);
        Assert.Empty(p.ConstantInputs);
        Assert.Equal(1280, c.SequenceSlotCount());
    }

    [Theory]
    [InlineData("accumulate_fp32")]
    [InlineData("accumulate_int32")]
    public void Validates_against_the_real_model_file(string model)
    {
        var c = ModelConfigParser.ParseFile(TestPaths.ConformanceConfig(model));
        Assert.Empty(ConfigValidator.Validate(c));

        var signature = OnnxSignatureReader.Read(Path.Combine(TestPaths.TritonStateful, model, "1", $"{model}.onnx"));
        Assert.Contains(signature.Inputs, t => t.Name == "ResetSequence" && t.DataType == DataType.Bool);
        Assert.Empty(ConfigValidator.Validate(c, signature));
    }

    [Fact]
    public void Repository_opens_both_models_with_their_onnx_files()
    {
        var models = ModelRepository.Open(TestPaths.TritonStateful);
        Assert.Equal(["accumulate_fp32", "accumulate_int32"], models.Select(m => m.Name));
        foreach (var m in models)
        {
            Assert.True(m.IsValid, string.Join("\n", m.Problems));
            var v = Assert.Single(m.Versions);
            Assert.Equal(1, v.Version);
            Assert.Equal(Path.Combine(TestPaths.TritonStateful, m.Name, "1", $"{m.Name}.onnx"), v.ModelFile);
        }
    }
}
