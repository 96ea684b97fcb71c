using BenchmarkDotNet.Attributes;
using OvStateful.Core.Engines;
using OvStateful.Core.State;
using OvStateful.Core.Tensors;

namespace OvStateful.Bench;

/// <summary>
/// Gather + scatter of Silero VAD's state ([2, B, 128] fp32, batch axis 1) for a batch of
/// scattered slots, against a plain memcpy of the same bytes there and back.
/// </summary>
public class ArenaBenchmarks
{
    private HostStateArena _arena = null!;
    private int[] _slots = null!;
    private bool[] _fromInitial = null!;
    private byte[] _batch = null!;
    private byte[] _source = null!;

    [Params(16, 64, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var spec = new StateSpec("state", "stateN", DataType.Fp32, [2, -1, 128], 1);
        const int slots = 1024;
        _arena = new HostStateArena([spec], slots);
        for (var s = 0; s < slots; s++) _arena.WritableRow(0, s).Fill((byte)s);
        var r = new Random(1);
        _slots = Enumerable.Range(0, slots).OrderBy(_ => r.Next()).Take(Batch).ToArray();
        _fromInitial = new bool[Batch];
        _batch = new byte[spec.SlotBytes * Batch];
        _source = new byte[spec.SlotBytes * Batch];
    }

    [Benchmark(Baseline = true, Description = "memcpy there and back")]
    public void Memcpy()
    {
        _source.AsSpan().CopyTo(_batch);
        _batch.AsSpan().CopyTo(_source);
    }

    [Benchmark(Description = "gather + scatter (axis 1)")]
    public void GatherScatter()
    {
        _arena.Gather(0, _slots, _fromInitial, _batch, Batch);
        _arena.Scatter(0, _slots, _batch, Batch);
    }
}
