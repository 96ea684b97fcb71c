using Grpc.Core;
using OvStateful.Server.Hosting;
using OvStateful.Server.Protocol;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Grpc;

/// <summary>
/// inference.GRPCInferenceService: Triton's KServe v2 gRPC methods. Errors leave as
/// exceptions; <see cref="GrpcErrorInterceptor"/> turns them into the call's status.
/// </summary>
internal sealed partial class GrpcInferenceService(ServerServices s) : InferenceServiceBase
{
    public override Task<Proto.ServerLiveResponse> ServerLive(Proto.ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new Proto.ServerLiveResponse { Live = true });

    public override Task<Proto.ServerReadyResponse> ServerReady(Proto.ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new Proto.ServerReadyResponse { Ready = s.IsReady });

    public override Task<Proto.ModelReadyResponse> ModelReady(Proto.ModelReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new Proto.ModelReadyResponse { Ready = s.Resolver.IsReady(request.Name, request.Version) });

    public override Task<Proto.ServerMetadataResponse> ServerMetadata(Proto.ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(MetadataMapper.Server(s.Options.ServerName));

    public override Task<Proto.ModelMetadataResponse> ModelMetadata(Proto.ModelMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(MetadataMapper.Model(s.Resolver.Resolve(request.Name, request.Version), s.Registry));

    public override Task<Proto.ModelConfigResponse> ModelConfig(Proto.ModelConfigRequest request, ServerCallContext context) =>
        Task.FromResult(new Proto.ModelConfigResponse { Config = s.Resolver.Resolve(request.Name, request.Version).Config });

    public override Task<Proto.ModelStatisticsResponse> ModelStatistics(Proto.ModelStatisticsRequest request, ServerCallContext context)
    {
        var response = new Proto.ModelStatisticsResponse();
        if (string.IsNullOrEmpty(request.Name))
        {
            foreach (var m in s.Resolver.ReadyModels()) response.ModelStats.Add(StatisticsMapper.ToProto(m.GetStatistics()));
        }
        else
        {
            response.ModelStats.Add(StatisticsMapper.ToProto(s.Resolver.Resolve(request.Name, request.Version).GetStatistics()));
        }
        return Task.FromResult(response);
    }

    public override Task<Proto.RepositoryIndexResponse> RepositoryIndex(Proto.RepositoryIndexRequest request, ServerCallContext context)
    {
        var response = new Proto.RepositoryIndexResponse();
        foreach (var e in s.Registry.Index())
        {
            if (request.Ready && e.State != "READY") continue;
            response.Models.Add(new Proto.RepositoryIndexResponse.Types.ModelIndex { Name = e.Name, Version = e.Version, State = e.State, Reason = e.Reason });
        }
        return Task.FromResult(response);
    }

    public override async Task<Proto.RepositoryModelLoadResponse> RepositoryModelLoad(Proto.RepositoryModelLoadRequest request, ServerCallContext context)
    {
        ModelControl.CheckAllowed(s.Options, "load", request.ModelName);
        await s.Registry.LoadAsync(request.ModelName, ModelControl.FromProto(request.Parameters, request.ModelName), context.CancellationToken).ConfigureAwait(false);
        return new Proto.RepositoryModelLoadResponse();
    }

    public override async Task<Proto.RepositoryModelUnloadResponse> RepositoryModelUnload(Proto.RepositoryModelUnloadRequest request, ServerCallContext context)
    {
        ModelControl.CheckAllowed(s.Options, "unload", request.ModelName);
        await s.Registry.UnloadAsync(request.ModelName, context.CancellationToken).ConfigureAwait(false);
        return new Proto.RepositoryModelUnloadResponse();
    }

    public override async Task<Proto.ModelInferResponse> ModelInfer(Proto.ModelInferRequest request, ServerCallContext context)
    {
        using var waiting = CallDeadline.For(context.GetHttpContext(), context.CancellationToken);
        try
        {
            return await GrpcInferCall.RunAsync(s, request, waiting.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (waiting.Explain(e) is var explained && explained != e)
        {
            throw explained;
        }
    }

    public override Task ModelStreamInfer(IAsyncStreamReader<Incoming<Proto.ModelInferRequest>> requests, IServerStreamWriter<Proto.ModelStreamInferResponse> responses, ServerCallContext context) =>
        new GrpcStreamInfer(s, responses, context).RunAsync(requests);
}
