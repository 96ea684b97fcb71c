using OvStateful.Core.Engines;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino;

/// <summary>
/// One infer request of batched mode with what it needs per step: the port and variable index of
/// each plan input, control, output and state, and which slots' states its variables hold.
/// Batched mode has one lane on the dynamic-batch compilation and, for one-row batches, one on a
/// static batch-1 compilation (static shapes run Silero about twice as fast at batch 1).
/// </summary>
internal sealed unsafe class BatchLane : IDisposable
{
    /// <param name="constants">Pinned bytes of each plan constant; they must outlive the lane.</param>
    public BatchLane(string model, ModelPlan plan, OvCompiledModel compiled, byte[][] constants)
    {
        InputPorts = plan.Inputs.Select(t => StepFeeds.Port(model, compiled, t.Name, output: false)).ToArray();
        ControlPorts = plan.Controls.Select(c => StepFeeds.Port(model, compiled, c.Name, output: false)).ToArray();
        OutputPorts = plan.Outputs.Select(t => StepFeeds.Port(model, compiled, t.Name, output: true)).ToArray();
        Held = new int[plan.MaxBatchSize];
        Request = compiled.CreateInferRequest();
        try
        {
            StateVariables = StatePairs.MapStates(model, plan.States.Select(s => s.Spec).ToArray(), Request.StateNames);
            for (var k = 0; k < plan.Constants.Count; k++)
            {
                var c = plan.Constants[k];
                Request.SetInput(StepFeeds.Port(model, compiled, c.Name, output: false), c.DataType, c.Shape, StepFeeds.Address(constants[k]));
            }
        }
        catch
        {
            Request.Dispose();
            throw;
        }
    }

    public OvInferRequest Request { get; }
    public int[] InputPorts { get; }
    public int[] ControlPorts { get; }
    public int[] OutputPorts { get; }
    /// <summary>Per plan state: its variable's index in <see cref="Request"/> (query_state order, mapped by name).</summary>
    public int[] StateVariables { get; }

    // Held[0..HeldCount-1]: the slots whose states the variables hold, in batch order, those of this
    // lane's last successful run. HeldCount = -1 when unknown (before the first run, after a
    // failure, after a reset or import of any slot).
    private int[] Held { get; }
    private int HeldCount { get; set; } = -1;

    /// <summary>Whether the variables already hold exactly these slots' states (same order) and none starts over.</summary>
    public bool Holds(ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial) =>
        HeldCount == slots.Length && slots.SequenceEqual(Held.AsSpan(0, HeldCount)) && !fromInitial.Contains(true);

    /// <summary>After a successful run: the variables hold these slots' new states.</summary>
    public void Hold(ReadOnlySpan<int> slots)
    {
        slots.CopyTo(Held);
        HeldCount = slots.Length;
    }

    public void Forget() => HeldCount = -1;

    public void Dispose() => Request.Dispose();
}
