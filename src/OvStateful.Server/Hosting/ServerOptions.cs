namespace OvStateful.Server.Hosting;

/// <summary>
/// Settings of <c>ovs serve</c>, bound from configuration section "Server" (appsettings.json,
/// OVS_ environment variables such as OVS_Server__HttpPort, and the command line).
/// Checked at start by <see cref="ServerOptionsValidator"/>.
/// </summary>
public sealed class ServerOptions
{
    public const string SectionName = "Server";

    /// <summary>
    /// The server's name in its metadata (GET /v2, gRPC ServerMetadata); 1 to 64 printable ASCII
    /// characters. "triton" by default because Triton's own clients check it (its
    /// simple_*_health_metadata examples fail on any other name); the version (ours) and the
    /// ovs_sequence_id extension still tell the two servers apart. "ovstateful" names ours.
    /// </summary>
    public string ServerName { get; set; } = "triton";

    /// <summary>Folder of the Triton-style model repository; must exist.</summary>
    public string ModelRepository { get; set; } = "models";

    /// <summary>Address every endpoint binds to; loopback unless the operator opens it up.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>KServe v2 REST (HTTP/1.1; Kestrel offers HTTP/2 beside it only over TLS). 0 = any free port. Distinct from the other two unless 0.</summary>
    public int HttpPort { get; set; } = 8000;

    /// <summary>KServe v2 gRPC (HTTP/2 cleartext only). 0 = any free port.</summary>
    public int GrpcPort { get; set; } = 8001;

    /// <summary>Prometheus text metrics at GET /metrics. 0 = any free port.</summary>
    public int MetricsPort { get; set; } = 8002;

    /// <summary>Largest HTTP request body and largest single gRPC message, in bytes; 1 to int.MaxValue.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Most connections open at once over all three endpoints; a connection past it is closed
    /// at once (and counted in a warning at most once a second) while the others are served.
    /// 0 = from the process's open-file limit (raised to its hard limit at start): the limit
    /// minus an eighth of it (at least 64) kept for model files, state files and the runtime.
    /// </summary>
    public int MaxConnections { get; set; }

    /// <summary>
    /// Most steps one ModelStreamInfer stream may have waiting for their answers; one past it is
    /// answered at once with RESOURCE_EXHAUSTED naming the limit and reaches no model. &gt;= 1.
    /// </summary>
    public int MaxQueuedStepsPerStream { get; set; } = 1024;

    /// <summary>Most concurrent HTTP/2 streams (gRPC calls) per connection: 1 to 65536. Triton's sequence clients open one stream per sequence.</summary>
    public int MaxStreamsPerConnection { get; set; } = 1024;

    /// <summary>
    /// Socket transport: how many I/O queues run connections' reads and writes (Kestrel's
    /// IOQueueCount); 0 (default) = straight on the thread pool, -1 = Kestrel's default (one per
    /// core, at most 16). -1 to 64. 0 because it measured best: 256 REST sequences on 2 cores ran
    /// 13.4k steps/s against 11.2k with Kestrel's queues (bench/README.md, REST section).
    /// </summary>
    public int IoQueueCount { get; set; }

    /// <summary>
    /// Socket transport: run request handling on the I/O thread that read it instead of queueing
    /// it (Kestrel's UnsafePreferInlineScheduling): fewer thread hops, but a handler that blocks
    /// stalls every connection of its queue.
    /// </summary>
    public bool InlineIoScheduling { get; set; }

    /// <summary>Socket transport: an idle connection takes a read buffer only once data arrives (Kestrel's WaitForDataBeforeAllocatingBuffer); false saves a wake-up per read at the cost of a buffer per idle connection.</summary>
    public bool WaitForDataBeforeAllocatingBuffer { get; set; } = true;

    /// <summary>A connection with no request in progress is closed after this many seconds; for HTTP/2 this includes one that never completes its preface. &gt; 0.</summary>
    public double IdleTimeoutSeconds { get; set; } = 120;

    /// <summary>A request's headers (HTTP/1.1 request line and headers; HTTP/2 HEADERS and CONTINUATION frames) must arrive within this many seconds. &gt; 0.</summary>
    public double RequestHeadersTimeoutSeconds { get; set; } = 30;

    /// <summary>gRPC port: a connection silent this many seconds is pinged (HTTP/2 PING); 0 = never ping.</summary>
    public double KeepAlivePingSeconds { get; set; } = 60;

    /// <summary>gRPC port: a pinged connection that does not answer within this many seconds is closed. &gt; 0.</summary>
    public double KeepAlivePingTimeoutSeconds { get; set; } = 20;

    /// <summary>How long shutdown waits for in-flight requests before failing them; &gt;= 0.</summary>
    public double ShutdownTimeoutSeconds { get; set; } = 10;

    /// <summary>Engine for models whose config names none (the <c>engine</c> parameter): onnxruntime or openvino.</summary>
    public string DefaultEngine { get; set; } = "onnxruntime";

    /// <summary>
    /// ONNX Runtime intra-op threads per session; 0 = all cores but one (at least one), so
    /// the network threads keep a core: on 2 cores, one sleeping-not-spinning ORT thread per
    /// instance served 16.5k Silero steps/s over gRPC where ORT's default of two served 14.5k.
    /// </summary>
    public int IntraOpThreads { get; set; }

    /// <summary>The intra-op thread count sessions get: <see cref="IntraOpThreads"/>, or all cores but one when it is 0.</summary>
    public int EffectiveIntraOpThreads => IntraOpThreads > 0 ? IntraOpThreads : Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>ONNX Runtime inter-op threads per session; 0 = ONNX Runtime's default.</summary>
    public int InterOpThreads { get; set; }

    /// <summary>ONNX Runtime device for every model ("cpu", "cuda[:N]", "trt[:N]"); empty = each config's instance_group and ort_ep.</summary>
    public string Device { get; set; } = "";

    /// <summary>
    /// Beyond Triton: when every slot is busy, move the least recently used idle sequence's state
    /// to host memory instead of making new sequences wait (off = Triton's backlog).
    /// </summary>
    public bool SpillEnabled { get; set; }

    /// <summary>Most bytes of spilled state per model (each state with its 40-byte record header); once reached, new sequences wait in the backlog.</summary>
    public long SpillMemoryCapBytes { get; set; } = 1L << 30;

    /// <summary>
    /// Most sequences per model waiting for a slot (Triton's max_queue_size, for sequences);
    /// past it a new sequence fails at once with RESOURCE_EXHAUSTED / 429 naming the limit. 0 = unbounded.
    /// </summary>
    public int MaxBacklog { get; set; } = 4096;

    /// <summary>
    /// Beyond Triton: durable live sequences. Every model version keeps its sequences' states in
    /// memory-mapped files under this folder, written after each step and before its response,
    /// so a crash of the process loses no answered step and a restart continues every live
    /// sequence; sequence ids handed out are persisted here too. Empty = off (Triton's
    /// behaviour): it needs a folder of this server's own, on a local disk, and disk space for
    /// every slot and spilled state, which only the operator can give.
    /// </summary>
    public string StateDirectory { get; set; } = "";

    /// <summary>How often durable states are msync'ed to the disk, in milliseconds: a machine crash loses at most about this much of the latest steps (a process crash loses none). 0 = left to the OS.</summary>
    public int StateSyncMilliseconds { get; set; } = 1000;
    /// Triton's --model-control-mode: "none" (load every model at start; clients' load and unload
    /// are refused), "poll" (also reload what changes in the repository, every
    /// <see cref="RepositoryPollSeconds"/>) or "explicit" (load only <see cref="LoadModels"/> at
    /// start; clients load and unload).
    /// </summary>
    public string ModelControlMode { get; set; } = "none";

    /// <summary>Triton's --load-model: with explicit model control, the models loaded at start; "*" alone = all.</summary>
    public string[] LoadModels { get; set; } = [];

    /// <summary>Triton's --repository-poll-secs: seconds between polls of the repository in poll mode; at least 1.</summary>
    public int RepositoryPollSeconds { get; set; } = 15;

    /// <summary>Triton's --strict-readiness: the server is ready only when every model it loaded (or tried to) is ready; false = ready once it serves.</summary>
    public bool StrictReadiness { get; set; } = true;

    /// <summary>Triton's --exit-on-error: a model that fails to load at start stops the server with its reason; false = serve the others.</summary>
    public bool ExitOnError { get; set; } = true;

    /// <summary>
    /// Triton's --strict-model-config: false (Triton's default) fills a config without inputs and
    /// outputs from the model file (auto-complete); true = every config must declare them.
    /// </summary>
    public bool StrictModelConfig { get; set; }

    /// <summary>Triton's --metrics-config counter_latencies: the cumulative nv_inference_*_duration_us counters (default true).</summary>
    public bool CounterLatencies { get; set; } = true;

    /// <summary>Triton's --metrics-config summary_latencies: the nv_inference_*_summary_us summaries, quantiles of recent latencies (default false).</summary>
    public bool SummaryLatencies { get; set; }

    /// <summary>The model control modes <see cref="ModelControlMode"/> takes.</summary>
    public static readonly IReadOnlyList<string> ModelControlModes = ["none", "poll", "explicit"];

    /// <summary>Whether clients may load and unload models (explicit model control).</summary>
    public bool ExplicitModelControl => string.Equals(ModelControlMode, "explicit", StringComparison.OrdinalIgnoreCase);

    /// <summary>Triton's logging switches (section Server:Log; --log-verbose, --log-format, ...).</summary>
    public Logging.ServerLogOptions Log { get; set; } = new();
}
