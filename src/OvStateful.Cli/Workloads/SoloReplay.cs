using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Workloads;

/// <summary>
/// The reference for --verify: every sequence replayed alone on a fresh single-slot engine, one
/// step per Execute, no batcher. Batching must not change a sequence's outputs, so on CPU the
/// batched run and this replay agree exactly.
/// </summary>
internal static class SoloReplay
{
    public static RecordedOutputs Run(ModelTarget target, EngineChoice choice, IReadOnlyList<IEngineProvider> providers, IStepSource source, int sequences,
        Action<long>? stepDone = null)
    {
        var provider = providers.First(p => p.Name == choice.Provider);
        var recorded = new RecordedOutputs(source);
        using var engine = provider.Load(new EngineLoadContext(target.Config, target.Version.Directory, target.ModelFileFor(choice.Provider), 1, 0, choice.LoadDevice));
        var batch = new StepBatch(1, engine.Inputs.Count, engine.Outputs.Count);
        long done = 0;
        for (var s = 0; s < sequences; s++)
        {
            engine.ResetSlot(0);
            var steps = source.StepsOf(s);
            for (var k = 0; k < steps; k++)
            {
                var inputs = source.Step(s, k);
                batch.Clear();
                var flags = (k == 0 ? StepFlags.Start : StepFlags.None) | (k == steps - 1 ? StepFlags.End : StepFlags.None);
                var e = batch.Add(0, flags, new SequenceId((ulong)s + 1));
                for (var i = 0; i < engine.Inputs.Count; i++)
                {
                    var name = engine.Inputs[i].Name;
                    var tensor = inputs.FirstOrDefault(t => t.Name == name)
                        ?? throw new InvalidOperationException($"the workload has no input \"{name}\"");
                    batch.SetInput(e, i, tensor.Data);
                }
                engine.Execute(batch);
                var outputs = new Tensor[engine.Outputs.Count];
                var any = false;
                for (var o = 0; o < outputs.Length; o++)
                {
                    var spec = engine.Outputs[o];
                    // The engine owns the output memory until its next Execute: copy it out.
                    var data = batch.Output(e, o).ToArray();
                    any |= data.Length > 0;
                    outputs[o] = new Tensor(spec.Name, spec.DataType, (long[])spec.RequestShape.Clone(), data);
                }
                if (any) recorded.Set(s, k, outputs);
                stepDone?.Invoke(++done);
            }
        }
        return recorded;
    }
}
