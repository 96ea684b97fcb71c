using Google.Protobuf;
using OvStateful.Server.Hosting;
using OvStateful.Server.Protocol;
using Pb = OvStateful.Server.Protocol.Inference;

namespace OvStateful.Server.Grpc;

/// <summary>inference.GRPCInferenceService: Triton's KServe v2 gRPC methods.</summary>
internal static class GrpcInferenceService
{
    public const string Name = "inference.GRPCInferenceService";

    public static void Register(GrpcEndpoint endpoint, ServerServices s)
    {
        Unary(endpoint, "ServerLive", Pb.ServerLiveRequest.Parser, (_, _) => Done(new Pb.ServerLiveResponse { Live = true }));
        Unary(endpoint, "ServerReady", Pb.ServerReadyRequest.Parser, (_, _) => Done(new Pb.ServerReadyResponse { Ready = s.Registry.IsReady }));
        Unary(endpoint, "ModelReady", Pb.ModelReadyRequest.Parser, (r, _) => Done(new Pb.ModelReadyResponse { Ready = s.Resolver.IsReady(r.Name, r.Version) }));
        Unary(endpoint, "ServerMetadata", Pb.ServerMetadataRequest.Parser, (_, _) => Done(MetadataMapper.Server()));
        Unary(endpoint, "ModelMetadata", Pb.ModelMetadataRequest.Parser, (r, _) => Done(MetadataMapper.Model(s.Resolver.Resolve(r.Name, r.Version), s.Registry)));
        Unary(endpoint, "ModelConfig", Pb.ModelConfigRequest.Parser, (r, _) =>
            Done(new Pb.ModelConfigResponse { Config = ModelConfigMapper.ToProto(s.Resolver.Resolve(r.Name, r.Version).Config) }));
        Unary(endpoint, "ModelStatistics", Pb.ModelStatisticsRequest.Parser, (r, _) => Done(Statistics(s, r)));
        Unary(endpoint, "RepositoryIndex", Pb.RepositoryIndexRequest.Parser, (r, _) => Done(Index(s, r)));
        Unary(endpoint, "RepositoryModelLoad", Pb.RepositoryModelLoadRequest.Parser, async (r, ct) =>
        {
            await s.Registry.LoadAsync(r.ModelName, ct).ConfigureAwait(false);
            return new Pb.RepositoryModelLoadResponse();
        });
        Unary(endpoint, "RepositoryModelUnload", Pb.RepositoryModelUnloadRequest.Parser, async (r, ct) =>
        {
            await s.Registry.UnloadAsync(r.ModelName, ct).ConfigureAwait(false);
            return new Pb.RepositoryModelUnloadResponse();
        });
        Unary(endpoint, "ModelInfer", Pb.ModelInferRequest.Parser, async (r, ct) =>
        {
            var model = s.Resolver.Resolve(r.ModelName, r.ModelVersion);
            var request = GrpcInferCodec.Decode(r);
            var response = await s.Invoker.InferAsync(model, request, ct).ConfigureAwait(false);
            return GrpcInferCodec.Encode(response, request);
        });
        endpoint.Add(Name, "ModelStreamInfer", call => new GrpcStreamInfer(call, s).RunAsync());
    }

    public static void Unary<TRequest>(GrpcEndpoint endpoint, string method, MessageParser<TRequest> parser, Func<TRequest, CancellationToken, Task<IMessage>> handler, string service = Name)
        where TRequest : class, IMessage<TRequest>
    {
        endpoint.Add(service, method, async call =>
        {
            var request = await call.ReadUnaryAsync(parser).ConfigureAwait(false);
            var response = await handler(request, call.Aborted).ConfigureAwait(false);
            await call.WriteAsync(response).ConfigureAwait(false);
        });
    }

    private static Task<IMessage> Done(IMessage message) => Task.FromResult(message);

    private static Pb.ModelStatisticsResponse Statistics(ServerServices s, Pb.ModelStatisticsRequest r)
    {
        var response = new Pb.ModelStatisticsResponse();
        if (string.IsNullOrEmpty(r.Name))
        {
            foreach (var m in s.Resolver.ReadyModels()) response.ModelStats.Add(StatisticsMapper.ToProto(m.GetStatistics()));
        }
        else
        {
            response.ModelStats.Add(StatisticsMapper.ToProto(s.Resolver.Resolve(r.Name, r.Version).GetStatistics()));
        }
        return response;
    }

    private static Pb.RepositoryIndexResponse Index(ServerServices s, Pb.RepositoryIndexRequest r)
    {
        var response = new Pb.RepositoryIndexResponse();
        foreach (var e in s.Registry.Index())
        {
            if (r.Ready && e.State != "READY") continue;
            response.Models.Add(new Pb.RepositoryIndexResponse.Types.ModelIndex { Name = e.Name, Version = e.Version, State = e.State, Reason = e.Reason });
        }
        return response;
    }
}
