# Triton's own Python clients (tritonclient.grpc and tritonclient.http 2.51, unchanged) through
# the calls of Triton's example programs (simple_*_string_infer, simple_*_shm_*,
# simple_*_model_control, grpc_explicit_*_content; written for OvStateful's tests), each answer
# checked against the model's contract, each error against the phrase Triton's clients match.
# Models: tests/OvStateful.Server.Tests/TritonExamples (simple, simple_string, simple_identity).
# usage: triton_protocol_checks.py TRITONCLIENT_WHEEL CHECK PROTOCOL HOST:PORT
#   CHECK: strings | shm | control | contents;  PROTOCOL: grpc | http
import sys

import tritonclient_loader

tritonclient_loader.load(sys.argv[1])
import numpy as np
from tritonclient import utils
from tritonclient.utils import InferenceServerException

check, protocol, url = sys.argv[2], sys.argv[3], sys.argv[4]
if protocol == "grpc":
    import tritonclient.grpc as client_module
else:
    import tritonclient.http as client_module
client = client_module.InferenceServerClient(url=url)


def expect_error(phrase, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except InferenceServerException as e:
        if phrase not in e.message():
            raise AssertionError("expected an error containing %r, got %r" % (phrase, e.message()))
        return e
    raise AssertionError("expected an error containing %r, the call succeeded" % phrase)


def infer_input(name, data, datatype, binary=True):
    i = client_module.InferInput(name, list(data.shape), datatype)
    if protocol == "grpc":
        i.set_data_from_numpy(data)
    else:
        i.set_data_from_numpy(data, binary_data=binary)
    return i


def requested(name, binary=True):
    return client_module.InferRequestedOutput(name) if protocol == "grpc" else client_module.InferRequestedOutput(name, binary_data=binary)


def still_serves():
    """A plain request after the failures: the server keeps serving."""
    a = np.arange(16, dtype=np.int32).reshape(1, 16)
    r = client.infer("simple", [infer_input("INPUT0", a, "INT32"), infer_input("INPUT1", a, "INT32")])
    assert (r.as_numpy("OUTPUT0") == 2 * a).all()


def strings():
    # simple_string: the elements are integers' text; OUTPUT0 = sum, OUTPUT1 = difference, as text.
    a = np.arange(16, dtype=np.int32)
    b = np.full(16, 7, dtype=np.int32)
    for binary in ([True, False] if protocol == "http" else [True]):
        ins = [infer_input("INPUT0", np.array([str(x).encode() for x in a], dtype=np.object_).reshape(1, 16), "BYTES", binary),
               infer_input("INPUT1", np.array([str(x).encode() for x in b], dtype=np.object_).reshape(1, 16), "BYTES", binary)]
        r = client.infer("simple_string", ins, outputs=[requested("OUTPUT0", binary), requested("OUTPUT1", binary)])
        assert [int(x) for x in r.as_numpy("OUTPUT0").reshape(16)] == list(a + b), r.as_numpy("OUTPUT0")
        assert [int(x) for x in r.as_numpy("OUTPUT1").reshape(16)] == list(a - b), r.as_numpy("OUTPUT1")
    # simple_identity: any bytes come back unchanged, embedded zeros, empty elements and non-UTF-8 too
    # (binary only: JSON carries text).
    raw = [b"", b"\x00", b"a\x00b", bytes(range(256)), "\u00e9t\u00e9".encode(), b"x" * 1000] + [b"%d" % i for i in range(10)]
    data = np.array(raw, dtype=np.object_).reshape(1, 16)
    r = client.infer("simple_identity", [infer_input("INPUT0", data, "BYTES")], outputs=[requested("OUTPUT0")])
    assert list(r.as_numpy("OUTPUT0").reshape(16)) == raw
    still_serves()


def shm():
    import tritonclient.utils.shared_memory as shm_utils

    client.unregister_system_shared_memory()
    client.unregister_cuda_shared_memory()
    a = np.arange(16, dtype=np.int32)
    b = np.ones(16, dtype=np.int32)
    size = a.nbytes
    key = "/ovs_shm_%s_%d" % (protocol, np.random.randint(1 << 30))
    out = shm_utils.create_shared_memory_region("output_data", key + "_out", size * 2)
    inp = shm_utils.create_shared_memory_region("input_data", key + "_in", size * 2)
    try:
        client.register_system_shared_memory("output_data", key + "_out", size * 2)
        shm_utils.set_shared_memory_region(inp, [a])
        shm_utils.set_shared_memory_region(inp, [b], offset=size)
        client.register_system_shared_memory("input_data", key + "_in", size * 2)
        status = client.get_system_shared_memory_status()
        names = sorted(status.regions.keys()) if protocol == "grpc" else sorted(r["name"] for r in status)
        assert names == ["input_data", "output_data"], names

        def request():
            i0 = client_module.InferInput("INPUT0", [1, 16], "INT32")
            i0.set_shared_memory("input_data", size)
            i1 = client_module.InferInput("INPUT1", [1, 16], "INT32")
            i1.set_shared_memory("input_data", size, offset=size)
            o0 = client_module.InferRequestedOutput("OUTPUT0") if protocol == "grpc" else client_module.InferRequestedOutput("OUTPUT0", binary_data=True)
            o0.set_shared_memory("output_data", size)
            o1 = client_module.InferRequestedOutput("OUTPUT1") if protocol == "grpc" else client_module.InferRequestedOutput("OUTPUT1", binary_data=True)
            o1.set_shared_memory("output_data", size, offset=size)
            return [i0, i1], [o0, o1]

        ins, outs = request()
        r = client.infer("simple", ins, outputs=outs)
        # The outputs are listed in the response, their data is in the region.
        assert r.get_output("OUTPUT0") is not None and r.get_output("OUTPUT1") is not None
        assert (shm_utils.get_contents_as_numpy(out, np.int32, [1, 16]) == a + b).all()
        assert (shm_utils.get_contents_as_numpy(out, np.int32, [1, 16], offset=size) == a - b).all()

        # Triton's errors: registered twice, a key that does not exist, a range outside the object,
        # a tensor's range outside its region, a region that is not registered.
        expect_error("already in manager", client.register_system_shared_memory, "output_data", key + "_out", size * 2)
        expect_error("Unable to open shared memory region", client.register_system_shared_memory, "nokey", "/ovs_no_such_key", 64)
        expect_error("invalid args", client.register_system_shared_memory, "big", key + "_in", size * 4)
        bad = client_module.InferInput("INPUT0", [1, 16], "INT32")
        bad.set_shared_memory("input_data", size, offset=size * 2)
        expect_error("Invalid offset", client.infer, "simple", [bad, ins[1]])
        expect_error("not supported", client.register_cuda_shared_memory, "cuda", b"0" * 64, 0, 64)
        client.unregister_system_shared_memory("input_data")
        ins, outs = request()
        expect_error("Unable to find shared memory region", client.infer, "simple", ins, outputs=outs)
        expect_error("Unable to find system shared memory region", client.get_system_shared_memory_status, "input_data")

        # Strings in shared memory: Triton's serialized form (4-byte length, then the bytes) both ways.
        client.register_system_shared_memory("input_data", key + "_in", size * 2)
        text = utils.serialize_byte_tensor(np.array([str(x).encode() for x in a], dtype=np.object_)).item()
        shm_utils.set_shared_memory_region(inp, [np.frombuffer(text, dtype=np.uint8)])
        s0 = client_module.InferInput("INPUT0", [1, 16], "BYTES")
        s0.set_shared_memory("input_data", len(text))
        s1 = client_module.InferInput("INPUT1", [1, 16], "BYTES")
        s1.set_shared_memory("input_data", len(text))
        o0 = requested("OUTPUT0")
        o0.set_shared_memory("output_data", size * 2)
        client.infer("simple_string", [s0, s1], outputs=[o0, requested("OUTPUT1")])
        got = shm_utils.get_contents_as_numpy(out, np.object_, [1, 16])
        assert [int(x) for x in got.reshape(16)] == list(2 * a), got
    finally:
        client.unregister_system_shared_memory()
        shm_utils.destroy_shared_memory_region(out)
        shm_utils.destroy_shared_memory_region(inp)
    still_serves()


def control():
    index = client.get_model_repository_index()
    names = sorted(m.name for m in index.models) if protocol == "grpc" else sorted(m["name"] for m in index)
    assert "simple" in names and "simple_string" in names, names
    client.load_model("simple")
    assert client.is_model_ready("simple")
    expect_error("failed to load", client.load_model, "simple", config='"parameters": {"config": {{"max_batch_size": "16"}}}')
    # A config with a bad field: refused naming it, the serving version untouched.
    expect_error("max_batch_size", client.load_model, "simple", config='{"max_batch_size": -3}')
    assert client.is_model_ready("simple")
    client.load_model("simple", config='{"max_batch_size":"16"}')
    config = client.get_model_config("simple")
    assert (config.config.max_batch_size if protocol == "grpc" else config["max_batch_size"]) == 16
    still_serves()
    client.unload_model("simple")
    assert not client.is_model_ready("simple")
    # As Triton: a model unloaded on request leaves the server ready.
    assert client.is_server_ready()
    expect_error("Request for unknown model", client.infer, "simple",
                 [infer_input("INPUT0", np.zeros((1, 16), np.int32), "INT32"), infer_input("INPUT1", np.zeros((1, 16), np.int32), "INT32")])
    expect_error("failed to load", client.load_model, "wrong_model_name")
    client.load_model("simple")
    config = client.get_model_config("simple")
    assert (config.config.max_batch_size if protocol == "grpc" else config["max_batch_size"]) == 8
    still_serves()


def contents():
    # grpc_explicit_*_content: typed contents instead of raw bytes, and both at once refused.
    from tritonclient.grpc import service_pb2, service_pb2_grpc
    import grpc

    stub = service_pb2_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(url))
    request = service_pb2.ModelInferRequest(model_name="simple")
    for name in ("INPUT0", "INPUT1"):
        t = service_pb2.ModelInferRequest().InferInputTensor(name=name, datatype="INT32", shape=[1, 16])
        t.contents.int_contents[:] = list(range(16))
        request.inputs.extend([t])
    response = stub.ModelInfer(request)
    out = np.frombuffer(response.raw_output_contents[0], dtype=np.int32)
    assert list(out) == [2 * x for x in range(16)], out
    request = service_pb2.ModelInferRequest(model_name="simple_string")
    for name in ("INPUT0", "INPUT1"):
        t = service_pb2.ModelInferRequest().InferInputTensor(name=name, datatype="BYTES", shape=[1, 16])
        t.contents.bytes_contents[:] = [str(x).encode() for x in range(16)]
        request.inputs.extend([t])
    response = stub.ModelInfer(request)
    assert [int(x) for x in utils.deserialize_bytes_tensor(response.raw_output_contents[0])] == [2 * x for x in range(16)]
    request.raw_input_contents.extend([utils.serialize_byte_tensor(np.array([b"1"] * 16, dtype=np.object_)).item()])
    try:
        stub.ModelInfer(request)
        raise AssertionError("raw_input_contents with contents should fail")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e.code()
        assert "contents field must not be specified when using raw_input_contents" in e.details(), e.details()
    expect_error("failed to get model version from specified version string", client.get_model_metadata, "simple", model_version="x")


{"strings": strings, "shm": shm, "control": control, "contents": contents}[check]()
print("PASS %s %s" % (check, protocol))
