using Grpc.AspNetCore.Server;
using Grpc.Core;
using Ovs = OvStateful.Protocol.Ovs;

namespace OvStateful.Server.Grpc;

/// <summary>ovs.SequenceIdService bound with <see cref="ProtoMarshallers"/>, as <see cref="InferenceServiceBase"/> is.</summary>
[BindServiceMethod(typeof(SequenceIdServiceBase), nameof(BindService))]
internal abstract class SequenceIdServiceBase
{
    public abstract Task<Ovs.AllocateSequenceIdResponse> Allocate(Ovs.AllocateSequenceIdRequest request, ServerCallContext context);
    public abstract Task<Ovs.ReleaseSequenceIdResponse> Release(Ovs.ReleaseSequenceIdRequest request, ServerCallContext context);

    public static void BindService(ServiceBinderBase binder, SequenceIdServiceBase? service)
    {
        var m = new ServiceMethods(binder, Ovs.SequenceIdService.Descriptor);
        m.Unary("Allocate", Ovs.AllocateSequenceIdRequest.Parser, Ovs.AllocateSequenceIdResponse.Parser);
        m.Unary("Release", Ovs.ReleaseSequenceIdRequest.Parser, Ovs.ReleaseSequenceIdResponse.Parser);
    }
}
