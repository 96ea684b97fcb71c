# A pipeline step ÷ the same models called one after another by the client, same load.
# Triton's own gRPC client (tritonclient.grpc 2.51, from ../shared/triton) on Debian's python3:
# C client threads, each running sequences of L steps back to back for T seconds, either as one
# request to the ensemble per step, or as one request per composing model, each waiting for the
# last (the client carrying the tensors between them). Prints steps/s for both and the ratio.
# usage: /usr/bin/python3 bench/pipeline_vs_chain.py HOST:GRPC_PORT [pipe|vad] [C] [L] [T]
import os, sys, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "OvStateful.Server.Tests", "Interop"))
import tritonclient_loader

here = os.path.dirname(os.path.abspath(__file__))
tritonclient_loader.load(os.path.join(here, "..", "..", "shared", "triton", "tritonclient-2.51.0-py3-none-manylinux1_x86_64.whl"))
import numpy as np
import tritonclient.grpc as grpcclient

url = sys.argv[1]
which = sys.argv[2] if len(sys.argv) > 2 else "vad"
C, L, T = (int(a) for a in (sys.argv[3:6] + ["4", "20", "10"][len(sys.argv[3:6]):]))

if which == "pipe":
    ensemble = ("pipe", "IN", "OUT")
    chain = [("scale", "X", "Y", False), ("accumulate", "INPUT", "OUTPUT", True)]
    make = lambda k: np.full([1, 1], k + 1, dtype=np.int32)
else:
    ensemble = ("vad_pipeline", "PCM", "EVENT")
    chain = [("vad_frontend", "pcm", "audio", False), ("silero_vad_v6", "input", "output", True), ("vad_hangover", "prob", "event", True)]
    rng = np.random.default_rng(7)
    make = lambda k: (rng.standard_normal([1, 512]) * 3000).astype(np.int16)


def dtype_name(a):
    return {"int16": "INT16", "int32": "INT32", "float32": "FP32"}[str(a.dtype)]


def run(mode, seconds):
    counts = [0] * C
    stop = time.monotonic() + seconds

    def worker(w):
        with grpcclient.InferenceServerClient(url=url) as client:
            seq = 1 + w * 1_000_000 + (0 if mode == "ensemble" else 500_000)
            while time.monotonic() < stop:
                seq += 1
                for k in range(L):
                    data = make(k)
                    if mode == "ensemble":
                        i = grpcclient.InferInput(ensemble[1], data.shape, dtype_name(data))
                        i.set_data_from_numpy(data)
                        client.infer(ensemble[0], [i], sequence_id=seq, sequence_start=(k == 0), sequence_end=(k == L - 1))
                    else:
                        x = data
                        for model, name, out, stateful in chain:
                            i = grpcclient.InferInput(name, x.shape, dtype_name(x))
                            i.set_data_from_numpy(x)
                            r = client.infer(model, [i], outputs=[grpcclient.InferRequestedOutput(out)],
                                             sequence_id=seq if stateful else 0, sequence_start=(k == 0) and stateful, sequence_end=(k == L - 1) and stateful)
                            x = r.as_numpy(out)
                    counts[w] += 1

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(C)]
    start = time.monotonic()
    for t in threads: t.start()
    for t in threads: t.join()
    return sum(counts) / (time.monotonic() - start)


run("ensemble", 2)  # warm-up, not counted
rates = {}
for mode in ("ensemble", "chain", "ensemble", "chain"):
    rates.setdefault(mode, []).append(run(mode, T))
e, c = (sum(rates[m]) / len(rates[m]) for m in ("ensemble", "chain"))
print("%s: %d client threads, %d-step sequences, 2 alternating rounds of %d s each" % (which, C, L, T))
print("ensemble: %.1f steps/s (rounds %s)" % (e, ", ".join("%.1f" % r for r in rates["ensemble"])))
print("chain:    %.1f steps/s (rounds %s)" % (c, ", ".join("%.1f" % r for r in rates["chain"])))
print("ensemble / chain: %.2f" % (e / c))
