using OvStateful.Core.Engines;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino;

/// <summary>Loads models into <see cref="OpenVinoEngine"/>s; reports whether the OpenVINO runtime and the shim are present.</summary>
public sealed class OpenVinoEngineProvider : IEngineProvider
{
    private readonly OpenVinoProviderOptions _options;

    /// <param name="options">Host-wide defaults (threads); null = OpenVINO's own.</param>
    public OpenVinoEngineProvider(OpenVinoProviderOptions? options = null) => _options = options ?? new OpenVinoProviderOptions();

    public string Name => "openvino";

    /// <summary>
    /// Available with the OpenVINO version and folder in use (also as <see cref="EngineAvailability.RuntimeVersion"/> and
    /// <see cref="EngineAvailability.RuntimeLocation"/>); unavailable with one line (what was looked for where, how to install)
    /// when the shim or OpenVINO is missing.
    /// </summary>
    public EngineAvailability Availability => ShimLibrary.Availability;

    public ModelFileSignature Inspect(string modelFile)
    {
        using var core = OvCore.Create();
        using var model = OpenVinoModelLoader.Read(core, modelFile);
        return new ModelFileSignature(model.Inputs, model.Outputs);
    }

    public string? Refuses(ModelPlan plan) => RefusesStrings(plan);

    /// <summary>
    /// OpenVINO does not take string (BYTES) tensors for these models: a plan with one is refused,
    /// naming them (the model loader checks the same before compiling).
    /// </summary>
    internal static string? RefusesStrings(ModelPlan plan)
    {
        var strings = new List<string>();
        foreach (var t in plan.Inputs) if (t.DataType == Core.Tensors.DataType.String) strings.Add($"input \"{t.Name}\"");
        foreach (var t in plan.Outputs) if (t.DataType == Core.Tensors.DataType.String) strings.Add($"output \"{t.Name}\"");
        foreach (var c in plan.Controls) if (c.DataType == Core.Tensors.DataType.String) strings.Add($"control input \"{c.Name}\"");
        return strings.Count == 0 ? null
            : $"model \"{plan.ModelName}\": the OpenVINO engine does not support BYTES (TYPE_STRING) tensors ({string.Join(", ", strings)}); serve this model with engine onnxruntime";
    }

    public IStatefulEngine Load(EngineLoadContext context)
    {
        var options = OpenVinoOptions.FromConfig(context.Config, context.Device, _options);
        var model = OpenVinoModelLoader.Load(context, options);
        OpenVinoEngine engine;
        try
        {
            engine = new OpenVinoEngine(model, options, context.SlotCount);
        }
        catch (OpenVinoException e)
        {
            model.Dispose();
            throw new EngineException($"model \"{context.Config.Name}\": OpenVINO infer requests could not be created: {e.Message}", e);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return InputContextEngine.Wrap(engine, context.Config);
    }
}
