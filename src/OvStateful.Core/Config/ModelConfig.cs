using OvStateful.Core.Tensors;

namespace OvStateful.Core.Config;

// The typed model configuration: the part of Triton's model_config.proto that stateful
// deployments use, with Triton's defaults. Property names are the proto field names in
// PascalCase so that JSON/protobuf views can map them one to one.

public sealed class ModelConfig
{
    public string Name { get; set; } = "";
    public string Platform { get; set; } = "";
    public string Backend { get; set; } = "";
    /// <summary>0 = the model does no batching; &gt; 0 = requests carry a leading batch dimension.</summary>
    public int MaxBatchSize { get; set; }
    public List<ModelInput> Input { get; set; } = [];
    public List<ModelOutput> Output { get; set; } = [];
    public SequenceBatching? SequenceBatching { get; set; }
    public DynamicBatching? DynamicBatching { get; set; }
    public List<InstanceGroup> InstanceGroup { get; set; } = [];
    public VersionPolicy? VersionPolicy { get; set; }
    public List<ModelWarmup> ModelWarmup { get; set; } = [];
    public string DefaultModelFilename { get; set; } = "";
    /// <summary>parameters { key, value { string_value } }, in file order.</summary>
    public Dictionary<string, string> Parameters { get; set; } = new(StringComparer.Ordinal);
}

public sealed class ModelTensorReshape
{
    public List<long> Shape { get; set; } = [];
}

public sealed class ModelInput
{
    public string Name { get; set; } = "";
    public DataType DataType { get; set; }
    public List<long> Dims { get; set; } = [];
    public ModelTensorReshape? Reshape { get; set; }
    public bool Optional { get; set; }
}

public sealed class ModelOutput
{
    public string Name { get; set; } = "";
    public DataType DataType { get; set; }
    public List<long> Dims { get; set; } = [];
    public ModelTensorReshape? Reshape { get; set; }
    public string LabelFilename { get; set; } = "";
}

public sealed class SequenceBatching
{
    /// <summary>Triton's default: 1 second.</summary>
    public ulong MaxSequenceIdleMicroseconds { get; set; } = 1_000_000;
    public StrategyDirect? Direct { get; set; }
    public StrategyOldest? Oldest { get; set; }
    public List<ControlInput> ControlInput { get; set; } = [];
    public List<SequenceState> State { get; set; } = [];
    public bool IterativeSequence { get; set; }
}

public sealed class StrategyDirect
{
    public ulong MaxQueueDelayMicroseconds { get; set; }
    public float MinimumSlotUtilization { get; set; }
}

public sealed class StrategyOldest
{
    public int MaxCandidateSequences { get; set; }
    public List<int> PreferredBatchSize { get; set; } = [];
    public ulong MaxQueueDelayMicroseconds { get; set; }
    public bool PreserveOrdering { get; set; }
}

public enum ControlKind
{
    SequenceStart = 0,
    SequenceReady = 1,
    SequenceEnd = 2,
    SequenceCorrid = 3,
}

public sealed class ControlInput
{
    public string Name { get; set; } = "";
    public List<Control> Control { get; set; } = [];
}

public sealed class Control
{
    public ControlKind Kind { get; set; }
    public List<int> Int32FalseTrue { get; set; } = [];
    public List<float> Fp32FalseTrue { get; set; } = [];
    public List<bool> BoolFalseTrue { get; set; } = [];
    /// <summary>For CONTROL_SEQUENCE_CORRID: TYPE_UINT64 (default when absent) or TYPE_STRING.</summary>
    public DataType DataType { get; set; }
}

/// <summary>Triton implicit state: sequence_batching { state [ ... ] }.</summary>
public sealed class SequenceState
{
    public string InputName { get; set; } = "";
    public string OutputName { get; set; } = "";
    public DataType DataType { get; set; }
    public List<long> Dims { get; set; } = [];
    public List<InitialState> InitialState { get; set; } = [];
}

public sealed class InitialState
{
    public DataType DataType { get; set; }
    public List<long> Dims { get; set; } = [];
    public bool ZeroData { get; set; }
    /// <summary>Relative to the "initial_state" folder under the model folder, as in Triton.</summary>
    public string DataFile { get; set; } = "";
    public string Name { get; set; } = "";
}

public sealed class DynamicBatching
{
    public List<int> PreferredBatchSize { get; set; } = [];
    public ulong MaxQueueDelayMicroseconds { get; set; }
    public bool PreserveOrdering { get; set; }
}

public enum InstanceKind
{
    Auto = 0,
    Gpu = 1,
    Cpu = 2,
    Model = 3,
}

public sealed class InstanceGroup
{
    public string Name { get; set; } = "";
    public InstanceKind Kind { get; set; }
    public int Count { get; set; } = 1;
    public List<int> Gpus { get; set; } = [];
}

public enum VersionPolicyKind
{
    Latest,
    All,
    Specific,
}

public sealed class VersionPolicy
{
    public VersionPolicyKind Kind { get; set; } = VersionPolicyKind.Latest;
    /// <summary>For Latest: how many of the newest versions (default 1).</summary>
    public int NumVersions { get; set; } = 1;
    /// <summary>For Specific.</summary>
    public List<long> Versions { get; set; } = [];
}

public sealed class ModelWarmup
{
    public string Name { get; set; } = "";
    public int BatchSize { get; set; }
    public Dictionary<string, WarmupInput> Inputs { get; set; } = new(StringComparer.Ordinal);
    public int Count { get; set; }
}

public sealed class WarmupInput
{
    public DataType DataType { get; set; }
    public List<long> Dims { get; set; } = [];
    public bool ZeroData { get; set; }
    public bool RandomData { get; set; }
    public string InputDataFile { get; set; } = "";
}
