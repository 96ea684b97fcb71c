using Google.Protobuf;
using Google.Protobuf.Reflection;
using OvStateful.Server.Tests.Infrastructure;
using OvStateful.Server.Tests.TestDoubles;

namespace OvStateful.Server.Tests;

/// <summary>A fact that needs Debian's python3 with grpcio (apt-get install python3-grpcio); skipped, with the reason, elsewhere.</summary>
public sealed class GrpcioFactAttribute : FactAttribute
{
    public const string Python = PythonScript.Python;

    public GrpcioFactAttribute()
    {
        if (!File.Exists(Python)) { Skip = $"{Python} is not installed"; return; }
        if (!PythonScript.CanImport("grpc")) Skip = "python3 has no grpc module here (apt-get install python3-grpcio to run this interop test)";
    }
}

/// <summary>
/// Another gRPC implementation against our server (Grpc.AspNetCore on Kestrel): grpc C-core (the core
/// Triton's Python client runs on) calls unary methods, sees trailers-only error statuses and a
/// deadline, and drives a bidirectional ModelStreamInfer of 150 interleaved steps.
/// </summary>
public sealed class GrpcInteropTests
{
    [GrpcioFact]
    public async Task Grpc_core_client_interoperates()
    {
        await using var server = await TestServer.StartAsync(new TestModelRegistry(
            new AccumulatorTestModel(), new EchoTestModel(), new GatedTestModel()));

        var descriptors = Path.Combine(Path.GetTempPath(), $"ovs-descriptors-{Guid.NewGuid():N}.pb");
        var set = new FileDescriptorSet();
        foreach (var file in new[] { OvStateful.Protocol.Inference.ModelConfigReflection.Descriptor, OvStateful.Protocol.Inference.GrpcServiceReflection.Descriptor, OvStateful.Protocol.Ovs.SequenceIdReflection.Descriptor })
            set.File.Add(FileDescriptorProto.Parser.ParseFrom(file.SerializedData));
        await File.WriteAllBytesAsync(descriptors, set.ToByteArray());
        try
        {
            var script = Path.Combine(AppContext.BaseDirectory, "Interop", "grpc_check.py");
            var (code, stdout, stderr) = await PythonScript.RunAsync([script, $"127.0.0.1:{server.Server.GrpcPort}", descriptors], Timeout.InfiniteTimeSpan);
            Assert.True(code == 0, $"grpc_check.py failed ({code}):\n{stdout}\n{stderr}");
            Assert.Contains("grpc interop OK", stdout);
        }
        finally
        {
            File.Delete(descriptors);
        }
    }
}
