using OvStateful.Core.Config;

namespace OvStateful.OpenVino.Tests;

/// <summary>The ONNX Runtime suite's real models, configured for the OpenVINO engine in one state mode.</summary>
internal static class OpenVinoModels
{
    /// <summary>Silero VAD v5 (models/silero_vad): OpenVINO 2026.4's ONNX frontend cannot read its If over sr (see NotReadable).</summary>
    public const string Unreadable = "silero_vad";

    public static ModelUnderTest Get(string name, OpenVinoMode mode)
    {
        var m = ModelUnderTest.Get(name);
        m.Config.SetParameter("engine", "openvino");
        m.Config.SetParameter("openvino_mode", mode == OpenVinoMode.PerSlot ? "per_slot" : "batched");
        return m;
    }

    /// <summary>Every model both engines read: the ONNX Runtime suite's but <see cref="Unreadable"/>, and Silero v6 in its place.</summary>
    public static IEnumerable<string> Names =>
        ModelUnderTest.All.Cast<object[]>().Select(row => (string)row[0]).Where(n => n != Unreadable).Append("silero_vad_v6");

    /// <summary>Every model OpenVINO reads, in both modes.</summary>
    public static TheoryData<string, OpenVinoMode> All
    {
        get
        {
            var data = new TheoryData<string, OpenVinoMode>();
            foreach (var name in Names)
            {
                data.Add(name, OpenVinoMode.Batched);
                data.Add(name, OpenVinoMode.PerSlot);
            }
            return data;
        }
    }

    /// <summary><see cref="Names"/> as theory data.</summary>
    public static TheoryData<string> NamesData
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var name in Names) data.Add(name);
            return data;
        }
    }

    /// <summary>Both modes.</summary>
    public static TheoryData<OpenVinoMode> Modes => new() { OpenVinoMode.Batched, OpenVinoMode.PerSlot };
}
