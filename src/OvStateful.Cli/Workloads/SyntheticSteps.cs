using System.Runtime.InteropServices;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Workloads;

/// <summary>
/// Seeded random inputs shaped by the model's <see cref="TensorSpec"/>s: floats uniform in
/// [-1, 1), integers in [0, 8), bools as coin flips. Each step has its own generator seeded
/// from (seed, sequence, step), so any step can be regenerated alone and every engine sees
/// bit-identical inputs. The generator is SplitMix64, not <see cref="Random"/>: a seeded
/// Random builds a 56-entry table per step, which cost a load generator 10% of its CPU.
/// With <c>zero</c>, every tensor is zeros (perf_analyzer's --input-data zero).
/// </summary>
internal sealed class SyntheticSteps : IStepSource
{
    private readonly IReadOnlyList<TensorSpec> _inputs;
    private readonly int _seed;
    private readonly SequenceLengths _lengths;
    private readonly bool _zero;

    public SyntheticSteps(IReadOnlyList<TensorSpec> inputs, int sequences, int steps, int seed = 1)
        : this(inputs, sequences, SequenceLengths.Fixed(steps), seed)
    {
    }

    public SyntheticSteps(IReadOnlyList<TensorSpec> inputs, int sequences, SequenceLengths lengths, int seed, bool zero = false)
    {
        foreach (var i in inputs)
        {
            if (i.DataType is DataType.String or DataType.Invalid)
                throw new UsageException($"input \"{i.Name}\" is {i.DataType.WireName()}; synthetic inputs are made only for numeric and BOOL tensors");
        }
        _inputs = inputs;
        SequenceCount = sequences;
        _lengths = lengths;
        _seed = seed;
        _zero = zero;
    }

    public int SequenceCount { get; }
    public int StepsOf(int sequence) => _lengths.Of(sequence);
    public string Description => _zero ? "zeros" : $"synthetic (seed {_seed})";

    public IReadOnlyList<Tensor> Step(int sequence, int step)
    {
        // Not HashCode.Combine: its seed differs per process, and inputs must match across runs.
        var random = new SplitMix64(((ulong)(uint)_seed << 42) ^ ((ulong)(uint)sequence << 21) ^ (uint)step);
        var tensors = new Tensor[_inputs.Count];
        for (var i = 0; i < _inputs.Count; i++)
        {
            var spec = _inputs[i];
            var bytes = new byte[spec.RequestBytes];
            if (!_zero) Fill(spec.DataType, bytes, ref random);
            tensors[i] = new Tensor(spec.Name, spec.DataType, (long[])spec.RequestShape.Clone(), bytes);
        }
        return tensors;
    }

    private static void Fill(DataType type, Span<byte> bytes, ref SplitMix64 r)
    {
        switch (type)
        {
            case DataType.Fp32:
                foreach (ref var v in MemoryMarshal.Cast<byte, float>(bytes)) v = (float)r.NextSigned();
                break;
            case DataType.Fp64:
                foreach (ref var v in MemoryMarshal.Cast<byte, double>(bytes)) v = r.NextSigned();
                break;
            case DataType.Fp16:
                foreach (ref var v in MemoryMarshal.Cast<byte, Half>(bytes)) v = (Half)(r.NextSigned());
                break;
            case DataType.Bf16:
                // bfloat16 is the upper half of a float32.
                foreach (ref var v in MemoryMarshal.Cast<byte, ushort>(bytes))
                    v = (ushort)(BitConverter.SingleToUInt32Bits((float)r.NextSigned()) >> 16);
                break;
            case DataType.Bool:
                foreach (ref var v in bytes) v = (byte)(r.Next() & 1);
                break;
            default:
                // Integers: small non-negative values fit every width and signedness.
                var size = type.ByteSize();
                bytes.Clear();
                for (var o = 0; o < bytes.Length; o += size) bytes[o] = (byte)(r.Next() & 7);
                break;
        }
    }

    /// <summary>SplitMix64 (Steele, Lea, Flood 2014): one add and three xor-shift-multiplies per value.</summary>
    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Uniform in [-1, 1): the top 53 bits as a fraction.</summary>
        public double NextSigned() => (Next() >> 11) * (1.0 / (1UL << 53)) * 2 - 1;
    }
}
