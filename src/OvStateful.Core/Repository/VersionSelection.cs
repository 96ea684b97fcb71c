using OvStateful.Core.Config;

namespace OvStateful.Core.Repository;

/// <summary>Which version folders a version policy serves (Triton's rules).</summary>
public static class VersionSelection
{
    /// <summary>
    /// Latest N (default: latest 1): the N highest; All: every one; Specific: the listed ones that
    /// exist (a listed version without a folder is reported in <paramref name="missing"/>).
    /// </summary>
    public static List<long> Select(VersionPolicy? policy, IReadOnlyCollection<long> available, List<long>? missing = null)
    {
        var sorted = available.Distinct().OrderBy(v => v).ToList();
        policy ??= new VersionPolicy();
        switch (policy.Kind)
        {
            case VersionPolicyKind.All:
                return sorted;
            case VersionPolicyKind.Specific:
                var chosen = new List<long>();
                foreach (var v in policy.Versions.Distinct())
                {
                    if (sorted.Contains(v)) chosen.Add(v);
                    else missing?.Add(v);
                }
                chosen.Sort();
                return chosen;
            default:
                var n = Math.Max(0, policy.NumVersions);
                return sorted.Skip(Math.Max(0, sorted.Count - n)).ToList();
        }
    }

    /// <summary>Triton's version folder names: digits not starting with 0. Other folders are ignored.</summary>
    public static bool TryParseFolder(string name, out long version)
    {
        version = 0;
        if (name.Length == 0 || name[0] == '0' || !name.All(char.IsAsciiDigit)) return false;
        return long.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version);
    }
}
