using OvStateful.Core.Config.TextFormat;
using K = OvStateful.Core.Config.TextFormat.FieldKind;

namespace OvStateful.Core.Config;

/// <summary>
/// The field names and types of Triton's model_config.proto (package inference), so that any
/// config Triton accepts parses here and any name Triton rejects is an error. Messages that
/// <see cref="ModelConfig"/> does not model (optimization, batch_input, response_cache, …) are
/// still described in full: they are checked and then ignored by the binder.
/// </summary>
internal static class TritonConfigSchema
{
    public static readonly EnumSchema DataType = new("DataType",
        ("TYPE_INVALID", 0), ("TYPE_BOOL", 1), ("TYPE_UINT8", 2), ("TYPE_UINT16", 3), ("TYPE_UINT32", 4),
        ("TYPE_UINT64", 5), ("TYPE_INT8", 6), ("TYPE_INT16", 7), ("TYPE_INT32", 8), ("TYPE_INT64", 9),
        ("TYPE_FP16", 10), ("TYPE_FP32", 11), ("TYPE_FP64", 12), ("TYPE_STRING", 13), ("TYPE_BF16", 14));

    public static readonly EnumSchema InstanceKind = new("ModelInstanceGroup.Kind",
        ("KIND_AUTO", 0), ("KIND_GPU", 1), ("KIND_CPU", 2), ("KIND_MODEL", 3));

    public static readonly EnumSchema ControlKind = new("ModelSequenceBatching.Control.Kind",
        ("CONTROL_SEQUENCE_START", 0), ("CONTROL_SEQUENCE_READY", 1), ("CONTROL_SEQUENCE_END", 2), ("CONTROL_SEQUENCE_CORRID", 3));

    private static readonly EnumSchema InputFormat = new("ModelInput.Format",
        ("FORMAT_NONE", 0), ("FORMAT_NHWC", 1), ("FORMAT_NCHW", 2));

    private static readonly EnumSchema SecondaryDeviceKind = new("ModelInstanceGroup.SecondaryDevice.SecondaryDeviceKind", ("KIND_NVDLA", 0));

    private static readonly EnumSchema BatchInputKind = new("BatchInput.Kind",
        ("BATCH_ELEMENT_COUNT", 0), ("BATCH_ACCUMULATED_ELEMENT_COUNT", 1), ("BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO", 2),
        ("BATCH_MAX_ELEMENT_COUNT_AS_SHAPE", 3), ("BATCH_ITEM_SHAPE", 4), ("BATCH_ITEM_SHAPE_FLATTEN", 5));

    private static readonly EnumSchema BatchOutputKind = new("BatchOutput.Kind", ("BATCH_SCATTER_WITH_INPUT_SHAPE", 0));

    private static readonly EnumSchema ModelPriority = new("ModelOptimizationPolicy.ModelPriority",
        ("PRIORITY_DEFAULT", 0), ("PRIORITY_MAX", 1), ("PRIORITY_MIN", 2));

    private static readonly EnumSchema TimeoutAction = new("ModelQueuePolicy.TimeoutAction", ("REJECT", 0), ("DELAY", 1));

    // --- field helpers -----------------------------------------------------------------
    private static FieldSchema F(string name, K kind, string? oneof = null) => new(name, kind, false, Oneof: oneof);
    private static FieldSchema R(string name, K kind) => new(name, kind, true);
    private static FieldSchema E(string name, EnumSchema e, bool repeated = false) => new(name, K.Enum, repeated, Enum: e);
    private static FieldSchema M(string name, MessageSchema m, string? oneof = null) => new(name, K.Message, false, m, Oneof: oneof);
    private static FieldSchema RM(string name, MessageSchema m) => new(name, K.Message, true, m);
    private static FieldSchema Map(string owner, string name, K key, FieldSchema value) =>
        new(name, K.Message, true, new MessageSchema($"{owner}.{name} entry", [F("key", key), value with { Name = "value" }], isMapEntry: true));
    private static MessageSchema Msg(string name, params FieldSchema[] fields) => new(name, fields);

    // --- messages, bottom-up (the schema has no cycles) ----------------------------------
    private static readonly MessageSchema RateLimiterResource = Msg("ModelRateLimiter.Resource",
        F("name", K.String), F("global", K.Bool), F("count", K.UInt32));

    private static readonly MessageSchema RateLimiter = Msg("ModelRateLimiter",
        RM("resources", RateLimiterResource), F("priority", K.UInt32));

    private static readonly MessageSchema SecondaryDevice = Msg("ModelInstanceGroup.SecondaryDevice",
        E("kind", SecondaryDeviceKind), F("device_id", K.Int64));

    public static readonly MessageSchema InstanceGroup = Msg("ModelInstanceGroup",
        F("name", K.String), E("kind", InstanceKind), F("count", K.Int32), M("rate_limiter", RateLimiter),
        R("gpus", K.Int32), RM("secondary_devices", SecondaryDevice), R("profile", K.String), F("passive", K.Bool),
        F("host_policy", K.String));

    public static readonly MessageSchema Reshape = Msg("ModelTensorReshape", R("shape", K.Int64));

    public static readonly MessageSchema Input = Msg("ModelInput",
        F("name", K.String), E("data_type", DataType), E("format", InputFormat), R("dims", K.Int64), M("reshape", Reshape),
        F("is_shape_tensor", K.Bool), F("allow_ragged_batch", K.Bool), F("optional", K.Bool), F("is_non_linear_format_io", K.Bool));

    public static readonly MessageSchema Output = Msg("ModelOutput",
        F("name", K.String), E("data_type", DataType), R("dims", K.Int64), M("reshape", Reshape), F("label_filename", K.String),
        F("is_shape_tensor", K.Bool), F("is_non_linear_format_io", K.Bool));

    private static readonly MessageSchema BatchInput = Msg("BatchInput",
        E("kind", BatchInputKind), R("target_name", K.String), E("data_type", DataType), R("source_input", K.String));

    private static readonly MessageSchema BatchOutput = Msg("BatchOutput",
        R("target_name", K.String), E("kind", BatchOutputKind), R("source_input", K.String));

    public static readonly MessageSchema VersionLatest = Msg("ModelVersionPolicy.Latest", F("num_versions", K.UInt32));
    public static readonly MessageSchema VersionAll = Msg("ModelVersionPolicy.All");
    public static readonly MessageSchema VersionSpecific = Msg("ModelVersionPolicy.Specific", R("versions", K.Int64));

    public static readonly MessageSchema VersionPolicy = Msg("ModelVersionPolicy",
        M("latest", VersionLatest, "policy_choice"), M("all", VersionAll, "policy_choice"), M("specific", VersionSpecific, "policy_choice"));

    private static readonly MessageSchema GraphShape = Msg("ModelOptimizationPolicy.Cuda.GraphSpec.Shape", R("dim", K.Int64));

    private static readonly MessageSchema GraphLowerBound = Msg("ModelOptimizationPolicy.Cuda.GraphSpec.LowerBound",
        F("batch_size", K.Int32), Map("ModelOptimizationPolicy.Cuda.GraphSpec.LowerBound", "input", K.String, M("value", GraphShape)));

    private static readonly MessageSchema GraphSpec = Msg("ModelOptimizationPolicy.Cuda.GraphSpec",
        F("batch_size", K.Int32), Map("ModelOptimizationPolicy.Cuda.GraphSpec", "input", K.String, M("value", GraphShape)),
        M("graph_lower_bound", GraphLowerBound));

    private static readonly MessageSchema Cuda = Msg("ModelOptimizationPolicy.Cuda",
        F("graphs", K.Bool), F("busy_wait_events", K.Bool), RM("graph_spec", GraphSpec), F("output_copy_stream", K.Bool));

    private static readonly MessageSchema Accelerator = Msg("ModelOptimizationPolicy.ExecutionAccelerators.Accelerator",
        F("name", K.String), Map("ModelOptimizationPolicy.ExecutionAccelerators.Accelerator", "parameters", K.String, F("value", K.String)));

    private static readonly MessageSchema ExecutionAccelerators = Msg("ModelOptimizationPolicy.ExecutionAccelerators",
        RM("gpu_execution_accelerator", Accelerator), RM("cpu_execution_accelerator", Accelerator));

    private static readonly MessageSchema PinnedMemory = Msg("ModelOptimizationPolicy.PinnedMemoryBuffer", F("enable", K.Bool));

    private static readonly MessageSchema Optimization = Msg("ModelOptimizationPolicy",
        M("graph", Msg("ModelOptimizationPolicy.Graph", F("level", K.Int32))), E("priority", ModelPriority), M("cuda", Cuda),
        M("execution_accelerators", ExecutionAccelerators), M("input_pinned_memory", PinnedMemory),
        M("output_pinned_memory", PinnedMemory), F("gather_kernel_buffer_threshold", K.UInt32), F("eager_batching", K.Bool));

    private static readonly MessageSchema QueuePolicy = Msg("ModelQueuePolicy",
        E("timeout_action", TimeoutAction), F("default_timeout_microseconds", K.UInt64), F("allow_timeout_override", K.Bool),
        F("max_queue_size", K.UInt32));

    public static readonly MessageSchema DynamicBatching = Msg("ModelDynamicBatching",
        R("preferred_batch_size", K.Int32), F("max_queue_delay_microseconds", K.UInt64), F("preserve_ordering", K.Bool),
        F("priority_levels", K.UInt64), F("default_priority_level", K.UInt64), M("default_queue_policy", QueuePolicy),
        Map("ModelDynamicBatching", "priority_queue_policy", K.UInt64, M("value", QueuePolicy)));

    public static readonly MessageSchema Control = Msg("ModelSequenceBatching.Control",
        E("kind", ControlKind), R("int32_false_true", K.Int32), R("fp32_false_true", K.Float), R("bool_false_true", K.Bool),
        E("data_type", DataType));

    public static readonly MessageSchema ControlInput = Msg("ModelSequenceBatching.ControlInput",
        F("name", K.String), RM("control", Control));

    public static readonly MessageSchema InitialState = Msg("ModelSequenceBatching.InitialState",
        E("data_type", DataType), R("dims", K.Int64), F("zero_data", K.Bool, "state_data"), F("data_file", K.String, "state_data"),
        F("name", K.String));

    public static readonly MessageSchema State = Msg("ModelSequenceBatching.State",
        F("input_name", K.String), F("output_name", K.String), E("data_type", DataType), R("dims", K.Int64),
        RM("initial_state", InitialState), F("use_same_buffer_for_input_output", K.Bool), F("use_growable_memory", K.Bool));

    public static readonly MessageSchema StrategyDirect = Msg("ModelSequenceBatching.StrategyDirect",
        F("max_queue_delay_microseconds", K.UInt64), F("minimum_slot_utilization", K.Float));

    public static readonly MessageSchema StrategyOldest = Msg("ModelSequenceBatching.StrategyOldest",
        F("max_candidate_sequences", K.Int32), R("preferred_batch_size", K.Int32), F("max_queue_delay_microseconds", K.UInt64),
        F("preserve_ordering", K.Bool));

    public static readonly MessageSchema SequenceBatching = Msg("ModelSequenceBatching",
        M("direct", StrategyDirect, "strategy_choice"), M("oldest", StrategyOldest, "strategy_choice"),
        F("max_sequence_idle_microseconds", K.UInt64), RM("control_input", ControlInput), RM("state", State),
        F("iterative_sequence", K.Bool));

    private static readonly MessageSchema EnsembleStep = Msg("ModelEnsembling.Step",
        F("model_name", K.String), F("model_version", K.Int64), Map("ModelEnsembling.Step", "input_map", K.String, F("value", K.String)),
        Map("ModelEnsembling.Step", "output_map", K.String, F("value", K.String)), F("model_namespace", K.String));

    private static readonly MessageSchema Ensembling = Msg("ModelEnsembling",
        RM("step", EnsembleStep), F("max_inflight_requests", K.UInt32));

    public static readonly MessageSchema Parameter = Msg("ModelParameter", F("string_value", K.String));

    public static readonly MessageSchema WarmupInput = Msg("ModelWarmup.Input",
        E("data_type", DataType), R("dims", K.Int64), F("zero_data", K.Bool, "input_data_type"),
        F("random_data", K.Bool, "input_data_type"), F("input_data_file", K.String, "input_data_type"));

    public static readonly MessageSchema Warmup = Msg("ModelWarmup",
        F("name", K.String), F("batch_size", K.UInt32), Map("ModelWarmup", "inputs", K.String, M("value", WarmupInput)),
        F("count", K.UInt32));

    private static readonly MessageSchema Operations = Msg("ModelOperations", R("op_library_filename", K.String));

    private static readonly MessageSchema TransactionPolicy = Msg("ModelTransactionPolicy", F("decoupled", K.Bool));

    private static readonly MessageSchema RepositoryAgent = Msg("ModelRepositoryAgents.Agent",
        F("name", K.String), Map("ModelRepositoryAgents.Agent", "parameters", K.String, F("value", K.String)));

    private static readonly MessageSchema RepositoryAgents = Msg("ModelRepositoryAgents", RM("agents", RepositoryAgent));

    private static readonly MessageSchema ResponseCache = Msg("ModelResponseCache", F("enable", K.Bool));

    private static readonly MessageSchema MetricControl = Msg("ModelMetrics.MetricControl",
        M("metric_identifier", Msg("ModelMetrics.MetricControl.MetricIdentifier", F("family", K.String))),
        M("histogram_options", Msg("ModelMetrics.MetricControl.HistogramOptions", R("buckets", K.Double)), "metric_options"));

    private static readonly MessageSchema Metrics = Msg("ModelMetrics", RM("metric_control", MetricControl));

    public static readonly MessageSchema ModelConfig = Msg("ModelConfig",
        F("name", K.String), F("platform", K.String), F("backend", K.String), F("runtime", K.String),
        M("version_policy", VersionPolicy), F("max_batch_size", K.Int32), RM("input", Input), RM("output", Output),
        RM("batch_input", BatchInput), RM("batch_output", BatchOutput), M("optimization", Optimization),
        M("dynamic_batching", DynamicBatching, "scheduling_choice"), M("sequence_batching", SequenceBatching, "scheduling_choice"),
        M("ensemble_scheduling", Ensembling, "scheduling_choice"), RM("instance_group", InstanceGroup),
        F("default_model_filename", K.String), Map("ModelConfig", "cc_model_filenames", K.String, F("value", K.String)),
        Map("ModelConfig", "metric_tags", K.String, F("value", K.String)), Map("ModelConfig", "parameters", K.String, M("value", Parameter)),
        RM("model_warmup", Warmup), M("model_operations", Operations), M("model_transaction_policy", TransactionPolicy),
        M("model_repository_agents", RepositoryAgents), M("response_cache", ResponseCache), M("model_metrics", Metrics));
}
