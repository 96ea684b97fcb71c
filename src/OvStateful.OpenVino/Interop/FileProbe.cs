namespace OvStateful.OpenVino.Interop;

/// <summary>
/// The file-system questions the runtime finder asks; the real one reads the disk, tests give
/// a fixed set of paths. Patterns use '*' within one path segment only.
/// </summary>
internal class FileProbe
{
    public static FileProbe System { get; } = new();

    public virtual bool FileExists(string path) => File.Exists(path);
    public virtual bool DirectoryExists(string path) => Directory.Exists(path);

    /// <summary>Files in <paramref name="directory"/> whose name matches <paramref name="pattern"/>, sorted ordinally.</summary>
    public virtual IReadOnlyList<string> Files(string directory, string pattern)
    {
        if (!Directory.Exists(directory)) return [];
        var found = Directory.EnumerateFiles(directory, pattern).ToList();
        found.Sort(StringComparer.Ordinal);
        return found;
    }

    /// <summary>Existing directories matching an absolute pattern such as /opt/intel/openvino*/runtime/lib/intel64, sorted ordinally.</summary>
    public virtual IReadOnlyList<string> Directories(string pattern)
    {
        var segments = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        IEnumerable<string> current = ["/"];
        foreach (var segment in segments)
        {
            current = segment.Contains('*')
                ? current.Where(Directory.Exists).SelectMany(d => Directory.EnumerateDirectories(d, segment)).ToList()
                : current.Select(d => Path.Combine(d, segment)).Where(Directory.Exists).ToList();
        }
        var list = current.ToList();
        list.Sort(StringComparer.Ordinal);
        return list;
    }
}
