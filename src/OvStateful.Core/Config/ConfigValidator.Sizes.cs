using OvStateful.Core.Tensors;

namespace OvStateful.Core.Config;

// Sizes that cannot be served are located config errors here, before anything is allocated:
// a tensor, batch or state arena must fit the 2 GiB a .NET array (and ORT's int sizes) holds,
// and slot and instance counts must be ones a server can hold, so `ovs serve` fails that one
// model with the reason instead of an overflow (it once exited at start-up naming no model).
public static partial class ConfigValidator
{
    /// <summary>Bytes one tensor, one batched tensor or one state's slots may take: what one .NET array holds.</summary>
    public const long MaxTensorBytes = 0x7FFFFFC7; // Array.MaxLength
    /// <summary>Slots (live sequences) one model may hold; each costs a slot record and its state.</summary>
    public const long MaxSlots = 1 << 24;
    /// <summary>Instances of one model (an engine and a thread each).</summary>
    public const int MaxInstances = 1024;

    private static void CheckSizes(ModelConfig c, StatefulParameters p, List<ValidationProblem> problems)
    {
        var batch = Math.Max(1L, c.MaxBatchSize);
        for (var i = 0; i < c.Input.Count; i++) CheckTensorBytes($"input[{i}].dims", c.Input[i].Dims, c.Input[i].DataType.ToTensorType(), batch, problems);
        for (var i = 0; i < c.Output.Count; i++) CheckTensorBytes($"output[{i}].dims", c.Output[i].Dims, c.Output[i].DataType.ToTensorType(), batch, problems);

        long instances = 0;
        foreach (var g in c.InstanceGroup) instances += Math.Max(0, g.Count);
        if (instances > MaxInstances) Add(problems, "instance_group", $"{instances} instances in all; a model is served by at most {MaxInstances}");
        instances = Math.Max(1, instances);

        if (c.SequenceBatching is not { } sb) return;
        // Slots as the batcher counts them: oldest = max_candidate_sequences (default max_batch_size per instance); direct = max_batch_size per instance.
        var candidates = sb.Oldest is { MaxCandidateSequences: > 0 } o ? o.MaxCandidateSequences : batch * instances;
        var slots = sb.Oldest is not null ? candidates : batch * instances;
        var where = sb.Oldest is { MaxCandidateSequences: > 0 } ? "sequence_batching.oldest.max_candidate_sequences" : "max_batch_size";
        if (slots > MaxSlots)
        {
            Add(problems, where, $"gives {slots} slots; a model holds at most {MaxSlots} live sequences");
            return;
        }
        foreach (var s in p.StatePairs)
        {
            if (s.Dims is not { Count: > 0 } dims || s.DataType is not { } type || type is DataType.Invalid or DataType.String || dims.Any(d => d == 0 || d < -1)) continue;
            var slot = Bytes(dims.Where(d => d > 0), type);
            var perInstance = (slots + instances - 1) / instances;
            if (slot is null || slot.Value > MaxTensorBytes / Math.Max(1, perInstance))
            {
                Add(problems, $"{s.Location}.dims", $"{ConfigShapes.Format(dims)} of {type.ConfigName()} for {perInstance} slots is {(slot is null ? "beyond any count" : $"{(double)slot.Value * perInstance:0} bytes")}; one instance's states of one pair must stay under {MaxTensorBytes} bytes");
            }
        }
    }

    /// <summary>One request's tensor (dims without the -1s) and a batch of <paramref name="batch"/> of them must fit an array.</summary>
    private static void CheckTensorBytes(string loc, IReadOnlyList<long> dims, DataType type, long batch, List<ValidationProblem> problems)
    {
        if (type is DataType.Invalid or DataType.String || dims.Any(d => d == 0 || d < -1)) return;
        var bytes = Bytes(dims.Where(d => d > 0), type);
        if (bytes is null || bytes.Value > MaxTensorBytes)
        {
            Add(problems, loc, $"{ConfigShapes.Format(dims)} of {type.ConfigName()} is {(bytes is null ? "beyond any count of" : $"{bytes.Value}")} bytes per request; a tensor must stay under {MaxTensorBytes} bytes");
        }
        else if (bytes.Value > MaxTensorBytes / batch)
        {
            Add(problems, loc, $"{ConfigShapes.Format(dims)} of {type.ConfigName()} is {bytes.Value} bytes per request, {(double)bytes.Value * batch:0} for a batch of max_batch_size {batch}; a batched tensor must stay under {MaxTensorBytes} bytes");
        }
    }

    /// <summary>Element count × element size, or null past long's range.</summary>
    private static long? Bytes(IEnumerable<long> dims, DataType type)
    {
        long n = type.ByteSize();
        foreach (var d in dims)
        {
            if (n > long.MaxValue / d) return null;
            n *= d;
        }
        return n;
    }
}
