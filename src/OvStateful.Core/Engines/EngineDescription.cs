namespace OvStateful.Core.Engines;

/// <summary>
/// What one loaded engine instance really runs on, for the server's start-up table and the
/// measuring commands' reports. Engine-agnostic: each engine fills what it knows (runtime,
/// version, the device it asked for and the one it got, threads); the rest comes from
/// <see cref="IStatefulEngine"/> itself (<see cref="Of"/>). Empty strings and 0 mean "not reported".
/// </summary>
public sealed record EngineDescription
{
    /// <summary>The engine kind: "onnxruntime" or "openvino" (the config's engine parameter).</summary>
    public required string Engine { get; init; }

    /// <summary>The runtime underneath, e.g. "ONNX Runtime", "OpenVINO"; empty when the engine does not say.</summary>
    public string Runtime { get; init; } = "";

    /// <summary>The runtime's own version string, e.g. "1.31.1", "2026.4.1"; empty when unknown.</summary>
    public string RuntimeVersion { get; init; } = "";

    /// <summary>The device the config or the command line asked for ("cuda:0", "GPU"); empty = the engine's default.</summary>
    public string DeviceRequested { get; init; } = "";

    /// <summary>The device the instance runs on ("cpu", "cuda:0", "CPU"); empty when unknown.</summary>
    public string DeviceUsed { get; init; } = "";

    /// <summary>Why <see cref="DeviceUsed"/> differs from <see cref="DeviceRequested"/> (e.g. "no CUDA device"); null when they agree.</summary>
    public string? DeviceNote { get; init; }

    /// <summary>Intra-op threads of the runtime's session; 0 = the runtime's default or not reported.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Inter-op threads; 0 = the runtime's default or not reported.</summary>
    public int InterOpThreads { get; init; }

    /// <summary>Slots (live sequences, max_candidate_sequences) this instance holds; ≥ 1.</summary>
    public int Slots { get; init; }

    /// <summary>Bytes of all state tensors of one slot.</summary>
    public long StateBytesPerSlot { get; init; }

    /// <summary>Most entries one execution takes.</summary>
    public int MaxBatchSize { get; init; }

    /// <summary>True when a device was asked for and a different one is used (case and a ":0" suffix aside).</summary>
    public bool DeviceDiffers => DeviceRequested.Length > 0 && DeviceUsed.Length > 0 && Normal(DeviceRequested) != Normal(DeviceUsed);

    /// <summary>What every engine can say about itself: kind and device from <see cref="IStatefulEngine.EngineName"/>, slots, state bytes, batch size.</summary>
    public static EngineDescription Of(IStatefulEngine engine)
    {
        var name = engine.EngineName;
        var colon = name.IndexOf(':');
        return new EngineDescription
        {
            Engine = colon < 0 ? name : name[..colon],
            DeviceUsed = colon < 0 ? "" : name[(colon + 1)..],
            Slots = engine.SlotCount,
            StateBytesPerSlot = engine.States.Sum(s => (long)s.SlotBytes),
            MaxBatchSize = engine.MaxBatchSize,
        };
    }

    private static string Normal(string device)
    {
        var d = device.Trim().ToLowerInvariant();
        return d.EndsWith(":0", StringComparison.Ordinal) ? d[..^2] : d;
    }
}
