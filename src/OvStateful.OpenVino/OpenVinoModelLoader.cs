using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino;

/// <summary>A compiled model ready for infer requests, with the plan that says how to feed it.</summary>
/// <param name="StartRows">Per plan state: the row a sequence starts from (the config's initial_state, else the
/// model's own constant initial value), or null for zeros.</param>
/// <param name="ComputedInitial">Per plan state: the model computes the initial value from its inputs and the config gives
/// none, so only the plugin's reset() produces it (per-slot mode).</param>
/// <param name="Precision">The inference precision the device runs at (INFERENCE_PRECISION_HINT as compiled), or "?" when the device does not say.</param>
/// <param name="Threads">INFERENCE_NUM_THREADS as compiled ("0" = the device decides), or "?".</param>
/// <param name="Single">Batched mode's batch-1 compilation for one-row batches, or null.</param>
/// <param name="ExecutionDevices">EXECUTION_DEVICES as compiled (the device AUTO chose), or "?".</param>
internal sealed class CompiledStatefulModel(OvCore core, OvCompiledModel compiled, OvCompiledModel? single, ModelPlan plan, byte[]?[] startRows, bool[] computedInitial,
    string precision, string threads, string executionDevices) : IDisposable
{
    public string ExecutionDevices { get; } = executionDevices;
    public OvCore Core { get; } = core;
    public OvCompiledModel Compiled { get; } = compiled;
    public OvCompiledModel? Single { get; } = single;
    public ModelPlan Plan { get; } = plan;
    public IReadOnlyList<byte[]?> StartRows { get; } = startRows;
    public IReadOnlyList<bool> ComputedInitial { get; } = computedInitial;
    public string Precision { get; } = precision;
    public string Threads { get; } = threads;

    public void Dispose()
    {
        Single?.Dispose();
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

            var (startRows, computed) = variables.Count > 0
                ? ModelInitialValues(core, context.ModelFile, plan, variables, options.Mode)
                : (plan.States.Select(s => s.InitialRow).ToArray(), new bool[plan.States.Count]);

            var perSlot = options.Mode == OpenVinoMode.PerSlot;
            var compiled = CompileFor(core, model, plan, variables.Count > 0, perSlot ? 1 : -1, name, options);
            OvCompiledModel? single = null;
            try
            {
                // Batched mode runs one-row batches on a static batch-1 copy: static shapes are faster there.
                if (!perSlot && options.StaticBatch1 && plan.MaxBatchSize > 1)
                {
                    using var copy = Read(core, context.ModelFile);
                    single = CompileFor(core, copy, plan, variables.Count > 0, 1, name, options);
                }
                return new CompiledStatefulModel(core, compiled, single, plan, startRows, computed,
                    PropertyOrUnknown(compiled, "INFERENCE_PRECISION_HINT"), PropertyOrUnknown(compiled, "INFERENCE_NUM_THREADS"),
                    PropertyOrUnknown(compiled, "EXECUTION_DEVICES"));
            }
            catch
            {
                single?.Dispose();
                compiled.Dispose();
                throw;
            }
        }
        catch
        {
            core.Dispose();
            throw;
        }
    }

    /// <summary>Reshapes the model for <paramref name="batch"/> (-1 = dynamic), makes its state pairs variables unless it has them, compiles.</summary>
    private static OvCompiledModel CompileFor(OvCore core, OvModel model, ModelPlan plan, bool hasVariables, long batch, string name, OpenVinoOptions options)
    {
        var reshape = TargetShapes(plan, model.Inputs, batch);
        if (reshape.Count > 0) Step(name, "reshape", () => model.Reshape(reshape));
        if (!hasVariables && plan.States.Count > 0)
        {
            Step(name, "MakeStateful", () => model.MakeStateful(plan.States.Select(s => (s.Spec.InputName, s.Spec.OutputName)).ToArray()));
        }
        return Compile(core, model, name, options);
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
        foreach (var t in plan.Inputs) if (t.Name == input) return Shapes.WithDimension(t.ModelShape, t.BatchAxis, batch);
        foreach (var s in plan.States) if (s.Spec.InputName == input) return Shapes.WithDimension(s.Spec.ModelShape, s.Spec.BatchAxis, batch);
        foreach (var c in plan.Controls) if (c.Name == input) return Shapes.WithDimension(c.ModelShape, c.BatchAxis, batch);
        foreach (var k in plan.Constants) if (k.Name == input) return k.Shape;
        return null;
    }

    /// <summary>
    /// Where each state of a model that already has variables (a stateful IR) starts: the config's
    /// initial_state wins; else the variable's own initializer, constant-folded on a copy reshaped
    /// to batch 1 (so initializers built from shapes fold too); else zeros. An initializer that
    /// still depends on model inputs can only be computed by the plugin's reset(), which batched
    /// mode never uses (it sets every slot's state itself), so batched mode refuses such a model.
    /// </summary>
    private static (byte[]?[] Rows, bool[] Computed) ModelInitialValues(OvCore core, string modelFile, ModelPlan plan,
        IReadOnlyList<ModelFileTensor> variables, OpenVinoMode mode)
    {
        var rows = plan.States.Select(s => s.InitialRow).ToArray();
        var computed = new bool[rows.Length];
        var name = plan.ModelName;
        using var probe = Read(core, modelFile);
        var reshape = TargetShapes(plan, probe.Inputs, 1);
        if (reshape.Count > 0) Step(name, "reshape to batch 1 (initial values)", () => probe.Reshape(reshape));
        var names = variables.Select(v => v.Name).ToArray();
        for (var s = 0; s < rows.Length; s++)
        {
            if (rows[s] is not null) continue;
            var spec = plan.States[s].Spec;
            var v = StatePairs.FindVariable(names, spec.InputName, spec.OutputName);
            if (v < 0) continue;
            var isComputed = false;
            var initial = Step(name, $"initial value of variable {names[v]}", () => probe.VariableInitial(v, out isComputed));
            if (initial is not null)
            {
                if (initial.DataType != spec.DataType || initial.Data.Length != spec.SlotBytes)
                {
                    throw new EngineException($"model \"{name}\": variable {names[v]} starts from a constant {initial.DataType.WireName()} {Shapes.Format(initial.Shape)}, which is not one slot's state ({spec.DataType.WireName()} {Shapes.Format(spec.SlotShape)}); give initial_state in the config");
                }
                rows[s] = initial.Data.ToArray();
            }
            else if (isComputed)
            {
                if (mode == OpenVinoMode.Batched)
                {
                    throw new EngineException($"model \"{name}\": variable {names[v]}'s initial value is computed from the model's inputs, which batched mode cannot do per slot; use openvino_mode per_slot, or give initial_state in the config");
                }
                computed[s] = true;
            }
        }
        return (rows, computed);
    }

    /// <summary>Compiles; a device OpenVINO does not have is reported with the devices it has.</summary>
    private static OvCompiledModel Compile(OvCore core, OvModel model, string name, OpenVinoOptions options)
    {
        try
        {
            return core.Compile(model, options.Device, options.Compile);
        }
        catch (OpenVinoException e)
        {
            IReadOnlyList<string> devices;
            try { devices = core.AvailableDevices(); }
            catch (OpenVinoException) { devices = []; }
            if (IsMissing(options.Device, devices))
            {
                throw new EngineException($"model \"{name}\": OpenVINO device {options.Device} is not available here; OpenVINO sees {(devices.Count == 0 ? "no device" : string.Join(", ", devices))} (GPU needs an Intel GPU, its driver and OpenVINO's intel_gpu plugin; see docs/openvino.md)", e);
            }
            throw new EngineException($"model \"{name}\": OpenVINO compile for {options.Device} failed: {e.Message}", e);
        }
    }

    /// <summary>Whether a physical device (CPU, GPU, GPU.1, NPU) is absent from what OpenVINO sees; virtual ones (AUTO, HETERO:..., MULTI:...) never are.</summary>
    internal static bool IsMissing(string device, IReadOnlyList<string> available)
    {
        var head = device.Split('.', ':')[0];
        if (head is "AUTO" or "HETERO" or "MULTI" or "BATCH") return false;
        return device.Contains('.') ? !available.Contains(device) : !available.Any(d => d.Split('.')[0] == head);
    }

    private static string PropertyOrUnknown(OvCompiledModel compiled, string property)
    {
        try { return compiled.Property(property); }
        catch (OpenVinoException) { return "?"; }
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
