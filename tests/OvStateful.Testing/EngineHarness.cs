using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;

namespace OvStateful.Testing;

/// <summary>Loads engines through a provider and runs batches, copying each entry's outputs out of the engine's memory.</summary>
public static class EngineHarness
{
    public static IStatefulEngine Load(IEngineProvider provider, ModelUnderTest m, int slots, ModelConfig? config = null) =>
        provider.Load(new EngineLoadContext(config ?? m.Config, Path.GetDirectoryName(m.ModelFile)!, m.ModelFile, slots));

    public sealed record Step(int Slot, StepFlags Flags, ulong Id, byte[][] Inputs);

    public static byte[][][] Run(IStatefulEngine engine, IReadOnlyList<Step> steps)
    {
        var batch = new StepBatch(Math.Max(steps.Count, 1), engine.Inputs.Count, engine.Outputs.Count);
        foreach (var s in steps)
        {
            var e = batch.Add(s.Slot, s.Flags, new SequenceId(s.Id));
            for (var k = 0; k < s.Inputs.Length; k++) batch.SetInput(e, k, s.Inputs[k]);
        }
        engine.Execute(batch);
        var result = new byte[steps.Count][][];
        for (var e = 0; e < steps.Count; e++)
        {
            result[e] = new byte[engine.Outputs.Count][];
            for (var o = 0; o < engine.Outputs.Count; o++) result[e][o] = batch.Output(e, o).ToArray();
        }
        return result;
    }
}
