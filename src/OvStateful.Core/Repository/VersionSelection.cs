using OvStateful.Core.Config;

namespace OvStateful.Core.Repository;

/// <summary>Which version folders a version policy serves (Triton's rules).</summary>
public static class VersionSelection
{
    /// <summary>
    /// Latest N (default: latest 1): the N highest; All: every one; Specific: the listed ones that
    /// exist (a listed version without a folder is reported in <paramref name="missing"/>).
    /// </summary>
    public static List<long> Select(ModelVersionPolicy? policy, IReadOnlyCollection<long> available, List<long>? missing = null)
    {
        var sorted = available.Distinct().OrderBy(v => v).ToList();
        switch (policy?.PolicyChoiceCase)
        {
            case ModelVersionPolicy.PolicyChoiceOneofCase.All:
                return sorted;
            case ModelVersionPolicy.PolicyChoiceOneofCase.Specific:
                var chosen = new List<long>();
                foreach (var v in policy.Specific.Versions.Distinct())
                {
                    if (sorted.Contains(v)) chosen.Add(v);
                    else missing?.Add(v);
                }
                chosen.Sort();
                return chosen;
            default:
                // Triton's default policy: the newest version (latest with num_versions 1).
                var n = policy?.PolicyChoiceCase == ModelVersionPolicy.PolicyChoiceOneofCase.Latest ? (int)Math.Min(int.MaxValue, policy.Latest.NumVersions) : 1;
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
