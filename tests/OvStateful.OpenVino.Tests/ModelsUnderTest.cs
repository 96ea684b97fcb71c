using OvStateful.Core.Config;

namespace OvStateful.OpenVino.Tests;

/// <summary>The ONNX Runtime suite's real models, configured for the OpenVINO engine in one state mode.</summary>
internal static class OpenVinoModels
{
    public static ModelUnderTest Get(string name, OpenVinoMode mode)
    {
        var m = ModelUnderTest.Get(name);
        m.Config.SetParameter("engine", "openvino");
        m.Config.SetParameter("openvino_mode", mode == OpenVinoMode.PerSlot ? "per_slot" : "batched");
        return m;
    }

    /// <summary>Every model in both modes.</summary>
    public static TheoryData<string, OpenVinoMode> All
    {
        get
        {
            var data = new TheoryData<string, OpenVinoMode>();
            foreach (var name in ModelUnderTest.All)
            {
                data.Add(name, OpenVinoMode.Batched);
                data.Add(name, OpenVinoMode.PerSlot);
            }
            return data;
        }
    }
}
