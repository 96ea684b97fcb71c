using System.Collections;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace OvStateful.Server.Protocol;

/// <summary>
/// Writes a protobuf message as JSON the way Triton's HTTP endpoints print them: proto field
/// names (max_batch_size), every scalar field even when default, 64-bit integers as JSON
/// numbers (dims: [4, -1, 5], not strings), enums by name, unset messages and oneofs omitted.
/// Google.Protobuf's JsonFormatter would quote 64-bit integers, which Triton's clients do not expect.
/// </summary>
internal static class ProtoJson
{
    public static void WriteMessage(Utf8JsonWriter w, IMessage message)
    {
        w.WriteStartObject();
        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            if (field.RealContainingOneof is { } oneof)
            {
                if (oneof.Accessor.GetCaseFieldDescriptor(message)?.FieldNumber != field.FieldNumber) continue;
            }
            var value = field.Accessor.GetValue(message);
            if (field.IsMap)
            {
                w.WritePropertyName(field.Name);
                WriteMap(w, field, (IDictionary)value);
            }
            else if (field.IsRepeated)
            {
                w.WritePropertyName(field.Name);
                w.WriteStartArray();
                foreach (var item in (IList)value) WriteValue(w, field, item);
                w.WriteEndArray();
            }
            else
            {
                if (field.FieldType == FieldType.Message && value is null) continue;
                w.WritePropertyName(field.Name);
                WriteValue(w, field, value);
            }
        }
        w.WriteEndObject();
    }

    public static byte[] ToUtf8(IMessage message)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) WriteMessage(w, message);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteMap(Utf8JsonWriter w, FieldDescriptor field, IDictionary map)
    {
        var valueField = field.MessageType.FindFieldByNumber(2);
        w.WriteStartObject();
        foreach (DictionaryEntry e in map)
        {
            w.WritePropertyName(Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture) ?? "");
            WriteValue(w, valueField, e.Value);
        }
        w.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter w, FieldDescriptor field, object? value)
    {
        switch (field.FieldType)
        {
            case FieldType.Bool: w.WriteBooleanValue((bool)value!); break;
            case FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32: w.WriteNumberValue((int)value!); break;
            case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64: w.WriteNumberValue((long)value!); break;
            case FieldType.UInt32 or FieldType.Fixed32: w.WriteNumberValue((uint)value!); break;
            case FieldType.UInt64 or FieldType.Fixed64: w.WriteNumberValue((ulong)value!); break;
            case FieldType.Float: WriteFloat(w, (float)value!); break;
            case FieldType.Double: WriteFloating(w, (double)value!); break;
            case FieldType.String: w.WriteStringValue((string)value!); break;
            case FieldType.Bytes: w.WriteBase64StringValue(((ByteString)value!).Span); break;
            case FieldType.Enum:
                var number = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
                var name = field.EnumType.FindValueByNumber(number)?.Name;
                if (name is null) w.WriteNumberValue(number); else w.WriteStringValue(name);
                break;
            case FieldType.Message:
                if (value is null) w.WriteNullValue(); else WriteMessage(w, (IMessage)value);
                break;
            default: w.WriteNullValue(); break;
        }
    }

    private static void WriteFloat(Utf8JsonWriter w, float f)
    {
        // The float overload prints the shortest round-trip form (0.1, not 0.100000001).
        if (float.IsFinite(f)) w.WriteNumberValue(f);
        else WriteFloating(w, f);
    }

    private static void WriteFloating(Utf8JsonWriter w, double d)
    {
        if (double.IsFinite(d)) w.WriteNumberValue(d);
        else w.WriteStringValue(double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    }
}
