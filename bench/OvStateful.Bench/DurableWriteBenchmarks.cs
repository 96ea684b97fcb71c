using BenchmarkDotNet.Attributes;
using OvStateful.Core.Engines;
using OvStateful.Core.State;

namespace OvStateful.Bench;

/// <summary>
/// What durable state adds to the engine thread per batch of B Silero steps: after Execute,
/// each slot's new state goes into its journal record in a memory-mapped file (begin stamp,
/// state, header, CRC-32C, end stamp). Once through the ORT engine's own CopySlotState (host
/// arena rows straight into the record), and once with a fixed state's bytes copied straight
/// in (the floor: the journal's own cost).
/// </summary>
public class DurableWriteBenchmarks
{
    private IStatefulEngine _engine = null!;
    private StepBatch _batch = null!;
    private SlotJournal _journal = null!;
    private string _file = null!;
    private readonly byte[] _state = new byte[1024];
    private long _stamp;

    [Params(256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_engine, _batch, _) = SileroEngine.Load(Batch);
        _engine.CopySlotState(0, _state);
        var layout = new StateRecordLayout(0, SlotStateBytes.Total(_engine.States));
        _file = Path.Combine(Path.GetTempPath(), $"ovs-durable-write-{Environment.ProcessId}.bin");
        _journal = new SlotJournal(MappedStateFile.Create(_file, SlotJournal.Bytes(layout, 1024)), layout, 1024);
    }

    [Benchmark(Baseline = true, Description = "engine Execute")]
    public void Execute() => _engine.Execute(_batch);

    [Benchmark(Description = "Execute + journal (engine CopySlotState)")]
    public void ExecuteAndJournal()
    {
        _engine.Execute(_batch);
        Journal();
    }

    [Benchmark(Description = "Execute + journal (state copied straight in)")]
    public void ExecuteAndJournalNative()
    {
        _engine.Execute(_batch);
        JournalStraight();
    }

    // The journal writes alone: small next to Execute, so measured apart too (the ratio above drowns in its noise).
    [Benchmark(Description = "journal only (engine CopySlotState)")]
    public void Journal()
    {
        var stamp = ++_stamp;
        for (var e = 0; e < _batch.Count; e++)
        {
            var slot = _batch.Slot(e);
            _engine.CopySlotState(slot, _journal.BeginWrite(slot, stamp));
            _journal.EndWrite(slot, stamp, _batch.SequenceId(e), stamp);
        }
    }

    [Benchmark(Description = "journal only (state copied straight in)")]
    public void JournalStraight()
    {
        var stamp = ++_stamp;
        for (var e = 0; e < _batch.Count; e++)
        {
            var slot = _batch.Slot(e);
            _state.CopyTo(_journal.BeginWrite(slot, stamp));
            _journal.EndWrite(slot, stamp, _batch.SequenceId(e), stamp);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _journal.Dispose();
        _engine.Dispose();
        File.Delete(_file);
    }
}
