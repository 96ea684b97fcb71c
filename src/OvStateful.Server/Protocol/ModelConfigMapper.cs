using OvStateful.Core.Tensors;
using Cfg = OvStateful.Core.Config;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Protocol;

/// <summary>Core's typed config as Triton's ModelConfig message, field for field.</summary>
internal static class ModelConfigMapper
{
    public static Proto.ModelConfig ToProto(Cfg.ModelConfig c)
    {
        var p = new Proto.ModelConfig
        {
            Name = c.Name,
            Platform = c.Platform,
            Backend = c.Backend,
            MaxBatchSize = c.MaxBatchSize,
            DefaultModelFilename = c.DefaultModelFilename,
        };
        foreach (var i in c.Input)
        {
            var pi = new Proto.ModelInput { Name = i.Name, DataType = ToProto(i.DataType), Optional = i.Optional };
            pi.Dims.AddRange(i.Dims);
            if (i.Reshape is { } r) pi.Reshape = Reshape(r);
            p.Input.Add(pi);
        }
        foreach (var o in c.Output)
        {
            var po = new Proto.ModelOutput { Name = o.Name, DataType = ToProto(o.DataType), LabelFilename = o.LabelFilename };
            po.Dims.AddRange(o.Dims);
            if (o.Reshape is { } r) po.Reshape = Reshape(r);
            p.Output.Add(po);
        }
        if (c.SequenceBatching is { } sb) p.SequenceBatching = ToProto(sb);
        else if (c.DynamicBatching is { } db)
        {
            p.DynamicBatching = new Proto.ModelDynamicBatching { MaxQueueDelayMicroseconds = db.MaxQueueDelayMicroseconds, PreserveOrdering = db.PreserveOrdering };
            p.DynamicBatching.PreferredBatchSize.AddRange(db.PreferredBatchSize);
        }
        foreach (var g in c.InstanceGroup)
        {
            var pg = new Proto.ModelInstanceGroup { Name = g.Name, Count = g.Count, Kind = (Proto.ModelInstanceGroup.Types.Kind)(int)g.Kind };
            pg.Gpus.AddRange(g.Gpus);
            p.InstanceGroup.Add(pg);
        }
        if (c.VersionPolicy is { } vp) p.VersionPolicy = ToProto(vp);
        foreach (var w in c.ModelWarmup) p.ModelWarmup.Add(ToProto(w));
        foreach (var (key, value) in c.Parameters) p.Parameters[key] = new Proto.ModelParameter { StringValue = value };
        return p;
    }

    /// <summary>Triton's enum numbering differs from Core's (TYPE_STRING = 13, TYPE_BF16 = 14), so map by name.</summary>
    public static Proto.DataType ToProto(DataType type) => type switch
    {
        DataType.Bool => Proto.DataType.TypeBool,
        DataType.UInt8 => Proto.DataType.TypeUint8,
        DataType.UInt16 => Proto.DataType.TypeUint16,
        DataType.UInt32 => Proto.DataType.TypeUint32,
        DataType.UInt64 => Proto.DataType.TypeUint64,
        DataType.Int8 => Proto.DataType.TypeInt8,
        DataType.Int16 => Proto.DataType.TypeInt16,
        DataType.Int32 => Proto.DataType.TypeInt32,
        DataType.Int64 => Proto.DataType.TypeInt64,
        DataType.Fp16 => Proto.DataType.TypeFp16,
        DataType.Fp32 => Proto.DataType.TypeFp32,
        DataType.Fp64 => Proto.DataType.TypeFp64,
        DataType.Bf16 => Proto.DataType.TypeBf16,
        DataType.String => Proto.DataType.TypeString,
        _ => Proto.DataType.TypeInvalid,
    };

    private static Proto.ModelTensorReshape Reshape(Cfg.ModelTensorReshape r)
    {
        var p = new Proto.ModelTensorReshape();
        p.Shape.AddRange(r.Shape);
        return p;
    }

    private static Proto.ModelSequenceBatching ToProto(Cfg.SequenceBatching sb)
    {
        var p = new Proto.ModelSequenceBatching { MaxSequenceIdleMicroseconds = sb.MaxSequenceIdleMicroseconds, IterativeSequence = sb.IterativeSequence };
        if (sb.Direct is { } d)
            p.Direct = new Proto.ModelSequenceBatching.Types.StrategyDirect { MaxQueueDelayMicroseconds = d.MaxQueueDelayMicroseconds, MinimumSlotUtilization = d.MinimumSlotUtilization };
        else if (sb.Oldest is { } o)
        {
            p.Oldest = new Proto.ModelSequenceBatching.Types.StrategyOldest
            {
                MaxCandidateSequences = o.MaxCandidateSequences,
                MaxQueueDelayMicroseconds = o.MaxQueueDelayMicroseconds,
                PreserveOrdering = o.PreserveOrdering,
            };
            p.Oldest.PreferredBatchSize.AddRange(o.PreferredBatchSize);
        }
        foreach (var ci in sb.ControlInput)
        {
            var pci = new Proto.ModelSequenceBatching.Types.ControlInput { Name = ci.Name };
            foreach (var ctl in ci.Control)
            {
                var pc = new Proto.ModelSequenceBatching.Types.Control
                {
                    Kind = (Proto.ModelSequenceBatching.Types.Control.Types.Kind)(int)ctl.Kind,
                    DataType = ToProto(ctl.DataType),
                };
                pc.Int32FalseTrue.AddRange(ctl.Int32FalseTrue);
                pc.Fp32FalseTrue.AddRange(ctl.Fp32FalseTrue);
                pc.BoolFalseTrue.AddRange(ctl.BoolFalseTrue);
                pci.Control.Add(pc);
            }
            p.ControlInput.Add(pci);
        }
        foreach (var s in sb.State)
        {
            var ps = new Proto.ModelSequenceBatching.Types.State { InputName = s.InputName, OutputName = s.OutputName, DataType = ToProto(s.DataType) };
            ps.Dims.AddRange(s.Dims);
            foreach (var init in s.InitialState)
            {
                var pinit = new Proto.ModelSequenceBatching.Types.InitialState { DataType = ToProto(init.DataType), Name = init.Name };
                pinit.Dims.AddRange(init.Dims);
                if (!string.IsNullOrEmpty(init.DataFile)) pinit.DataFile = init.DataFile;
                else pinit.ZeroData = init.ZeroData;
                ps.InitialState.Add(pinit);
            }
            p.State.Add(ps);
        }
        return p;
    }

    private static Proto.ModelVersionPolicy ToProto(Cfg.VersionPolicy vp)
    {
        var p = new Proto.ModelVersionPolicy();
        switch (vp.Kind)
        {
            case Cfg.VersionPolicyKind.All:
                p.All = new Proto.ModelVersionPolicy.Types.All();
                break;
            case Cfg.VersionPolicyKind.Specific:
                p.Specific = new Proto.ModelVersionPolicy.Types.Specific();
                p.Specific.Versions.AddRange(vp.Versions);
                break;
            default:
                p.Latest = new Proto.ModelVersionPolicy.Types.Latest { NumVersions = (uint)Math.Max(0, vp.NumVersions) };
                break;
        }
        return p;
    }

    private static Proto.ModelWarmup ToProto(Cfg.ModelWarmup w)
    {
        var p = new Proto.ModelWarmup { Name = w.Name, BatchSize = (uint)Math.Max(0, w.BatchSize), Count = (uint)Math.Max(0, w.Count) };
        foreach (var (name, input) in w.Inputs)
        {
            var pi = new Proto.ModelWarmup.Types.Input { DataType = ToProto(input.DataType) };
            pi.Dims.AddRange(input.Dims);
            if (!string.IsNullOrEmpty(input.InputDataFile)) pi.InputDataFile = input.InputDataFile;
            else if (input.RandomData) pi.RandomData = true;
            else pi.ZeroData = input.ZeroData;
            p.Inputs[name] = pi;
        }
        return p;
    }
}
