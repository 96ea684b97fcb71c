using System.Text.Json;
using OvStateful.Core.Repository;
using OvStateful.Server.Tests.Infrastructure;
using OvStateful.Server.Tests.TestDoubles;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>
/// The conformance model's config.pbtxt, parsed by Core, reads the same through the server's
/// ModelConfig (gRPC) and /config (HTTP) as it does in the file.
/// </summary>
public sealed class ConformanceConfigTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        var definition = ModelRepository.LoadModel(Path.Combine(TestPaths.Conformance, "accumulate_fp32"));
        Assert.True(definition.Config is not null, string.Join("; ", definition.Problems.Select(p => p.Message)));
        _server = await TestServer.StartAsync(new TestModelRegistry(new AccumulatorTestModel("accumulate_fp32", config: definition.Config)));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Grpc_model_config_reads_as_the_file()
    {
        var c = (await _server.Grpc.UnaryAsync("ModelConfig", new Proto.ModelConfigRequest { Name = "accumulate_fp32" }, Proto.ModelConfigResponse.Parser)).Single.Config;
        Assert.Equal("accumulate_fp32", c.Name);
        Assert.Equal("stateful", c.Backend);
        Assert.Equal(16, c.MaxBatchSize);
        Assert.Equal([4L, -1, 5], c.Input.Single().Dims);
        Assert.Equal(Proto.DataType.TypeFp32, c.Output.Single().DataType);
        var sb = c.SequenceBatching;
        Assert.Equal(100_000_000UL, sb.MaxSequenceIdleMicroseconds);
        Assert.Equal(1280, sb.Oldest.MaxCandidateSequences);
        Assert.Equal(2000UL, sb.Oldest.MaxQueueDelayMicroseconds);
        Assert.Equal(["ResetSequence", "EndSequence", "CORRID"], sb.ControlInput.Select(ci => ci.Name));
        Assert.Equal(Proto.ModelSequenceBatching.Types.Control.Types.Kind.ControlSequenceEnd, sb.ControlInput[1].Control[0].Kind);
        Assert.Equal(Proto.DataType.TypeUint64, sb.ControlInput[2].Control[0].DataType);
        Assert.Equal("<<<Accumulate_In, Accumulate_Out>>>", c.Parameters["state_pairs"].StringValue);
        Assert.Equal("0", c.Parameters["infer_end_requests"].StringValue);
        Assert.Equal(2, c.InstanceGroup.Single().Count);
        Assert.Equal([0], c.InstanceGroup.Single().Gpus);
    }

    [Fact]
    public async Task Http_config_json_reads_as_the_file()
    {
        var json = JsonDocument.Parse(await _server.Http.GetStringAsync("/v2/models/accumulate_fp32/config")).RootElement;
        Assert.Equal(16, json.GetProperty("max_batch_size").GetInt32());
        Assert.Equal("CORRID", json.GetProperty("sequence_batching").GetProperty("control_input")[2].GetProperty("name").GetString());
        Assert.Equal("trt", json.GetProperty("parameters").GetProperty("ort_ep").GetProperty("string_value").GetString());
        Assert.Equal("KIND_GPU", json.GetProperty("instance_group")[0].GetProperty("kind").GetString());
        Assert.Equal([4L, -1, 5], json.GetProperty("output")[0].GetProperty("dims").EnumerateArray().Select(d => d.GetInt64()));
    }
}
