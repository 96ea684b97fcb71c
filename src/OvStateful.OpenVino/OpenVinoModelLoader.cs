using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino;

/// <summary>A compiled model ready for infer requests, with the plan that says how to feed it.</summary>
/// <param name="DynamicVariables">Per plan state: its variable came from the model file with a dynamic shape, so
/// reset() cannot give a batch-1 value and a per-slot START must set zeros itself.</param>
internal sealed class CompiledStatefulModel(OvCore core, OvCompiledModel compiled, ModelPlan plan, bool[] dynamicVariables) : IDisposable
{
    public OvCore Core { get; } = core;
    public OvCompiledModel Compiled { get; } = compiled;
    public ModelPlan Plan { get; } = plan;
    public IReadOnlyList<bool> DynamicVariables { get; } = dynamicVariables;

    public void Dispose()
    {
        Compiled.Dispose();
        Core.Dispose();
    }
}

/// <summary>
/// Reads a model (ONNX or IR), plans it against its config, fixes every input's shape (batch
/// axis dynamic for batched mode, 1 for per-slot mode), turns its state pairs into variables
/// with ov::pass::MakeStateful unless it already has them, and compiles it.
/// </summary>
internal static class OpenVinoModelLoader
{
    public static CompiledStatefulModel Load(EngineLoadContext context, OpenVinoOptions options)
    {
        var name = context.Config.Name;
        var core = OvCore.Create();
        try
        {
            using var model = Read(core, context.ModelFile);
            var variables = model.Variables();
            var pairs = StatePairs.FromConfig(context.Config);
            var signature = new ModelFileSignature(model.Inputs, model.Outputs);
            if (variables.Count > 0) signature = StatePairs.WithVariables(signature, pairs, variables);
            var plan = ModelPlan.Build(context.Config, signature, context.VersionDirectory);
            if (OpenVinoEngineProvider.RefusesStrings(plan) is { } strings) throw new EngineException(strings);
            var unplanned = pairs.Where(p => !plan.States.Any(s => s.Spec.InputName == p.Input)).ToList();
            if (unplanned.Count > 0)
            {
                throw new EngineException($"model \"{name}\": state pair {string.Join(", ", unplanned.Select(p => $"<<<{p.Input}, {p.Output}>>>"))} matches neither a model input nor a variable of {context.ModelFile} (inputs: {string.Join(", ", model.Inputs.Select(i => i.Name))}; variables: {string.Join(", ", variables.Select(v => v.Name))})");
            }

            var batch = options.Mode == OpenVinoMode.PerSlot ? 1L : -1L;
            var reshape = TargetShapes(plan, model.Inputs, batch);
            if (reshape.Count > 0) Step(name, "reshape", () => model.Reshape(reshape));
            if (variables.Count == 0 && plan.States.Count > 0)
            {
                Step(name, "MakeStateful", () => model.MakeStateful(plan.States.Select(s => (s.Spec.InputName, s.Spec.OutputName)).ToArray()));
            }
            var compiled = Step(name, $"compile for {options.Device}", () => core.Compile(model, options.Device, options.Compile));
            var names = variables.Select(v => v.Name).ToArray();
            var dynamic = plan.States.Select(s =>
            {
                var v = StatePairs.FindVariable(names, s.Spec.InputName, s.Spec.OutputName);
                return v >= 0 && variables[v].Shape.Any(d => d < 0);
            }).ToArray();
            return new CompiledStatefulModel(core, compiled, plan, dynamic);
        }
        catch
        {
            core.Dispose();
            throw;
        }
    }

    /// <summary>Reads a model file, turning OpenVINO's error into one that names the file.</summary>
    public static OvModel Read(OvCore core, string modelFile)
    {
        if (!File.Exists(modelFile)) throw new EngineException($"model file {modelFile} does not exist");
        try
        {
            return core.ReadModel(modelFile);
        }
        catch (OpenVinoException e)
        {
            throw new EngineException($"OpenVINO cannot read model file {modelFile}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The shape each real model input must have: the plan's shape with the batch axis set to
    /// <paramref name="batch"/> (-1 = dynamic). Only inputs whose shape differs are listed, so a
    /// model that already fits is not reshaped at all.
    /// </summary>
    internal static List<(string Input, long[] Shape)> TargetShapes(ModelPlan plan, IReadOnlyList<ModelFileTensor> modelInputs, long batch)
    {
        var list = new List<(string, long[])>();
        foreach (var mi in modelInputs)
        {
            var target = TargetShape(plan, mi.Name, batch);
            if (target is not null && !target.AsSpan().SequenceEqual(mi.Shape)) list.Add((mi.Name, target));
        }
        return list;
    }

    private static long[]? TargetShape(ModelPlan plan, string input, long batch)
    {
        static long[] WithBatch(long[] shape, int axis, long batch)
        {
            var s = (long[])shape.Clone();
            if (axis >= 0) s[axis] = batch;
            return s;
        }
        foreach (var t in plan.Inputs) if (t.Name == input) return WithBatch(t.ModelShape, t.BatchAxis, batch);
        foreach (var s in plan.States) if (s.Spec.InputName == input) return WithBatch(s.Spec.ModelShape, s.Spec.BatchAxis, batch);
        foreach (var c in plan.Controls) if (c.Name == input) return WithBatch(c.ModelShape, c.BatchAxis, batch);
        foreach (var k in plan.Constants) if (k.Name == input) return k.Shape;
        return null;
    }

    private static void Step(string model, string what, Action action) => Step(model, what, () => { action(); return 0; });

    private static T Step<T>(string model, string what, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (OpenVinoException e)
        {
            throw new EngineException($"model \"{model}\": OpenVINO {what} failed: {e.Message}", e);
        }
    }
}
