using Grpc.Reflection;
using Grpc.Reflection.V1Alpha;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OvStateful.Server.Grpc;

namespace OvStateful.Server.Hosting;

/// <summary>
/// The gRPC port on Grpc.AspNetCore: inference.GRPCInferenceService, ovs.SequenceIdService,
/// grpc.health.v1.Health (service "" is SERVING exactly when the server is ready: every model
/// loaded) and server reflection. Message size limit: <see cref="ServerOptions.MaxRequestBodyBytes"/>;
/// deadlines (grpc-timeout) cancel the call's work and end it with DEADLINE_EXCEEDED; gzip
/// requests are accepted and answered gzip (<see cref="ResponseEncoding"/>).
/// </summary>
internal static class GrpcHost
{
    public static void AddServices(IServiceCollection services, ServerServices s)
    {
        services.AddSingleton(s);
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = (int)Math.Min(int.MaxValue, s.Options.MaxRequestBodyBytes);
            o.MaxSendMessageSize = null;
            o.EnableDetailedErrors = false;
            o.Interceptors.Add<GrpcErrorInterceptor>();
        });
        services.AddGrpcHealthChecks().AddCheck("ready", () => s.IsReady
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("not every model of the repository is ready"));
        // Our service classes bind themselves (InferenceServiceBase), so the reflection
        // service is told their descriptors instead of finding them from generated base classes.
        services.AddSingleton(new ReflectionServiceImpl(
            OvStateful.Protocol.Inference.GRPCInferenceService.Descriptor, OvStateful.Protocol.Ovs.SequenceIdService.Descriptor,
            global::Grpc.Health.V1.Health.Descriptor, ServerReflection.Descriptor));
        services.AddGrpcReflection();
    }

    public static void Map(WebApplication app)
    {
        app.UseRouting();
        app.MapGrpcService<GrpcInferenceService>();
        app.MapGrpcService<GrpcSequenceIdService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
    }
}
