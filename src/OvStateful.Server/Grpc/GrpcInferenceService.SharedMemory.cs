using Grpc.Core;
using OvStateful.Server.SharedMemory;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Grpc;

/// <summary>Triton's shared-memory methods of GRPCInferenceService over the server's <see cref="SharedMemoryRegistry"/>.</summary>
internal sealed partial class GrpcInferenceService
{
    public override Task<Proto.SystemSharedMemoryStatusResponse> SystemSharedMemoryStatus(Proto.SystemSharedMemoryStatusRequest request, ServerCallContext context)
    {
        var response = new Proto.SystemSharedMemoryStatusResponse();
        foreach (var r in s.SharedMemory.SystemStatus(request.Name))
        {
            response.Regions[r.Name] = new Proto.SystemSharedMemoryStatusResponse.Types.RegionStatus
            {
                Name = r.Name, Key = r.Key, Offset = (ulong)r.Offset, ByteSize = (ulong)r.ByteSize,
            };
        }
        return Task.FromResult(response);
    }

    public override Task<Proto.SystemSharedMemoryRegisterResponse> SystemSharedMemoryRegister(Proto.SystemSharedMemoryRegisterRequest request, ServerCallContext context)
    {
        s.SharedMemory.RegisterSystem(request.Name, request.Key, request.Offset, request.ByteSize);
        return Task.FromResult(new Proto.SystemSharedMemoryRegisterResponse());
    }

    public override Task<Proto.SystemSharedMemoryUnregisterResponse> SystemSharedMemoryUnregister(Proto.SystemSharedMemoryUnregisterRequest request, ServerCallContext context)
    {
        s.SharedMemory.UnregisterSystem(request.Name);
        return Task.FromResult(new Proto.SystemSharedMemoryUnregisterResponse());
    }

    public override Task<Proto.CudaSharedMemoryStatusResponse> CudaSharedMemoryStatus(Proto.CudaSharedMemoryStatusRequest request, ServerCallContext context)
    {
        SharedMemoryRegistry.CheckCudaStatus(request.Name);
        return Task.FromResult(new Proto.CudaSharedMemoryStatusResponse());
    }

    public override Task<Proto.CudaSharedMemoryRegisterResponse> CudaSharedMemoryRegister(Proto.CudaSharedMemoryRegisterRequest request, ServerCallContext context) =>
        throw SharedMemoryRegistry.CudaNotSupported(request.Name);

    // Nothing is ever registered as CUDA shared memory here, so there is nothing to unregister.
    public override Task<Proto.CudaSharedMemoryUnregisterResponse> CudaSharedMemoryUnregister(Proto.CudaSharedMemoryUnregisterRequest request, ServerCallContext context) =>
        Task.FromResult(new Proto.CudaSharedMemoryUnregisterResponse());
}
