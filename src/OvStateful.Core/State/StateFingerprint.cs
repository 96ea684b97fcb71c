using System.Security.Cryptography;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.State;

/// <summary>
/// What saved states depend on, as lines a person can read: each state's name, type and
/// per-slot shape, and the model file's SHA-256. States saved under one fingerprint are
/// restored only under the same one; any difference drops them, with the first differing
/// line as the reason. Slot and instance counts, batching and the engine are not in it: a
/// state's bytes mean the same under any of them.
/// </summary>
public sealed record StateFingerprint(IReadOnlyList<string> Parts)
{
    public static StateFingerprint Of(IReadOnlyList<StateSpec> states, string? modelFile)
    {
        var parts = new List<string>();
        foreach (var s in states) parts.Add($"state {s.InputName}/{s.OutputName} {s.DataType.WireName()} {Shapes.Format(s.SlotShape)}");
        parts.Add(modelFile is null ? "model file unknown" : $"model file sha256 {Sha256(modelFile)}");
        return new StateFingerprint(parts);
    }

    /// <summary>Null when the same, else what changed from <paramref name="saved"/> to this one.</summary>
    public string? DifferenceFrom(StateFingerprint saved)
    {
        for (var i = 0; i < Math.Max(Parts.Count, saved.Parts.Count); i++)
        {
            var was = i < saved.Parts.Count ? saved.Parts[i] : null;
            var now = i < Parts.Count ? Parts[i] : null;
            if (was == now) continue;
            return (was, now) switch
            {
                (null, _) => $"the model now has {now}, which the saved states lack",
                (_, null) => $"the saved states had {was}, which the model no longer has",
                _ => $"the saved states had {was}; the model now has {now}",
            };
        }
        return null;
    }

    private static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
