"""Runs ONNX models with the real ONNX Runtime (C API) from Python, without onnxruntime's
Python package: builds convert/ort/ortrun.c with gcc once and runs it per call.

    run = ort_runner.evaluator("/path/to/libonnxruntime.so")
    outputs = run("models/accumulate/1/model.onnx", {"Input": ndarray, ...})
"""

import os
import struct
import subprocess
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "ort", "ortrun.c")
_TYPES = {np.dtype(np.float32): 1, np.dtype(np.uint8): 2, np.dtype(np.int8): 3, np.dtype(np.int32): 6,
          np.dtype(np.int64): 7, np.dtype(np.bool_): 9, np.dtype(np.float64): 11, np.dtype(np.uint64): 13}
_DTYPES = {v: k for k, v in _TYPES.items()}


def build(workdir):
    exe = os.path.join(workdir, "ortrun")
    subprocess.run(["gcc", "-O1", SOURCE, "-o", exe, "-ldl"], check=True)
    return exe


def _write(path, feeds):
    with open(path, "wb") as f:
        f.write(struct.pack("<I", len(feeds)))
        for name, a in feeds.items():
            a = np.ascontiguousarray(a)
            b = name.encode()
            f.write(struct.pack("<I", len(b)) + b + struct.pack("<II", _TYPES[a.dtype], a.ndim))
            f.write(struct.pack("<%dq" % a.ndim, *a.shape))
            raw = a.tobytes()
            f.write(struct.pack("<Q", len(raw)) + raw)


def _read(path):
    with open(path, "rb") as f:
        d = f.read()
    out, p = {}, 4
    for _ in range(struct.unpack_from("<I", d)[0]):
        n, = struct.unpack_from("<I", d, p)
        name = d[p + 4:p + 4 + n].decode()
        p += 4 + n
        t, r = struct.unpack_from("<II", d, p)
        dims = struct.unpack_from("<%dq" % r, d, p + 8)
        p += 8 + 8 * r
        nbytes, = struct.unpack_from("<Q", d, p)
        p += 8
        out[name] = np.frombuffer(d[p:p + nbytes], _DTYPES[t]).reshape(dims).copy()
        p += nbytes
    return out


def evaluator(library):
    """run(model_path, feeds) -> {output name: ndarray}, one ORT session per call."""
    if not os.path.exists(library):
        raise SystemExit("ONNX Runtime library %s does not exist (every build puts NuGet's "
                         "copy beside its binaries, e.g. tests/OvStateful.OnnxRuntime.Tests/bin/Debug/net10.0/libonnxruntime.so)" % library)
    workdir = tempfile.mkdtemp(prefix="ortrun-")
    exe = build(workdir)

    def run(model, feeds):
        src, dst = os.path.join(workdir, "in.bin"), os.path.join(workdir, "out.bin")
        _write(src, feeds)
        subprocess.run([exe, os.path.abspath(library), model, src, dst], check=True)
        return _read(dst)
    return run
