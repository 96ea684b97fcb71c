using System.Buffers.Binary;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Workloads;

/// <summary>The largest absolute and relative difference between two runs' outputs, over every value both produced.</summary>
internal sealed record OutputDifference(double MaxAbsolute, double MaxRelative, long ValuesCompared, long StepsCompared, string? Worst)
{
    /// <summary>Relative difference |a−b| / max(|a|, |b|), 0 when both are 0.</summary>
    public static OutputDifference Between(RecordedOutputs reference, RecordedOutputs other)
    {
        double maxAbs = 0, maxRel = 0;
        long values = 0, steps = 0;
        string? worst = null;
        for (var s = 0; s < Math.Min(reference.SequenceCount, other.SequenceCount); s++)
        {
            for (var k = 0; k < Math.Min(reference.StepsOf(s), other.StepsOf(s)); k++)
            {
                if (reference.Get(s, k) is not { } a || other.Get(s, k) is not { } b) continue;
                steps++;
                foreach (var ta in a)
                {
                    var tb = b.FirstOrDefault(t => t.Name == ta.Name);
                    if (tb is null || tb.DataType != ta.DataType || tb.Data.Length != ta.Data.Length || ta.Data.Length == 0) continue;
                    var size = ta.DataType.ByteSize();
                    if (size == 0) continue;
                    var sa = ta.Data.Span;
                    var sb = tb.Data.Span;
                    for (var o = 0; o < sa.Length; o += size)
                    {
                        var x = Read(ta.DataType, sa.Slice(o, size));
                        var y = Read(ta.DataType, sb.Slice(o, size));
                        values++;
                        var abs = Math.Abs(x - y);
                        if (double.IsNaN(abs)) abs = double.IsNaN(x) && double.IsNaN(y) ? 0 : double.PositiveInfinity;
                        var scale = Math.Max(Math.Abs(x), Math.Abs(y));
                        var rel = abs == 0 ? 0 : scale == 0 ? double.PositiveInfinity : abs / scale;
                        if (abs > maxAbs)
                        {
                            maxAbs = abs;
                            worst = $"sequence {s} step {k} {ta.Name}[{o / size}]: {x:R} vs {y:R}";
                        }
                        maxRel = Math.Max(maxRel, rel);
                    }
                }
            }
        }
        return new OutputDifference(maxAbs, maxRel, values, steps, worst);
    }

    /// <summary>One little-endian element as a double.</summary>
    public static double Read(DataType type, ReadOnlySpan<byte> e) => type switch
    {
        DataType.Fp32 => BinaryPrimitives.ReadSingleLittleEndian(e),
        DataType.Fp64 => BinaryPrimitives.ReadDoubleLittleEndian(e),
        DataType.Fp16 => (double)BinaryPrimitives.ReadHalfLittleEndian(e),
        DataType.Bf16 => BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(e) << 16),
        DataType.Bool or DataType.UInt8 => e[0],
        DataType.Int8 => (sbyte)e[0],
        DataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(e),
        DataType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(e),
        DataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(e),
        DataType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(e),
        DataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(e),
        DataType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(e),
        _ => double.NaN,
    };
}
