#!/usr/bin/env python3
"""OpenVINO's own Python API on the models the engine benchmarks use, one batched step at a time,
as a Python server would run them: MakeStateful, dynamic batch, f32, latency hint, the given
threads; each step sets the batch's state, infers and reads the new state back (numpy copies).

    PYTHONPATH=../shared /usr/bin/python3 bench/openvino_python_api.py [--threads 1] [--steps 200] [model ...]

Prints microseconds per step (median of the timed steps after 20 warm-up steps) per model and batch.
"""
import argparse
import os
import statistics
import time

import numpy as np
import openvino as ov
from openvino import passes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name: (file, {input: shape with -1 for the batch}, state pairs, constant inputs, per-step input builder)
MODELS = {
    "silero_vad_v6": ("models/silero_vad_v6/1/model.onnx", {"input": [-1, 576], "state": [2, -1, 128]},
                      {"state": "stateN"}, {"sr": np.array(16000, np.int64)}, lambda b, r: {"input": r.uniform(-0.5, 0.5, (b, 576)).astype(np.float32)}),
    "gru_counter": ("models/gru_counter/1/model.onnx", {"x": [-1, 8], "h_in": [-1, 16], "steps_in": [-1, 1]},
                    {"h_in": "h_out", "steps_in": "steps_out"}, {}, lambda b, r: {"x": r.uniform(-0.5, 0.5, (b, 8)).astype(np.float32)}),
}


def measure(core, name, batch, threads, steps):
    path, shapes, pairs, constants, make = MODELS[name]
    model = core.read_model(os.path.join(ROOT, path))
    model.reshape({k: ov.PartialShape(v) for k, v in shapes.items()})
    manager = passes.Manager()
    manager.register_pass(passes.MakeStateful(pairs))
    manager.run_passes(model)
    compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY",
                                                 "INFERENCE_NUM_THREADS": str(threads)})
    request = compiled.create_infer_request()
    r = np.random.default_rng(1)
    inputs = {**make(batch, r), **constants}
    states = {s.name: s for s in request.query_state()}
    held = {}
    for var, s in states.items():
        shape = [batch if d == -1 else d for d in next(v for k, v in shapes.items() if var.startswith(k))]
        dtype = np.int32 if "steps" in var else np.float32  # the CPU plugin takes int32 for int64 variables
        held[var] = np.zeros(shape, dtype)
    times = []
    for i in range(20 + steps):
        t0 = time.perf_counter()
        for var, s in states.items():
            s.state = ov.Tensor(held[var])
        request.infer(inputs)
        for var, s in states.items():
            held[var] = s.state.data.astype(held[var].dtype)  # a copy; int64 back to the int32 the plugin takes
        if i >= 20:
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="*", default=list(MODELS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batches", default="1,16,64,256")
    args = parser.parse_args()
    core = ov.Core()
    print("OpenVINO %s, %d thread(s), %d timed steps; microseconds per step (set_state + infer + get_state)" % (
        ov.get_version(), args.threads, args.steps))
    for name in args.models:
        for b in (int(x) for x in args.batches.split(",")):
            print("%-14s batch %4d  %9.1f us" % (name, b, measure(core, name, b, args.threads, args.steps)))


if __name__ == "__main__":
    main()
