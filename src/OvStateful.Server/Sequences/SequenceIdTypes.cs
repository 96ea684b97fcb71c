using OvStateful.Core.Sequences;
using OvStateful.Server.Protocol;

namespace OvStateful.Server.Sequences;

/// <summary>The "type" of an allocation request, and the release error, worded once for both protocols.</summary>
internal static class SequenceIdTypes
{
    public static bool IsString(string? type) => type switch
    {
        null or "" or "uint64" or "UINT64" => false,
        "string" or "STRING" => true,
        _ => throw ServerErrors.Invalid($"sequence id type '{type}' is unknown; expected \"uint64\" or \"string\""),
    };

    public static Exception NotAllocated(SequenceId id) =>
        ServerErrors.Invalid($"sequence_id {id} is not allocated (never handed out by /v2/sequences/allocate, or released already)");
}
