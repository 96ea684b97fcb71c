using System.Globalization;
using OvStateful.Core.Sequences;

namespace OvStateful.Cluster.Grains;

/// <summary>
/// A sequence grain's key: "model/u123" for a uint64 correlation id, "model/s&lt;text&gt;" for a
/// string one. Model names are single folder names of the repository (no '/'), so the model
/// is the part before the first '/'.
/// </summary>
internal static class SequenceKey
{
    public static string Of(string model, SequenceId id) =>
        id.IsString ? model + "/s" + id.Text : model + "/u" + id.Number.ToString(CultureInfo.InvariantCulture);

    public static string ModelOf(string key)
    {
        var slash = key.IndexOf('/');
        return slash < 0 ? key : key[..slash];
    }

    public static SequenceId IdOf(string key)
    {
        var slash = key.IndexOf('/');
        var rest = key.AsSpan(slash + 1);
        return rest.Length > 0 && rest[0] == 'u'
            ? new SequenceId(ulong.Parse(rest[1..], NumberStyles.None, CultureInfo.InvariantCulture))
            : new SequenceId(rest[1..].ToString());
    }
}
