using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Tests;

/// <summary>
/// Test-only reader of an ONNX file's graph inputs and outputs (protobuf wire format walked by
/// hand), so validator tests can check configs against the real conformance model files
/// without an engine. It reads files; it does not stand in for an engine's behaviour.
/// </summary>
internal static class OnnxSignatureReader
{
    public static ModelFileSignature Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var graph = Fields(bytes).Where(f => f.Number == 7).Select(f => f.Bytes).Last(); // ModelProto.graph
        var initializers = new HashSet<string>(Fields(graph).Where(f => f.Number == 5)
            .Select(f => Utf8(Fields(f.Bytes).FirstOrDefault(x => x.Number == 8).Bytes))); // TensorProto.name
        var inputs = Fields(graph).Where(f => f.Number == 11).Select(f => ValueInfo(f.Bytes)).Where(t => !initializers.Contains(t.Name)).ToList();
        var outputs = Fields(graph).Where(f => f.Number == 12).Select(f => ValueInfo(f.Bytes)).ToList();
        return new ModelFileSignature(inputs, outputs);
    }

    private static ModelFileTensor ValueInfo(byte[]? b)
    {
        var name = "";
        var type = DataType.Invalid;
        var shape = new List<long>();
        foreach (var f in Fields(b))
        {
            if (f.Number == 1) name = Utf8(f.Bytes);
            if (f.Number != 2) continue;
            foreach (var tensorType in Fields(f.Bytes).Where(x => x.Number == 1)) // TypeProto.tensor_type
            {
                foreach (var t in Fields(tensorType.Bytes))
                {
                    if (t.Number == 1) type = FromOnnx(t.Value);
                    if (t.Number != 2) continue;
                    foreach (var dim in Fields(t.Bytes).Where(x => x.Number == 1))
                    {
                        var v = Fields(dim.Bytes).FirstOrDefault(x => x.Number == 1);
                        shape.Add(v.Bytes is null && v.Number == 1 ? (long)v.Value : -1);
                    }
                }
            }
        }
        return new ModelFileTensor(name, type, [.. shape]);
    }

    private static DataType FromOnnx(ulong t) => t switch
    {
        1 => DataType.Fp32, 2 => DataType.UInt8, 3 => DataType.Int8, 4 => DataType.UInt16, 5 => DataType.Int16,
        6 => DataType.Int32, 7 => DataType.Int64, 8 => DataType.String, 9 => DataType.Bool, 10 => DataType.Fp16,
        11 => DataType.Fp64, 12 => DataType.UInt32, 13 => DataType.UInt64, 16 => DataType.Bf16, _ => DataType.Invalid,
    };

    private static string Utf8(byte[]? b) => b is null ? "" : System.Text.Encoding.UTF8.GetString(b);

    private readonly record struct Field(int Number, ulong Value, byte[]? Bytes);

    private static IEnumerable<Field> Fields(byte[]? b)
    {
        b ??= [];
        var i = 0;
        var list = new List<Field>();
        while (i < b.Length)
        {
            var key = Varint(b, ref i);
            var number = (int)(key >> 3);
            switch (key & 7)
            {
                case 0: list.Add(new Field(number, Varint(b, ref i), null)); break;
                case 1: i += 8; break;
                case 5: i += 4; break;
                case 2:
                    var len = (int)Varint(b, ref i);
                    list.Add(new Field(number, 0, b[i..(i + len)]));
                    i += len;
                    break;
                default: throw new InvalidDataException($"unsupported wire type {key & 7}");
            }
        }
        return list;
    }

    private static ulong Varint(byte[] b, ref int i)
    {
        ulong v = 0;
        for (var shift = 0; ; shift += 7)
        {
            var x = b[i++];
            v |= (ulong)(x & 0x7f) << shift;
            if ((x & 0x80) == 0) return v;
        }
    }
}
