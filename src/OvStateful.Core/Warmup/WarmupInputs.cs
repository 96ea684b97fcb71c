using System.Buffers.Binary;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;
using WarmupSample = OvStateful.Protocol.Inference.ModelWarmup;

namespace OvStateful.Core.Warmup;

/// <summary>
/// The request inputs of one model_warmup sample, as Triton fills them: zero_data (zeros; empty
/// strings), random_data (uniform [0, 1) for floating types, random bytes otherwise, 0/1 for
/// BOOL, empty strings) or input_data_file (raw row-major bytes from the model folder's
/// warmup/ directory). Each is checked against the model's input of that name.
/// </summary>
internal static class WarmupInputs
{
    public static Tensor[] Build(ModelConfig config, WarmupSample sample, string where, IReadOnlyList<TensorSpec> inputs, string modelDirectory, Random random)
    {
        var tensors = new List<Tensor>(sample.Inputs.Count);
        foreach (var (name, input) in sample.Inputs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var spec = inputs.FirstOrDefault(s => s.Name == name)
                ?? throw new ModelWarmupException($"{where}: '{name}' is not an input of model '{config.Name}'; its inputs are {string.Join(", ", inputs.Select(s => $"'{s.Name}'"))}");
            if (input.DataType.ToTensorType() != spec.DataType)
                throw new ModelWarmupException($"{where}: input '{name}' is {input.DataType.ToTensorType().ConfigName()}, but model '{config.Name}' takes {spec.DataType.ConfigName()}");
            long[] shape = config.MaxBatchSize > 0 ? [1, .. input.Dims] : [.. input.Dims];
            if (!shape.AsSpan().SequenceEqual(spec.RequestShape))
                throw new ModelWarmupException($"{where}: input '{name}' has dims {Shapes.Format(input.Dims.ToArray())}; model '{config.Name}' takes {Shapes.Format(spec.RequestShape)} per request{(config.MaxBatchSize > 0 ? " (dims leave out the batch dimension)" : "")}");
            tensors.Add(new Tensor(name, spec.DataType, shape, Data(config, input, spec, where, modelDirectory, random)));
        }
        return [.. tensors];
    }

    private static byte[] Data(ModelConfig config, WarmupSample.Types.Input input, TensorSpec spec, string where, string modelDirectory, Random random)
    {
        var elements = (int)Shapes.ElementCount(spec.RequestShape);
        if (input.InputDataTypeCase == WarmupSample.Types.Input.InputDataTypeOneofCase.InputDataFile)
        {
            var file = input.InputDataFile;
            var path = Path.Combine(modelDirectory, "warmup", file);
            if (Path.IsPathRooted(file) || file.Split('/', '\\').Contains(".."))
                throw new ModelWarmupException($"{where}: input_data_file \"{file}\" is not a file name inside {Path.Combine(modelDirectory, "warmup")}");
            if (!File.Exists(path)) throw new ModelWarmupException($"{where}: input_data_file \"{file}\" not found; expected {path}");
            var bytes = File.ReadAllBytes(path);
            if (spec.DataType != DataType.String && bytes.Length != spec.RequestBytes)
                throw new ModelWarmupException($"{where}: input_data_file {path} has {bytes.Length} bytes; input '{spec.Name}' of model '{config.Name}' needs {spec.RequestBytes} ({Shapes.Format(spec.RequestShape)} x {spec.DataType.ByteSize()} bytes)");
            return bytes;
        }
        if (input.InputDataTypeCase == WarmupSample.Types.Input.InputDataTypeOneofCase.None)
            throw new ModelWarmupException($"{where}: input '{spec.Name}' says no data; expected zero_data: true, random_data: true or input_data_file: \"<file in warmup/>\"");
        // BYTES: every element an empty string (a 4-byte zero length).
        if (spec.DataType == DataType.String) return new byte[4 * elements];
        var data = new byte[spec.RequestBytes];
        if (input.InputDataTypeCase == WarmupSample.Types.Input.InputDataTypeOneofCase.ZeroData) return data;
        switch (spec.DataType)
        {
            case DataType.Fp32:
                for (var i = 0; i < elements; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), random.NextSingle());
                break;
            case DataType.Fp64:
                for (var i = 0; i < elements; i++) BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(8 * i), random.NextDouble());
                break;
            case DataType.Fp16:
                for (var i = 0; i < elements; i++) BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2 * i), (Half)random.NextSingle());
                break;
            case DataType.Bool:
                for (var i = 0; i < elements; i++) data[i] = (byte)random.Next(2);
                break;
            default:
                random.NextBytes(data);
                break;
        }
        return data;
    }
}
