using Grpc.Core;
using OvStateful.Core.Sequences;
using OvStateful.Server.Hosting;
using OvStateful.Server.Protocol;
using OvStateful.Server.Sequences;
using Ovs = OvStateful.Protocol.Ovs;

namespace OvStateful.Server.Grpc;

/// <summary>ovs.SequenceIdService: correlation-id allocation over gRPC (same allocator as the REST routes).</summary>
internal sealed class GrpcSequenceIdService(ServerServices s) : SequenceIdServiceBase
{
    public override Task<Ovs.AllocateSequenceIdResponse> Allocate(Ovs.AllocateSequenceIdRequest request, ServerCallContext context)
    {
        var id = s.Allocator.Allocate(SequenceIdTypes.IsString(request.Type));
        return Task.FromResult(new Ovs.AllocateSequenceIdResponse { SequenceId = ToProto(id) });
    }

    public override Task<Ovs.ReleaseSequenceIdResponse> Release(Ovs.ReleaseSequenceIdRequest request, ServerCallContext context)
    {
        var id = request.SequenceId?.IdCase switch
        {
            Ovs.SequenceIdValue.IdOneofCase.Uint64Id => new SequenceId(request.SequenceId.Uint64Id),
            Ovs.SequenceIdValue.IdOneofCase.StringId => new SequenceId(request.SequenceId.StringId),
            _ => throw ServerErrors.Invalid("release needs sequence_id with uint64_id or string_id set"),
        };
        if (!s.Allocator.Release(id)) throw SequenceIdTypes.NotAllocated(id);
        return Task.FromResult(new Ovs.ReleaseSequenceIdResponse { Released = true });
    }

    private static Ovs.SequenceIdValue ToProto(SequenceId id) =>
        id.IsString ? new Ovs.SequenceIdValue { StringId = id.Text } : new Ovs.SequenceIdValue { Uint64Id = id.Number };
}
