using System.Globalization;
using OvStateful.Core.Config;
using ModelConfig = OvStateful.Protocol.Inference.ModelConfig;
using OvStateful.Core.Engines;
using OvStateful.Core.State;
using OvStateful.Core.Tensors;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino;

/// <summary>
/// The OpenVINO settings of one model, from config parameters (ours): openvino_mode
/// (batched | per_slot, Core's <see cref="OpenVinoMode"/>), openvino_device (CPU | GPU | AUTO, or any OpenVINO device name),
/// openvino_hint (latency | throughput), openvino_num_streams (&gt;= 0), openvino_num_threads
/// (&gt;= 0; 0 = the host default, else every core), openvino_precision (f32 | f16 | bf16 | default;
/// f32 unless asked, so results match ONNX Runtime on a CPU whose own default is bf16), plus the
/// stateful backend's infer_end_requests and initial_buffer_size / subsequent_buffer_size (how
/// the batched mode's host state store grows), and openvino_static_batch1 (0 | 1, default 1: batched
/// mode also compiles the model for batch 1 and runs one-row batches there; 0 saves that second
/// compilation's memory).
/// </summary>
internal sealed record OpenVinoOptions(OpenVinoMode Mode, string Device, CompileOptions Compile, bool InferEndRequests, ArenaGrowth Growth, bool StaticBatch1 = true)
{
    /// <param name="host">Host-wide defaults (threads) that the config's own parameters override; null = none.</param>
    public static OpenVinoOptions FromConfig(ModelConfig config, string? deviceOverride, OpenVinoProviderOptions? host = null)
    {
        var problems = new List<string>();
        var mode = Param(config, "openvino_mode", "batched").ToLowerInvariant() switch
        {
            "batched" => OpenVinoMode.Batched,
            "per_slot" => OpenVinoMode.PerSlot,
            var other => Bad(problems, $"openvino_mode \"{other}\" is not batched or per_slot", OpenVinoMode.Batched),
        };
        var device = NormalizeDevice(deviceOverride ?? Param(config, "openvino_device", "CPU"));
        if (device.Length == 0) problems.Add("openvino_device is empty; expected CPU, GPU or AUTO");
        var hint = Param(config, "openvino_hint", "latency").ToLowerInvariant() switch
        {
            "latency" => PerformanceHint.Latency,
            "throughput" => PerformanceHint.Throughput,
            "default" or "" => PerformanceHint.Default,
            var other => Bad(problems, $"openvino_hint \"{other}\" is not latency or throughput", PerformanceHint.Default),
        };
        var streamsText = Param(config, "openvino_num_streams", "0");
        if (!int.TryParse(streamsText, NumberStyles.None, CultureInfo.InvariantCulture, out var streams))
            problems.Add($"openvino_num_streams \"{streamsText}\" is not a non-negative integer");
        var threadsText = Param(config, "openvino_num_threads", (host?.NumThreads ?? 0).ToString(CultureInfo.InvariantCulture));
        if (!int.TryParse(threadsText, NumberStyles.None, CultureInfo.InvariantCulture, out var threads))
            problems.Add($"openvino_num_threads \"{threadsText}\" is not a non-negative integer");
        DataType? precision = Param(config, "openvino_precision", "f32").ToLowerInvariant() switch
        {
            "f32" or "fp32" => DataType.Fp32,
            "f16" or "fp16" => DataType.Fp16,
            "bf16" => DataType.Bf16,
            "default" => null,
            var other => Bad<DataType?>(problems, $"openvino_precision \"{other}\" is not f32, f16, bf16 or default", null),
        };
        var batch1 = Param(config, "openvino_static_batch1", "1") switch
        {
            "1" or "true" => true,
            "0" or "false" => false,
            var other => Bad(problems, $"openvino_static_batch1 \"{other}\" is not 0 or 1", true),
        };
        if (problems.Count > 0) throw new EngineException($"model \"{config.Name}\": " + string.Join("; ", problems));
        var growth = new ArenaGrowth(SlotsParam(config, "initial_buffer_size"), SlotsParam(config, "subsequent_buffer_size"));
        return new OpenVinoOptions(mode, device, new CompileOptions(hint, streams, precision, threads), Param(config, "infer_end_requests", "1") != "0", growth, batch1);
    }

    /// <summary>"cpu" → "CPU", "gpu.1" → "GPU.1": OpenVINO's device names are upper case; other names pass unchanged.</summary>
    internal static string NormalizeDevice(string device)
    {
        var d = device.Trim();
        foreach (var known in (string[])["CPU", "GPU", "AUTO", "NPU"])
        {
            if (d.StartsWith(known, StringComparison.OrdinalIgnoreCase) && (d.Length == known.Length || d[known.Length] is '.' or ':'))
                return known + d[known.Length..];
        }
        return d;
    }

    private static string Param(ModelConfig config, string key, string fallback) =>
        config.Parameters.TryGetValue(key, out var v) ? v.StringValue.Trim() : fallback;

    private static int SlotsParam(ModelConfig config, string key) =>
        int.TryParse(Param(config, key, "0"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static T Bad<T>(List<string> problems, string problem, T fallback)
    {
        problems.Add(problem);
        return fallback;
    }
}

/// <summary>Host-wide OpenVINO settings (from the command line or the server's options); a model's own parameters win.</summary>
public sealed record OpenVinoProviderOptions
{
    /// <summary>INFERENCE_NUM_THREADS for models whose config has no openvino_num_threads; 0 = OpenVINO's default (every core).</summary>
    public int NumThreads { get; init; }
}
