using OvStateful.Core.Sequences;
using OvStateful.Server.Hosting;
using OvStateful.Server.Protocol;
using OvStateful.Server.Sequences;
using Ovs = OvStateful.Server.Protocol.Ovs;

namespace OvStateful.Server.Grpc;

/// <summary>ovs.SequenceIdService: correlation-id allocation over gRPC (same allocator as the REST routes).</summary>
internal static class GrpcSequenceIdService
{
    public const string Name = "ovs.SequenceIdService";

    public static void Register(GrpcEndpoint endpoint, ServerServices s)
    {
        GrpcInferenceService.Unary(endpoint, "Allocate", Ovs.AllocateSequenceIdRequest.Parser, (r, _) =>
        {
            var id = s.Allocator.Allocate(SequenceIdTypes.IsString(r.Type));
            return Task.FromResult<Google.Protobuf.IMessage>(new Ovs.AllocateSequenceIdResponse { SequenceId = ToProto(id) });
        }, Name);
        GrpcInferenceService.Unary(endpoint, "Release", Ovs.ReleaseSequenceIdRequest.Parser, (r, _) =>
        {
            var id = r.SequenceId?.IdCase switch
            {
                Ovs.SequenceIdValue.IdOneofCase.Uint64Id => new SequenceId(r.SequenceId.Uint64Id),
                Ovs.SequenceIdValue.IdOneofCase.StringId => new SequenceId(r.SequenceId.StringId),
                _ => throw ServerErrors.Invalid("release needs sequence_id with uint64_id or string_id set"),
            };
            if (!s.Allocator.Release(id)) throw SequenceIdTypes.NotAllocated(id);
            return Task.FromResult<Google.Protobuf.IMessage>(new Ovs.ReleaseSequenceIdResponse { Released = true });
        }, Name);
    }

    private static Ovs.SequenceIdValue ToProto(SequenceId id) =>
        id.IsString ? new Ovs.SequenceIdValue { StringId = id.Text } : new Ovs.SequenceIdValue { Uint64Id = id.Number };
}
