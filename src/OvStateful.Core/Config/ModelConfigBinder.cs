using OvStateful.Core.Config.TextFormat;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Config;

/// <summary>
/// Turns a schema-checked <see cref="TextMessage"/> of Triton's ModelConfig into the typed
/// <see cref="ModelConfig"/>, applying Triton's defaults where a field is absent. Fields of
/// model_config.proto that ModelConfig does not model were checked by the parser and are
/// ignored here. The parser has already checked every name, type and range, so binding cannot fail.
/// </summary>
internal static class ModelConfigBinder
{
    public static ModelConfig Bind(TextMessage m)
    {
        var c = new ModelConfig();
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                case "name": c.Name = Str(f); break;
                case "platform": c.Platform = Str(f); break;
                case "backend": c.Backend = Str(f); break;
                case "max_batch_size": c.MaxBatchSize = (int)I64(f); break;
                case "input": c.Input.Add(BindInput(Msg(f))); break;
                case "output": c.Output.Add(BindOutput(Msg(f))); break;
                case "sequence_batching": c.SequenceBatching = BindSequenceBatching(Msg(f)); break;
                case "dynamic_batching": c.DynamicBatching = BindDynamicBatching(Msg(f)); break;
                case "instance_group": c.InstanceGroup.Add(BindInstanceGroup(Msg(f))); break;
                case "version_policy": c.VersionPolicy = BindVersionPolicy(Msg(f)); break;
                case "model_warmup": c.ModelWarmup.Add(BindWarmup(Msg(f))); break;
                case "default_model_filename": c.DefaultModelFilename = Str(f); break;
                case "parameters":
                {
                    var (key, value) = MapEntry(Msg(f));
                    var text = "";
                    if (value is not null)
                    {
                        foreach (var p in value.Fields) text = Str(p); // string_value is its only field
                    }
                    // As with any protobuf map, a key given twice keeps its last value.
                    c.Parameters[key] = text;
                    break;
                }
            }
        }
        return c;
    }

    private static ModelInput BindInput(TextMessage m)
    {
        var x = new ModelInput();
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                case "name": x.Name = Str(f); break;
                case "data_type": x.DataType = Type(f); break;
                case "dims": x.Dims.Add(I64(f)); break;
                case "reshape": x.Reshape = BindReshape(Msg(f)); break;
                case "optional": x.Optional = (bool)f.Value; break;
            }
        }
        return x;
    }

    private static ModelOutput BindOutput(TextMessage m)
    {
        var x = new ModelOutput();
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                case "name": x.Name = Str(f); break;
                case "data_type": x.DataType = Type(f); break;
                case "dims": x.Dims.Add(I64(f)); break;
                case "reshape": x.Reshape = BindReshape(Msg(f)); break;
                case "label_filename": x.LabelFilename = Str(f); break;
            }
        }
        return x;
    }

    private static ModelTensorReshape BindReshape(TextMessage m)
    {
        var x = new ModelTensorReshape();
        foreach (var f in m.Fields) x.Shape.Add(I64(f));
        return x;
    }

    private static SequenceBatching BindSequenceBatching(TextMessage m)
    {
        var x = new SequenceBatching();
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                // Triton normalizes an absent or 0 idle time to 1 second.
                case "max_sequence_idle_microseconds":
                    var idle = U64(f);
                    x.MaxSequenceIdleMicroseconds = idle == 0 ? 1_000_000 : idle;
                    break;
                case "direct": x.Direct = BindDirect(Msg(f)); break;
                case "oldest": x.Oldest = BindOldest(Msg(f)); break;
                case "control_input": x.ControlInput.Add(BindControlInput(Msg(f))); break;
                case "state": x.State.Add(BindState(Msg(f))); break;
                case "iterative_sequence": x.IterativeSequence = (bool)f.Value; break;
            }
        }
        return x;
    }

    private static StrategyDirect BindDirect(TextMessage m)
    {
        var x = new StrategyDirect();
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                case "max_queue_delay_microseconds": x.MaxQueueDelayMicroseconds = U64(f); break;
                case "minimum_slot_utilization": x.MinimumSlotUtilization = (float)(double)f.Value; break;
            }
        }
        return x;
    }

    private static StrategyOldest BindOldest(TextMessage m)
    {
        var x = new StrategyOldest();
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                // 0 stays 0: Triton then uses max(1, max_batch_size) slots (see ModelConfigDefaults).
                case "max_candidate_sequences": x.MaxCandidateSequences = (int)I64(f); break;
                case "preferred_batch_size": x.PreferredBatchSize.Add((int)I64(f)); break;
                case "max_queue_delay_microseconds": x.MaxQueueDelayMicroseconds = U64(f); break;
                case "preserve_ordering": x.PreserveOrdering = (bool)f.Value; break;
            }
        }
        return x;
    }

    private static ControlInput BindControlInput(TextMessage m)
    {
        var x = new ControlInput();
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                case "name": x.Name = Str(f); break;
                case "control": x.Control.Add(BindControl(Msg(f))); break;
            }
        }
        return x;
    }

    private static Control BindControl(TextMessage m)
    {
        var x = new Control();
        var hasDataType = false;
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                case "kind": x.Kind = ControlKindOf(Str(f)); break;
                case "int32_false_true": x.Int32FalseTrue.Add((int)I64(f)); break;
                case "fp32_false_true": x.Fp32FalseTrue.Add((float)(double)f.Value); break;
                case "bool_false_true": x.BoolFalseTrue.Add((bool)f.Value); break;
                case "data_type": x.DataType = Type(f); hasDataType = true; break;
            }
        }
        // A correlation-id control without data_type carries uint64 ids.
        if (x.Kind == ControlKind.SequenceCorrid && !hasDataType) x.DataType = DataType.UInt64;
        return x;
    }

    private static SequenceState BindState(TextMessage m)
    {
        var x = new SequenceState();
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                case "input_name": x.InputName = Str(f); break;
                case "output_name": x.OutputName = Str(f); break;
                case "data_type": x.DataType = Type(f); break;
                case "dims": x.Dims.Add(I64(f)); break;
                case "initial_state": x.InitialState.Add(BindInitialState(Msg(f))); break;
            }
        }
        return x;
    }

    private static InitialState BindInitialState(TextMessage m)
    {
        var x = new InitialState();
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                case "data_type": x.DataType = Type(f); break;
                case "dims": x.Dims.Add(I64(f)); break;
                case "zero_data": x.ZeroData = (bool)f.Value; break;
                case "data_file": x.DataFile = Str(f); break;
                case "name": x.Name = Str(f); break;
            }
        }
        return x;
    }

    private static DynamicBatching BindDynamicBatching(TextMessage m)
    {
        var x = new DynamicBatching();
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                case "preferred_batch_size": x.PreferredBatchSize.Add((int)I64(f)); break;
                case "max_queue_delay_microseconds": x.MaxQueueDelayMicroseconds = U64(f); break;
                case "preserve_ordering": x.PreserveOrdering = (bool)f.Value; break;
            }
        }
        return x;
    }

    private static InstanceGroup BindInstanceGroup(TextMessage m)
    {
        // Count keeps its class default (1) when absent; an explicit value is kept for validation.
        var x = new InstanceGroup();
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                case "name": x.Name = Str(f); break;
                case "kind": x.Kind = InstanceKindOf(Str(f)); break;
                case "count": x.Count = (int)I64(f); break;
                case "gpus": x.Gpus.Add((int)I64(f)); break;
            }
        }
        return x;
    }

    private static VersionPolicy BindVersionPolicy(TextMessage m)
    {
        var x = new VersionPolicy();
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                case "latest":
                    x.Kind = VersionPolicyKind.Latest;
                    foreach (var n in Msg(f).Fields) x.NumVersions = (int)Math.Min(U64(n), int.MaxValue);
                    break;
                case "all":
                    x.Kind = VersionPolicyKind.All;
                    break;
                case "specific":
                    x.Kind = VersionPolicyKind.Specific;
                    foreach (var v in Msg(f).Fields) x.Versions.Add(I64(v));
                    break;
            }
        }
        return x;
    }

    private static ModelWarmup BindWarmup(TextMessage m)
    {
        var x = new ModelWarmup();
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                case "name": x.Name = Str(f); break;
                case "batch_size": x.BatchSize = (int)Math.Min(U64(f), int.MaxValue); break;
                case "count": x.Count = (int)Math.Min(U64(f), int.MaxValue); break;
                case "inputs":
                {
                    var (key, value) = MapEntry(Msg(f));
                    x.Inputs[key] = value is null ? new WarmupInput() : BindWarmupInput(value);
                    break;
                }
            }
        }
        return x;
    }

    private static WarmupInput BindWarmupInput(TextMessage m)
    {
        var x = new WarmupInput();
        foreach (var f in m.Fields)
        {
            switch (f.Field.Name)
            {
                case "data_type": x.DataType = Type(f); break;
                case "dims": x.Dims.Add(I64(f)); break;
                case "zero_data": x.ZeroData = (bool)f.Value; break;
                case "random_data": x.RandomData = (bool)f.Value; break;
                case "input_data_file": x.InputDataFile = Str(f); break;
            }
        }
        return x;
    }

    /// <summary>A map entry's key ("" when absent, as in protobuf) and its message value (null when absent).</summary>
    private static (string Key, TextMessage? Value) MapEntry(TextMessage entry)
    {
        var key = "";
        TextMessage? value = null;
        foreach (var f in entry.Fields)
        {
            if (f.Field.Name == "key") key = Str(f);
            else value = Msg(f);
        }
        return (key, value);
    }

    private static string Str(TextField f) => (string)f.Value;
    private static long I64(TextField f) => f.Value is ulong u ? (long)Math.Min(u, long.MaxValue) : (long)f.Value;
    private static ulong U64(TextField f) => (ulong)f.Value;
    private static TextMessage Msg(TextField f) => (TextMessage)f.Value;

    private static DataType Type(TextField f) => DataTypes.TryParseConfig(Str(f), out var t) ? t : DataType.Invalid;

    internal static ControlKind ControlKindOf(string name) => name switch
    {
        "CONTROL_SEQUENCE_READY" => ControlKind.SequenceReady,
        "CONTROL_SEQUENCE_END" => ControlKind.SequenceEnd,
        "CONTROL_SEQUENCE_CORRID" => ControlKind.SequenceCorrid,
        _ => ControlKind.SequenceStart,
    };

    internal static InstanceKind InstanceKindOf(string name) => name switch
    {
        "KIND_GPU" => InstanceKind.Gpu,
        "KIND_CPU" => InstanceKind.Cpu,
        "KIND_MODEL" => InstanceKind.Model,
        _ => InstanceKind.Auto,
    };
}
