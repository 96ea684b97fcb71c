using System.Globalization;
using OvStateful.Core.Sequences;

namespace OvStateful.Server.Protocol;

/// <summary>The KServe v2 sequence parameters, decoded the same way for HTTP and gRPC.</summary>
internal static class SequenceParameters
{
    public const string SequenceId = "sequence_id";
    public const string SequenceStart = "sequence_start";
    public const string SequenceEnd = "sequence_end";

    public static Core.Sequences.SequenceId FromInt64(long value) => value < 0
        ? throw ServerErrors.Invalid($"parameter '{SequenceId}' is {value}; expected an unsigned 64-bit number or a string")
        : new Core.Sequences.SequenceId((ulong)value);

    public static Core.Sequences.SequenceId FromUInt64(ulong value) => new(value);

    public static Core.Sequences.SequenceId FromString(string value) => new(value);

    /// <summary>A JSON number that must be a whole unsigned 64-bit value.</summary>
    public static Core.Sequences.SequenceId FromJsonNumber(string rawText) =>
        ulong.TryParse(rawText, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? new Core.Sequences.SequenceId(n)
            : throw ServerErrors.Invalid($"parameter '{SequenceId}' is {rawText}; expected an unsigned 64-bit whole number or a string");
}
