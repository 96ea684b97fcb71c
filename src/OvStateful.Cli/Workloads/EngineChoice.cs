using OvStateful.Core.Engines;

namespace OvStateful.Cli.Workloads;

/// <summary>
/// An engine as the command line names it: "onnxruntime", "openvino", or with a device after a
/// colon: "onnxruntime:cuda", "onnxruntime:cuda:1", "onnxruntime:trt", "openvino:GPU".
/// </summary>
internal sealed record EngineChoice(string Provider, string? Device)
{
    public string Label => Device is null ? Provider : $"{Provider}:{Device}";

    public static EngineChoice Parse(string text, IReadOnlyList<IEngineProvider> providers, string? device = null)
    {
        var t = text.Trim();
        var colon = t.IndexOf(':');
        var name = colon < 0 ? t : t[..colon];
        var dev = colon < 0 ? device : t[(colon + 1)..];
        if (!providers.Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new UsageException($"unknown engine \"{text}\"; valid engines: {string.Join(", ", providers.Select(p => p.Name))} " +
                "(optionally with a device: onnxruntime:cpu, onnxruntime:cuda[:N], onnxruntime:trt[:N], openvino:CPU|GPU|AUTO)");
        }
        name = providers.First(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Name;
        if (dev is { Length: 0 }) dev = null;
        if (dev is not null && name == "onnxruntime" && !IsOrtDevice(dev))
            throw new UsageException($"engine \"{text}\": unknown ONNX Runtime device \"{dev}\"; valid: cpu, cuda, cuda:N, trt, trt:N");
        if (dev is not null && name == "openvino" && dev.ToUpperInvariant() is not ("CPU" or "GPU" or "AUTO") && !dev.StartsWith("GPU.", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"engine \"{text}\": unknown OpenVINO device \"{dev}\"; valid: CPU, GPU, GPU.N, AUTO");
        return new EngineChoice(name, dev);
    }

    private static bool IsOrtDevice(string d)
    {
        var lower = d.ToLowerInvariant();
        if (lower == "cpu") return true;
        foreach (var kind in new[] { "cuda", "trt" })
        {
            if (lower == kind) return true;
            if (lower.StartsWith(kind + ":", StringComparison.Ordinal) && int.TryParse(lower.AsSpan(kind.Length + 1), out var n) && n >= 0) return true;
        }
        return false;
    }

    /// <summary>ORT's EngineLoadContext wants "cuda:0" rather than a bare "cuda".</summary>
    public string? LoadDevice => Provider == "onnxruntime" && Device is "cuda" or "trt" ? Device + ":0" : Device;
}
