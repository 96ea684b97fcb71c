using OvStateful.Core.Config;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Engines;

/// <summary>
/// The <c>input_context</c> parameter, for any engine: per slot it keeps the last N elements
/// (along the last axis) of what the model saw of an input, and feeds the model that context
/// followed by the step's new elements, the way Silero VAD's own wrapper prepends the previous
/// chunk's last 64 samples to each 512 new ones. Clients send only the new part (the config's
/// dims); the wrapped engine was planned with the longer input (<see cref="ModelPlan"/>). A
/// sequence starts with zeros. The context is per-slot state like any other: reset with the slot,
/// moved by export/import (a tensor named "input_context:&lt;input&gt;"), and changed only when a
/// batch succeeds.
/// </summary>
public sealed class InputContextEngine : IStatefulEngine
{
    /// <summary>Snapshot tensor name of an input's context.</summary>
    public static string StateName(string input) => "input_context:" + input;

    private readonly IStatefulEngine _inner;
    private readonly Context[] _contexts;
    // Reused for every batch: the wrapped engine's batch, whose context inputs point into Context.Staging.
    private readonly StepBatch _innerBatch;
    private readonly TensorSpec[] _inputs;
    private readonly StateSpec[] _states;

    /// <summary>
    /// One input with context. Invariants: InnerRowBytes = Rows × (Length + NewLength) × ElementSize;
    /// Saved holds SlotCount × Rows × Length elements (slot-major), the context each slot continues from.
    /// </summary>
    private sealed class Context
    {
        public required int Input { get; init; }
        public required string Name { get; init; }
        public required int ElementSize { get; init; }
        public required int Rows { get; init; }
        public required int Length { get; init; }
        public required int NewLength { get; init; }
        public required byte[] Saved { get; init; }
        // One inner row per batch entry: [context | new] per row of the last axis.
        public required byte[] Staging { get; init; }
        public required StateSpec Spec { get; init; }
        public int ContextBytes => Length * ElementSize;
        public int NewBytes => NewLength * ElementSize;
        public int SlotBytes => Rows * ContextBytes;
        public int OuterRowBytes => Rows * NewBytes;
        public int InnerRowBytes => Rows * (ContextBytes + NewBytes);
    }

    private InputContextEngine(IStatefulEngine inner, IReadOnlyList<InputContextDecl> decls)
    {
        _inner = inner;
        _inputs = [.. inner.Inputs];
        var contexts = new List<Context>();
        foreach (var d in decls)
        {
            var k = inner.Inputs.ToList().FindIndex(i => i.Name == d.InputName);
            if (k < 0) throw new EngineException($"model \"{inner.ModelName}\": input_context names \"{d.InputName}\", which is not a request input (inputs: {string.Join(", ", inner.Inputs.Select(i => i.Name))})");
            var spec = inner.Inputs[k];
            var shape = spec.RequestShape;
            var total = shape.Length == 0 ? 0 : shape[^1];
            if (total <= d.Length) throw new EngineException($"model \"{inner.ModelName}\": input \"{d.InputName}\" {Shapes.Format(shape)} is not longer than its input_context of {d.Length} along its last axis");
            var outerShape = Shapes.WithDimension(shape, shape.Length - 1, total - d.Length);
            // A new spec, not `with`: RequestBytes is computed once, at construction.
            _inputs[k] = new TensorSpec(spec.Name, spec.DataType, outerShape);
            var size = spec.DataType.ByteSize();
            var rows = checked((int)(Shapes.ElementCount(shape) / total));
            // Bookkeeping shape with one batch axis, as StateSpec wants: [-1, ..., Length].
            var stateShape = Shapes.WithDimension(Shapes.WithDimension(shape, shape.Length - 1, d.Length), 0, -1);
            contexts.Add(new Context
            {
                Input = k,
                Name = d.InputName,
                ElementSize = size,
                Rows = rows,
                Length = d.Length,
                NewLength = checked((int)(total - d.Length)),
                Saved = new byte[checked(inner.SlotCount * rows * d.Length * size)],
                Staging = GC.AllocateUninitializedArray<byte>(checked(inner.MaxBatchSize * spec.RequestBytes)),
                Spec = new StateSpec(StateName(d.InputName), StateName(d.InputName), spec.DataType, stateShape, 0),
            });
        }
        _contexts = [.. contexts];
        _states = [.. inner.States, .. _contexts.Select(c => c.Spec)];
        _innerBatch = new StepBatch(inner.MaxBatchSize, inner.Inputs.Count, inner.Outputs.Count);
    }

    /// <summary>The engine itself when the config has no input_context; otherwise the engine wrapped.</summary>
    public static IStatefulEngine Wrap(IStatefulEngine engine, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(engine);
        // Problems are ignored here: ModelPlan.Build read the same parameters and reported them.
        var decls = StatefulParameters.Read(config, new List<ValidationProblem>()).InputContexts;
        if (decls.Count == 0) return engine;
        try
        {
            return new InputContextEngine(engine, decls);
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    public string EngineName => _inner.EngineName;
    public string ModelName => _inner.ModelName;
    public int SlotCount => _inner.SlotCount;
    public int MaxBatchSize => _inner.MaxBatchSize;
    public IReadOnlyList<TensorSpec> Inputs => _inputs;
    public IReadOnlyList<TensorSpec> Outputs => _inner.Outputs;
    /// <summary>The wrapped engine's states, then one per input context.</summary>
    public IReadOnlyList<StateSpec> States => _states;

    /// <summary>The wrapped engine's, with the contexts counted in the state bytes.</summary>
    public EngineDescription Description => _inner.Description with { StateBytesPerSlot = _states.Sum(s => (long)s.SlotBytes) };

    /// <summary>The wrapped engine (for engine-specific questions such as the OpenVINO mode).</summary>
    public IStatefulEngine Inner => _inner;

    public void Execute(StepBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count > MaxBatchSize) throw new EngineException($"model \"{ModelName}\": a batch of {batch.Count} exceeds max_batch_size {MaxBatchSize}");
        // Everything is checked before anything is copied, so a bad entry fails the batch with no effect.
        for (var e = 0; e < batch.Count; e++)
        {
            var slot = batch.Slot(e);
            if ((uint)slot >= (uint)SlotCount) throw new EngineException($"model \"{ModelName}\": slot {slot} is outside 0..{SlotCount - 1}");
            foreach (var c in _contexts)
            {
                var got = batch.Input(e, c.Input).Length;
                if (got != c.OuterRowBytes)
                {
                    var spec = _inputs[c.Input];
                    throw new EngineException($"model \"{ModelName}\": input \"{c.Name}\" of sequence {batch.SequenceId(e)} has {got} bytes; {c.OuterRowBytes} expected ({spec.DataType.WireName()} {Shapes.Format(spec.RequestShape)})");
                }
            }
        }

        _innerBatch.Clear();
        for (var e = 0; e < batch.Count; e++)
        {
            var slot = batch.Slot(e);
            var fresh = (batch.Flags(e) & StepFlags.Start) != 0;
            var ie = _innerBatch.Add(slot, batch.Flags(e), batch.SequenceId(e));
            for (var k = 0; k < _inputs.Length; k++) _innerBatch.SetInput(ie, k, batch.Input(e, k));
            foreach (var c in _contexts)
            {
                var row = c.Staging.AsSpan(e * c.InnerRowBytes, c.InnerRowBytes);
                var saved = c.Saved.AsSpan(slot * c.SlotBytes, c.SlotBytes);
                var step = batch.Input(e, c.Input).Span;
                for (var r = 0; r < c.Rows; r++)
                {
                    var to = row.Slice(r * (c.ContextBytes + c.NewBytes), c.ContextBytes + c.NewBytes);
                    if (fresh) to[..c.ContextBytes].Clear();
                    else saved.Slice(r * c.ContextBytes, c.ContextBytes).CopyTo(to);
                    step.Slice(r * c.NewBytes, c.NewBytes).CopyTo(to[c.ContextBytes..]);
                }
                _innerBatch.SetInput(ie, c.Input, c.Staging.AsMemory(e * c.InnerRowBytes, c.InnerRowBytes));
            }
        }

        _inner.Execute(_innerBatch); // throws: no slot's state (nor context) changed

        for (var e = 0; e < batch.Count; e++)
        {
            var slot = batch.Slot(e);
            foreach (var c in _contexts)
            {
                // The last Length elements the model saw become the next step's context.
                var row = c.Staging.AsSpan(e * c.InnerRowBytes, c.InnerRowBytes);
                var saved = c.Saved.AsSpan(slot * c.SlotBytes, c.SlotBytes);
                var width = c.ContextBytes + c.NewBytes;
                for (var r = 0; r < c.Rows; r++) row.Slice(r * width + c.NewBytes, c.ContextBytes).CopyTo(saved[(r * c.ContextBytes)..]);
            }
            for (var o = 0; o < Outputs.Count; o++) batch.SetOutput(e, o, _innerBatch.Output(e, o));
        }
    }

    public void ResetSlot(int slot)
    {
        _inner.ResetSlot(slot);
        foreach (var c in _contexts) c.Saved.AsSpan(slot * c.SlotBytes, c.SlotBytes).Clear();
    }

    public SlotSnapshot ExportSlot(int slot)
    {
        var inner = _inner.ExportSlot(slot);
        var tensors = inner.States.ToList();
        foreach (var c in _contexts)
        {
            tensors.Add(new Tensor(c.Spec.InputName, c.Spec.DataType, c.Spec.SlotShape, c.Saved.AsSpan(slot * c.SlotBytes, c.SlotBytes).ToArray()));
        }
        return new SlotSnapshot(tensors);
    }

    public void ImportSlot(int slot, SlotSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if ((uint)slot >= (uint)SlotCount) throw new EngineException($"model \"{ModelName}\": slot {slot} is outside 0..{SlotCount - 1}");
        var rows = new ReadOnlyMemory<byte>[_contexts.Length];
        for (var i = 0; i < _contexts.Length; i++)
        {
            var c = _contexts[i];
            var t = snapshot.States.FirstOrDefault(s => s.Name == c.Spec.InputName)
                ?? throw new EngineException($"model \"{ModelName}\": cannot import into slot {slot}: the snapshot has no {c.Spec.InputName}; it holds {string.Join(", ", snapshot.States.Select(s => s.Name))}");
            if (t.DataType != c.Spec.DataType || t.Data.Length != c.SlotBytes)
            {
                throw new EngineException($"model \"{ModelName}\": cannot import into slot {slot}: {c.Spec.InputName} is {t.DataType.WireName()} {Shapes.Format(t.Shape)} ({t.Data.Length} bytes); {c.Spec.DataType.WireName()} {Shapes.Format(c.Spec.SlotShape)} ({c.SlotBytes} bytes) expected");
            }
            rows[i] = t.Data;
        }
        // The wrapped engine checks and takes its own states first; the contexts change only when it did.
        _inner.ImportSlot(slot, new SlotSnapshot(snapshot.States.Where(s => !_contexts.Any(c => c.Spec.InputName == s.Name)).ToArray()));
        for (var i = 0; i < _contexts.Length; i++) rows[i].Span.CopyTo(_contexts[i].Saved.AsSpan(slot * _contexts[i].SlotBytes));
    }

    public void Dispose() => _inner.Dispose();
}
