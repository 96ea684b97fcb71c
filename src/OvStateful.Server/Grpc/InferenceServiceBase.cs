using Grpc.AspNetCore.Server;
using Grpc.Core;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Grpc;

/// <summary>
/// inference.GRPCInferenceService as Grpc.AspNetCore binds it: the generated base class's
/// methods, bound with <see cref="ProtoMarshallers"/> (malformed requests are INVALID_ARGUMENT,
/// and on ModelStreamInfer a malformed request is answered alone while the stream goes on).
/// </summary>
[BindServiceMethod(typeof(InferenceServiceBase), nameof(BindService))]
internal abstract class InferenceServiceBase
{
    public abstract Task<Proto.ServerLiveResponse> ServerLive(Proto.ServerLiveRequest request, ServerCallContext context);
    public abstract Task<Proto.ServerReadyResponse> ServerReady(Proto.ServerReadyRequest request, ServerCallContext context);
    public abstract Task<Proto.ModelReadyResponse> ModelReady(Proto.ModelReadyRequest request, ServerCallContext context);
    public abstract Task<Proto.ServerMetadataResponse> ServerMetadata(Proto.ServerMetadataRequest request, ServerCallContext context);
    public abstract Task<Proto.ModelMetadataResponse> ModelMetadata(Proto.ModelMetadataRequest request, ServerCallContext context);
    public abstract Task<Proto.ModelInferResponse> ModelInfer(Proto.ModelInferRequest request, ServerCallContext context);
    public abstract Task ModelStreamInfer(IAsyncStreamReader<Incoming<Proto.ModelInferRequest>> requests, IServerStreamWriter<Proto.ModelStreamInferResponse> responses, ServerCallContext context);
    public abstract Task<Proto.ModelConfigResponse> ModelConfig(Proto.ModelConfigRequest request, ServerCallContext context);
    public abstract Task<Proto.ModelStatisticsResponse> ModelStatistics(Proto.ModelStatisticsRequest request, ServerCallContext context);
    public abstract Task<Proto.RepositoryIndexResponse> RepositoryIndex(Proto.RepositoryIndexRequest request, ServerCallContext context);
    public abstract Task<Proto.RepositoryModelLoadResponse> RepositoryModelLoad(Proto.RepositoryModelLoadRequest request, ServerCallContext context);
    public abstract Task<Proto.RepositoryModelUnloadResponse> RepositoryModelUnload(Proto.RepositoryModelUnloadRequest request, ServerCallContext context);
    public abstract Task<Proto.SystemSharedMemoryStatusResponse> SystemSharedMemoryStatus(Proto.SystemSharedMemoryStatusRequest request, ServerCallContext context);
    public abstract Task<Proto.SystemSharedMemoryRegisterResponse> SystemSharedMemoryRegister(Proto.SystemSharedMemoryRegisterRequest request, ServerCallContext context);
    public abstract Task<Proto.SystemSharedMemoryUnregisterResponse> SystemSharedMemoryUnregister(Proto.SystemSharedMemoryUnregisterRequest request, ServerCallContext context);
    public abstract Task<Proto.CudaSharedMemoryStatusResponse> CudaSharedMemoryStatus(Proto.CudaSharedMemoryStatusRequest request, ServerCallContext context);
    public abstract Task<Proto.CudaSharedMemoryRegisterResponse> CudaSharedMemoryRegister(Proto.CudaSharedMemoryRegisterRequest request, ServerCallContext context);
    public abstract Task<Proto.CudaSharedMemoryUnregisterResponse> CudaSharedMemoryUnregister(Proto.CudaSharedMemoryUnregisterRequest request, ServerCallContext context);

    /// <summary>Called by Grpc.AspNetCore (through the attribute) with a null service: it binds the overrides itself.</summary>
    public static void BindService(ServiceBinderBase binder, InferenceServiceBase? service)
    {
        var m = new ServiceMethods(binder, Proto.GRPCInferenceService.Descriptor);
        m.Unary("ServerLive", Proto.ServerLiveRequest.Parser, Proto.ServerLiveResponse.Parser);
        m.Unary("ServerReady", Proto.ServerReadyRequest.Parser, Proto.ServerReadyResponse.Parser);
        m.Unary("ModelReady", Proto.ModelReadyRequest.Parser, Proto.ModelReadyResponse.Parser);
        m.Unary("ServerMetadata", Proto.ServerMetadataRequest.Parser, Proto.ServerMetadataResponse.Parser);
        m.Unary("ModelMetadata", Proto.ModelMetadataRequest.Parser, Proto.ModelMetadataResponse.Parser);
        m.Unary("ModelInfer", Proto.ModelInferRequest.Parser, Proto.ModelInferResponse.Parser);
        m.Duplex("ModelStreamInfer", Proto.ModelInferRequest.Parser, Proto.ModelStreamInferResponse.Parser, GrpcStreamInfer.Requests);
        m.Unary("ModelConfig", Proto.ModelConfigRequest.Parser, Proto.ModelConfigResponse.Parser);
        m.Unary("ModelStatistics", Proto.ModelStatisticsRequest.Parser, Proto.ModelStatisticsResponse.Parser);
        m.Unary("RepositoryIndex", Proto.RepositoryIndexRequest.Parser, Proto.RepositoryIndexResponse.Parser);
        m.Unary("RepositoryModelLoad", Proto.RepositoryModelLoadRequest.Parser, Proto.RepositoryModelLoadResponse.Parser);
        m.Unary("RepositoryModelUnload", Proto.RepositoryModelUnloadRequest.Parser, Proto.RepositoryModelUnloadResponse.Parser);
        m.Unary("SystemSharedMemoryStatus", Proto.SystemSharedMemoryStatusRequest.Parser, Proto.SystemSharedMemoryStatusResponse.Parser);
        m.Unary("SystemSharedMemoryRegister", Proto.SystemSharedMemoryRegisterRequest.Parser, Proto.SystemSharedMemoryRegisterResponse.Parser);
        m.Unary("SystemSharedMemoryUnregister", Proto.SystemSharedMemoryUnregisterRequest.Parser, Proto.SystemSharedMemoryUnregisterResponse.Parser);
        m.Unary("CudaSharedMemoryStatus", Proto.CudaSharedMemoryStatusRequest.Parser, Proto.CudaSharedMemoryStatusResponse.Parser);
        m.Unary("CudaSharedMemoryRegister", Proto.CudaSharedMemoryRegisterRequest.Parser, Proto.CudaSharedMemoryRegisterResponse.Parser);
        m.Unary("CudaSharedMemoryUnregister", Proto.CudaSharedMemoryUnregisterRequest.Parser, Proto.CudaSharedMemoryUnregisterResponse.Parser);
    }
}
