# Interop check run by GrpcInteropTests: grpc C-core (Debian python3-grpcio) against the OvStateful
# gRPC port, messages built at run time from the descriptors of our .proto files.
# usage: grpc_check.py HOST:PORT DESCRIPTOR_SET
import struct, sys, grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

fds = descriptor_pb2.FileDescriptorSet()
fds.ParseFromString(open(sys.argv[2], 'rb').read())
pool = descriptor_pool.DescriptorPool()
for f in fds.file:
    pool.Add(f)
factory = message_factory.MessageFactory(pool)
def M(name):
    return factory.GetPrototype(pool.FindMessageTypeByName(name))

ch = grpc.insecure_channel(sys.argv[1])
def unary(method, req, resp_name, timeout=None):
    f = ch.unary_unary('/inference.GRPCInferenceService/' + method, request_serializer=lambda m: m.SerializeToString(),
                       response_deserializer=M('inference.' + resp_name).FromString)
    return f(req, timeout=timeout)

ok = 0
def check(cond, what):
    global ok
    if not cond:
        print('FAIL', what); sys.exit(1)
    ok += 1

check(unary('ServerLive', M('inference.ServerLiveRequest')(), 'ServerLiveResponse').live, 'live')
meta = unary('ModelMetadata', M('inference.ModelMetadataRequest')(name='accumulate'), 'ModelMetadataResponse')
check(list(meta.inputs[0].shape) == [-1, 4, -1, 5], 'metadata shape')
cfg = unary('ModelConfig', M('inference.ModelConfigRequest')(name='accumulate'), 'ModelConfigResponse').config
check(cfg.sequence_batching.control_input[2].name == 'CORRID', 'config control_input')
check(cfg.parameters['state_pairs'].string_value == '<<<Accumulate_In, Accumulate_Out>>>', 'config parameters')

def step(seq, start, end, values, rid):
    r = M('inference.ModelInferRequest')(model_name='accumulate', id=rid)
    t = r.inputs.add(); t.name = 'Input'; t.datatype = 'FP32'; t.shape.extend([1, 4, 1, 5])
    r.raw_input_contents.append(struct.pack('<20f', *values))
    r.parameters['sequence_id'].int64_param = seq
    r.parameters['sequence_start'].bool_param = start
    r.parameters['sequence_end'].bool_param = end
    return r

vals = [float(i) for i in range(20)]
r = unary('ModelInfer', step(9, True, False, vals, 'a'), 'ModelInferResponse')
out = struct.unpack('<20f', r.raw_output_contents[0])
check(r.id == 'a' and abs(out[0] - (0 + 30)) < 1e-6, 'infer output %r' % (out[:5],))  # state[0] = 0+5+10+15 = 30

try:
    unary('ModelInfer', step(10, False, False, vals, 'b'), 'ModelInferResponse')
    check(False, 'unknown sequence should fail')
except grpc.RpcError as e:
    check(e.code() == grpc.StatusCode.INVALID_ARGUMENT and 'not live' in e.details(), 'unknown sequence status %s %s' % (e.code(), e.details()))
try:
    unary('ModelMetadata', M('inference.ModelMetadataRequest')(name='nope'), 'ModelMetadataResponse')
    check(False, 'unknown model should fail')
except grpc.RpcError as e:
    check(e.code() == grpc.StatusCode.NOT_FOUND and "Request for unknown model: 'nope'" in e.details(), 'not found %s' % e.code())

# Deadline: the gated model never answers.
g = M('inference.ModelInferRequest')(model_name='gated', id='late')
t = g.inputs.add(); t.name = 'X'; t.datatype = 'INT32'; t.shape.append(1); t.contents.int_contents.append(1)
try:
    unary('ModelInfer', g, 'ModelInferResponse', timeout=0.3)
    check(False, 'deadline')
except grpc.RpcError as e:
    check(e.code() == grpc.StatusCode.DEADLINE_EXCEEDED, 'deadline %s' % e.code())

# Bidirectional stream: 50 sequences x 3 steps interleaved, plus one bad request in the middle.
stream = ch.stream_stream('/inference.GRPCInferenceService/ModelStreamInfer', request_serializer=lambda m: m.SerializeToString(),
                          response_deserializer=M('inference.ModelStreamInferResponse').FromString)
def requests():
    for k in range(3):
        for s in range(50):
            yield step(100 + s, k == 0, k == 2, [float(s + k)] * 20, '%d/%d' % (100 + s, k))
        if k == 1:
            bad = step(999, False, False, vals, 'bad'); yield bad
got = {}
errors = []
for resp in stream(requests()):
    if resp.error_message:
        errors.append((resp.infer_response.id, resp.error_message))
    else:
        got[resp.infer_response.id] = struct.unpack('<20f', resp.infer_response.raw_output_contents[0])
check(len(got) == 150, 'stream responses %d' % len(got))
check(errors and errors[0][0] == 'bad', 'stream error %r' % errors)
for s in range(50):
    total = 0.0
    for k in range(3):
        total += 4 * (s + k)
        check(abs(got['%d/%d' % (100 + s, k)][0] - ((s + k) + total)) < 1e-4, 'stream value')

alloc = ch.unary_unary('/ovs.SequenceIdService/Allocate', request_serializer=lambda m: m.SerializeToString(),
                       response_deserializer=M('ovs.AllocateSequenceIdResponse').FromString)
check(alloc(M('ovs.AllocateSequenceIdRequest')(type='uint64')).sequence_id.uint64_id > 0, 'allocate')
print('grpc interop OK:', ok, 'checks')
