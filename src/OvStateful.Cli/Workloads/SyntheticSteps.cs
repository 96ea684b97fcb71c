using System.Runtime.InteropServices;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Workloads;

/// <summary>
/// Seeded random inputs shaped by the model's <see cref="TensorSpec"/>s: floats uniform in
/// [-1, 1), integers in [0, 8), bools as coin flips. Each step has its own generator seeded
/// from (seed, sequence, step), so any step can be regenerated alone and every engine sees
/// bit-identical inputs.
/// </summary>
internal sealed class SyntheticSteps : IStepSource
{
    private readonly IReadOnlyList<TensorSpec> _inputs;
    private readonly int _seed;
    private readonly int _steps;

    public SyntheticSteps(IReadOnlyList<TensorSpec> inputs, int sequences, int steps, int seed = 1)
    {
        foreach (var i in inputs)
        {
            if (i.DataType is DataType.String or DataType.Invalid)
                throw new UsageException($"input \"{i.Name}\" is {i.DataType.WireName()}; synthetic inputs are made only for numeric and BOOL tensors");
        }
        _inputs = inputs;
        SequenceCount = sequences;
        _steps = steps;
        _seed = seed;
    }

    public int SequenceCount { get; }
    public int StepsOf(int sequence) => _steps;
    public string Description => $"synthetic (seed {_seed})";

    public IReadOnlyList<Tensor> Step(int sequence, int step)
    {
        var random = new Random(HashCode.Combine(_seed, sequence, step));
        var tensors = new Tensor[_inputs.Count];
        for (var i = 0; i < _inputs.Count; i++)
        {
            var spec = _inputs[i];
            var bytes = new byte[spec.RequestBytes];
            Fill(spec.DataType, bytes, random);
            tensors[i] = new Tensor(spec.Name, spec.DataType, (long[])spec.RequestShape.Clone(), bytes);
        }
        return tensors;
    }

    private static void Fill(DataType type, Span<byte> bytes, Random r)
    {
        switch (type)
        {
            case DataType.Fp32:
                foreach (ref var v in MemoryMarshal.Cast<byte, float>(bytes)) v = (float)(r.NextDouble() * 2 - 1);
                break;
            case DataType.Fp64:
                foreach (ref var v in MemoryMarshal.Cast<byte, double>(bytes)) v = r.NextDouble() * 2 - 1;
                break;
            case DataType.Fp16:
                foreach (ref var v in MemoryMarshal.Cast<byte, Half>(bytes)) v = (Half)(r.NextDouble() * 2 - 1);
                break;
            case DataType.Bf16:
                // bfloat16 is the upper half of a float32.
                foreach (ref var v in MemoryMarshal.Cast<byte, ushort>(bytes))
                    v = (ushort)(BitConverter.SingleToUInt32Bits((float)(r.NextDouble() * 2 - 1)) >> 16);
                break;
            case DataType.Bool:
                foreach (ref var v in bytes) v = (byte)r.Next(2);
                break;
            default:
                // Integers: small non-negative values fit every width and signedness.
                var size = type.ByteSize();
                bytes.Clear();
                for (var o = 0; o < bytes.Length; o += size) bytes[o] = (byte)r.Next(8);
                break;
        }
    }
}
