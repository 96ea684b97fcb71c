using System.Text;
using System.Text.Json;
using OvStateful.Cli.Remote;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Tests;

/// <summary>The client side of the wire: JSON tensor data, metadata shapes, WAV input (gRPC framing is Grpc.Net.Client's).</summary>
public class WireFormatTests
{
    [Theory]
    [InlineData(DataType.Fp32)]
    [InlineData(DataType.Fp64)]
    [InlineData(DataType.Fp16)]
    [InlineData(DataType.Int8)]
    [InlineData(DataType.Int16)]
    [InlineData(DataType.Int32)]
    [InlineData(DataType.Int64)]
    [InlineData(DataType.UInt8)]
    [InlineData(DataType.UInt16)]
    [InlineData(DataType.UInt32)]
    [InlineData(DataType.UInt64)]
    [InlineData(DataType.Bool)]
    public void Json_tensor_data_round_trips_bit_exactly(DataType type)
    {
        var tensor = new SyntheticSteps([new TensorSpec("t", type, [1, 6])], 1, 1, seed: 3).Step(0, 0)[0];
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) JsonTensors.WriteData(w, tensor);
        Assert.Equal(tensor.Data.ToArray(), JsonTensors.ReadData(buffer.ToArray(), type));
    }

    [Fact]
    public void Nested_json_data_is_read_row_major()
    {
        Assert.Equal(new[] { 1, 2, 3, 4 }, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(JsonTensors.ReadData("[[1, 2], [3, 4]]"u8, DataType.Int32)).ToArray());
    }

    [Fact]
    public void Metadata_shapes_become_one_step_request_shapes()
    {
        var json = """
            {"name":"accumulate","versions":["1"],"platform":"stateful",
             "inputs":[{"name":"Input","datatype":"FP32","shape":[-1,4,-1,5]}],
             "outputs":[{"name":"Output","datatype":"FP32","shape":[-1,4,-1,5]}]}
            """;
        var model = RemoteModel.FromJson("accumulate", json);
        Assert.Equal([1L, 4, 1, 5], model.Inputs[0].RequestShape);
        Assert.Equal(80, model.Inputs[0].RequestBytes);
    }

    [Fact]
    public void Bytes_inputs_are_refused_with_their_name()
    {
        var json = """{"name":"m","inputs":[{"name":"text","datatype":"BYTES","shape":[-1,1]}],"outputs":[]}""";
        var e = Assert.Throws<UsageException>(() => RemoteModel.FromJson("m", json));
        Assert.Equal("model \"m\": input \"text\" is BYTES; ovs bench sends numeric and BOOL tensors only", e.Message);
    }

    [Fact]
    public void Wav_reader_reads_pcm16_as_floats()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ovs-wav-{Guid.NewGuid():N}.wav");
        try
        {
            Wav.Write(path, [0, 16384, -32768, 32767], 16000, 1, 16);
            Assert.Equal([0f, 0.5f, -1f, 32767 / 32768f], WavReader.ReadMono16k(path));
            File.WriteAllBytes(path, Encoding.ASCII.GetBytes("not a wav file"));
            Assert.Contains("is not a RIFF/WAVE file", Assert.Throws<UsageException>(() => WavReader.ReadMono16k(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
