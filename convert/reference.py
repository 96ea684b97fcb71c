#!/usr/bin/env python3
"""Reference step functions of the example models and the golden data built from them.

    /usr/bin/python3 convert/reference.py            # write convert/golden/<model>.json
    /usr/bin/python3 convert/reference.py --check    # also evaluate the .onnx graphs (numpy)
                                                     # and compare them with the goldens

accumulate and gru_counter are computed here in pure Python (float64, from the same
float32-exact parameters as the graphs; see example_params.py), independently of the ONNX
graphs. --check then runs each graph with convert/onnx_eval.py (numpy, float32), one
sequence per call and all sequences batched in one call, and compares.

silero_vad has no formula to write by hand: its golden data comes from evaluating the
model file (models/silero_vad/1/model.onnx, fetched by the build) with onnx_eval.py; it is
skipped with a message when the file or numpy is missing.

Golden file layout (convert/golden/<model>.json):
    tolerance   {"rtol", "atol"}: |actual - expected| <= atol + rtol * |expected|
    states      [{input, output, datatype, slot_shape, batch_axis}]: slot_shape is the model's
                state shape with the batch axis set to 1 (one sequence's state)
    sequences   [{sequence_id, initial_states {state input: flat values}, steps [...]}]
    steps       {start, end, inputs, outputs, states}: inputs/outputs are what a client sends
                and receives ({datatype, shape, data}; shape = [1] + config dims with -1 as 1,
                data flat row-major); states {state output: flat values} is each state after
                the step (what the next step reads); silero_vad lists it on the last step only.
"""

import argparse
import json
import math
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import example_params as P  # noqa: E402

SEQUENCES = 3
STEPS = 5


def f32(v):
    """Rounds a Python float to the nearest float32 value."""
    return struct.unpack("<f", struct.pack("<f", v))[0]


def _json_float(v):
    """A float32-rounded value written with 9 significant digits (round-trips float32)."""
    return float("%.9g" % f32(v))


# ---------------------------------------------------------------------------------------------
# accumulate


def accumulate_step(rows, reset, state):
    """One slot's step. rows: 4 lists of 5 (Input[:, slot, :]); reset: ResetSequence;
    state: Accumulate_In [5]. Returns (Output rows 4 x 5, Accumulate_Out [5])."""
    prev = [0.0] * 5 if reset else list(state)
    new_state = [prev[j] + sum(rows[i][j] for i in range(4)) for j in range(5)]
    output = [[rows[i][j] + new_state[j] for j in range(5)] for i in range(4)]
    return output, new_state


def accumulate_inputs(seq, step):
    """Input [4, 5] for one step: multiples of 1/1024 in [-0.5, 0.5), exact sums in float32."""
    rng = P.Lcg(0xACC0 + 97 * seq + step)
    return [rng.vector(5) for _ in range(4)]


def golden_accumulate():
    sequences = []
    for s in range(SEQUENCES):
        # What the slot holds before START does not matter: ResetSequence discards it.
        state = [0.0] * 5
        steps = []
        for t in range(STEPS):
            rows = accumulate_inputs(s, t)
            out, state = accumulate_step(rows, t == 0, state)
            steps.append({
                "start": t == 0,
                "end": t == STEPS - 1,
                "inputs": {"Input": _tensor("FP32", [1, 4, 1, 5], rows)},
                "outputs": {"Output": _tensor("FP32", [1, 4, 1, 5], out)},
                "states": {"Accumulate_Out": _flat_float(state)},
            })
        sequences.append({"sequence_id": 1001 + s, "initial_states": {"Accumulate_In": [0.0] * 5}, "steps": steps})
    return {
        "model": "accumulate",
        "computed_by": "convert/reference.py accumulate_step (pure Python)",
        "notes": "ResetSequence (model input, from START) is true on each sequence's first step; "
                 "the state before START is irrelevant because the model discards it.",
        "tolerance": {"rtol": 0.0, "atol": 1e-6},
        "states": [{"input": "Accumulate_In", "output": "Accumulate_Out", "datatype": "FP32",
                    "slot_shape": [1, 5], "batch_axis": 0}],
        "sequences": sequences,
    }


# ---------------------------------------------------------------------------------------------
# gru_counter


def _sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


def _vec_mat(v, m):
    """v [n] @ m [n][k] -> [k]."""
    return [sum(v[i] * m[i][j] for i in range(len(v))) for j in range(len(m[0]))]


def gru_counter_step(w, x, h, steps):
    """One slot's step. x [8], h [16], steps int. Returns (y [4], step, h_out [16], steps_out)."""
    H = P.GRU_HIDDEN

    def pre(g, h_operand):
        a = _vec_mat(x, w["W_" + g])
        b = _vec_mat(h_operand, w["U_" + g])
        return [a[j] + b[j] + w["b_" + g][j] for j in range(H)]

    z = [_sigmoid(v) for v in pre("z", h)]
    r = [_sigmoid(v) for v in pre("r", h)]
    rh = [r[j] * h[j] for j in range(H)]
    n = [math.tanh(v) for v in pre("n", rh)]
    h_out = [(1.0 - z[j]) * n[j] + z[j] * h[j] for j in range(H)]
    steps_out = steps + 1
    hy = _vec_mat(h_out, w["W_y"])
    y = [math.tanh(hy[k] + w["b_y"][k]) * float(steps_out) for k in range(P.GRU_OUTPUT)]
    return y, steps_out, h_out, steps_out


def gru_counter_inputs(seq, step):
    """x [8] for one step: multiples of 1/512 in [-1, 1)."""
    rng = P.Lcg(0x6E0 + 131 * seq + step)
    return [2.0 * v for v in rng.vector(P.GRU_INPUT)]


def golden_gru_counter():
    w = P.gru_weights()
    sequences = []
    for s in range(SEQUENCES):
        h, counter = [0.0] * P.GRU_HIDDEN, P.COUNTER_START  # the config's initial_state
        steps = []
        for t in range(STEPS):
            x = gru_counter_inputs(s, t)
            y, step, h, counter = gru_counter_step(w, x, h, counter)
            steps.append({
                "start": t == 0,
                "end": t == STEPS - 1,
                "inputs": {"x": _tensor("FP32", [1, P.GRU_INPUT], x)},
                "outputs": {"y": _tensor("FP32", [1, P.GRU_OUTPUT], y),
                            "step": _tensor("INT64", [1, 1], [step])},
                "states": {"h_out": _flat_float(h), "steps_out": [counter]},
            })
        sequences.append({
            "sequence_id": 2001 + s,
            "initial_states": {"h_in": [0.0] * P.GRU_HIDDEN, "steps_in": [P.COUNTER_START]},
            "steps": steps,
        })
    return {
        "model": "gru_counter",
        "computed_by": "convert/reference.py gru_counter_step (pure Python, float64)",
        "notes": "initial_states are the config's initial_state: h zero_data, steps_in from "
                 "initial_state/counter_start.bin (int64 100), so the first step reports step 101.",
        "tolerance": {"rtol": 1e-4, "atol": 1e-4},
        "states": [
            {"input": "h_in", "output": "h_out", "datatype": "FP32", "slot_shape": [1, P.GRU_HIDDEN], "batch_axis": 0},
            {"input": "steps_in", "output": "steps_out", "datatype": "INT64", "slot_shape": [1, 1], "batch_axis": 0},
        ],
        "sequences": sequences,
    }


# ---------------------------------------------------------------------------------------------
# silero_vad (graph evaluation; needs numpy and the fetched model)

SILERO_FILE = os.path.join(HERE, "..", "models", "silero_vad", "1", "model.onnx")
SILERO_CHUNK = 512
SILERO_RATE = 16000


def silero_inputs(seq, step):
    """512 samples, multiples of 1/256: near-silence, a 440 Hz tone, and a noisy 200 Hz
    tone with a rising level, one per sequence."""
    rng = P.Lcg(0x5E1E20 + 7919 * seq + step)
    out = []
    for k in range(SILERO_CHUNK):
        n = step * SILERO_CHUNK + k
        noise = rng.value()
        if seq == 0:
            v = 0.01 * noise
        elif seq == 1:
            v = 0.5 * math.sin(2 * math.pi * 440.0 * n / SILERO_RATE)
        else:
            v = (0.1 + 0.1 * step) * math.sin(2 * math.pi * 200.0 * n / SILERO_RATE) + 0.2 * noise
        out.append(round(v * 256.0) / 256.0)
    return out


def golden_silero():
    try:
        import numpy as np
        import onnx
        import onnx_eval
    except ImportError as e:
        print("skip       silero_vad golden: %s (apt-get install -y python3-numpy python3-onnx)" % e)
        return None
    if not os.path.exists(SILERO_FILE):
        print("skip       silero_vad golden: %s is missing (eng/fetch-assets.sh silero)" % SILERO_FILE)
        return None
    model = onnx.load(SILERO_FILE)
    sequences = []
    for s in range(SEQUENCES):
        state = np.zeros((2, 1, 128), np.float32)
        steps = []
        for t in range(STEPS):
            x = silero_inputs(s, t)
            res = onnx_eval.run(model, {"input": np.array([x], np.float32), "state": state,
                                        "sr": np.array(SILERO_RATE, np.int64)})
            state = res["stateN"].astype(np.float32)
            steps.append({
                "start": t == 0,
                "end": t == STEPS - 1,
                "inputs": {"input": _tensor("FP32", [1, SILERO_CHUNK], x)},
                "outputs": {"output": _tensor("FP32", [1, 1], [float(res["output"].reshape(-1)[0])])},
            })
            if t == STEPS - 1:  # 256 values a step: keep the file small, the final state only
                steps[-1]["states"] = {"stateN": _flat_float(state.reshape(-1).tolist())}
        sequences.append({"sequence_id": 3001 + s, "initial_states": {"state": [0.0] * 256}, "steps": steps})
    return {
        "model": "silero_vad",
        "computed_by": "convert/onnx_eval.py evaluating models/silero_vad/1/model.onnx (numpy); "
                       "not an independent formula",
        "notes": "sr = 16000 (constant_inputs); state starts at zero. States are [2, 1, 128] "
                 "flattened row-major (batch axis 1 set to 1).",
        "tolerance": {"rtol": 1e-3, "atol": 1e-4},
        "states": [{"input": "state", "output": "stateN", "datatype": "FP32", "slot_shape": [2, 1, 128], "batch_axis": 1}],
        "sequences": sequences,
    }


# ---------------------------------------------------------------------------------------------
# helpers, writing and checking


def _flat(values):
    if values and isinstance(values[0], list):
        return [v for row in values for v in _flat(row)] if isinstance(values[0][0], list) else [v for row in values for v in row]
    return list(values)


def _flat_float(values):
    return [_json_float(v) for v in _flat(values)]


def _tensor(datatype, shape, values):
    data = _flat(values)
    count = 1
    for d in shape:
        count *= d
    assert len(data) == count, (shape, len(data))
    return {"datatype": datatype, "shape": shape,
            "data": [int(v) for v in data] if datatype.startswith("INT") else [_json_float(v) for v in data]}


def _write(golden, out_dir):
    path = os.path.join(out_dir, golden["model"] + ".json")
    # One line per list of numbers keeps the files small and diffable.
    text = re.sub(r"\[\s*([-+0-9.eE,\s]+?)\s*\]",
                  lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]",
                  json.dumps(golden, indent=1)) + "\n"
    os.makedirs(out_dir, exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    print("wrote      %s (%d bytes)" % (os.path.relpath(path), len(text)))


def _close(actual, expected, tol):
    return abs(actual - expected) <= tol["atol"] + tol["rtol"] * abs(expected)


def _compare(label, actual, expected, tol):
    """actual, expected: flat lists. Returns the number of mismatches (printing the first)."""
    if len(actual) != len(expected):
        print("MISMATCH   %s: %d values, expected %d" % (label, len(actual), len(expected)))
        return 1
    bad = [i for i, (a, e) in enumerate(zip(actual, expected)) if not _close(a, e, tol)]
    if bad:
        i = bad[0]
        print("MISMATCH   %s: %d of %d values, first at %d: %r vs %r" % (label, len(bad), len(actual), i, actual[i], expected[i]))
    return len(bad)


def graph_evaluator():
    """run(model_path, feeds) -> {output: ndarray} with onnx_eval.py (numpy)."""
    import onnx
    import onnx_eval

    cache = {}

    def run(path, feeds):
        if path not in cache:
            cache[path] = onnx.load(path)
        return onnx_eval.run(cache[path], feeds)
    return run


def check(goldens, run):
    """Runs the model files with run(model_path, feeds) and compares with the goldens, each
    step with all sequences batched in one call (and gru_counter also one sequence per call);
    returns the number of mismatches."""
    import numpy as np

    failures = 0
    models = os.path.join(HERE, "..", "models")
    g = goldens.get("accumulate")
    if g:
        # The Triton stateful backend's own accumulate_fp32 (../shared/conformance, when
        # present) must compute the same as ours.
        conformance = os.path.join(HERE, "..", "..", "shared", "conformance", "triton-stateful",
                                   "accumulate_fp32", "1", "accumulate_fp32.onnx")
        for model in [os.path.join(models, "accumulate", "1", "model.onnx")] + (
                [conformance] if os.path.exists(conformance) else []):
            name = "accumulate" if "conformance" not in model else "accumulate_fp32 (conformance)"
            tol = g["tolerance"]
            # One call per step with all sequences batched along axis 1 of Input (axis 0 of the state).
            state = np.full((SEQUENCES, 5), 123.0, np.float32)  # stale values: the reset must discard them
            for t in range(STEPS):
                x = np.stack([np.array(sq["steps"][t]["inputs"]["Input"]["data"], np.float32).reshape(4, 5)
                              for sq in g["sequences"]], axis=1)
                reset = np.full((SEQUENCES, 1), t == 0)
                res = run(model, {"Input": x, "ResetSequence": reset, "Accumulate_In": state})
                state = res["Accumulate_Out"]
                for s, sq in enumerate(g["sequences"]):
                    step = sq["steps"][t]
                    failures += _compare(name + " seq %d step %d Output" % (s, t),
                                         res["Output"][:, s, :].reshape(-1).tolist(), step["outputs"]["Output"]["data"], tol)
                    failures += _compare(name + " seq %d step %d Accumulate_Out" % (s, t),
                                         state[s].tolist(), step["states"]["Accumulate_Out"], tol)
    g = goldens.get("gru_counter")
    if g:
        model = os.path.join(models, "gru_counter", "1", "model.onnx")
        tol = g["tolerance"]
        for batched in (False, True):
            groups = [list(range(SEQUENCES))] if batched else [[s] for s in range(SEQUENCES)]
            for group in groups:
                h = np.zeros((len(group), P.GRU_HIDDEN), np.float32)
                c = np.full((len(group), 1), P.COUNTER_START, np.int64)
                for t in range(STEPS):
                    x = np.array([g["sequences"][s]["steps"][t]["inputs"]["x"]["data"] for s in group], np.float32)
                    res = run(model, {"x": x, "h_in": h, "steps_in": c})
                    h, c = res["h_out"], res["steps_out"]
                    for row, s in enumerate(group):
                        step = g["sequences"][s]["steps"][t]
                        label = "gru_counter %s seq %d step %d" % ("batched" if batched else "single", s, t)
                        failures += _compare(label + " y", res["y"][row].tolist(), step["outputs"]["y"]["data"], tol)
                        failures += _compare(label + " step", res["step"][row].tolist(), step["outputs"]["step"]["data"], tol)
                        failures += _compare(label + " h_out", h[row].tolist(), step["states"]["h_out"], tol)
                        failures += _compare(label + " steps_out", c[row].tolist(), step["states"]["steps_out"], tol)
    g = goldens.get("silero_vad")
    if g:
        # The golden came from single-sequence evaluation; batched evaluation (state batch
        # axis 1) must give the same numbers.
        tol = g["tolerance"]
        state = np.zeros((2, SEQUENCES, 128), np.float32)
        for t in range(STEPS):
            x = np.array([sq["steps"][t]["inputs"]["input"]["data"] for sq in g["sequences"]], np.float32)
            res = run(SILERO_FILE, {"input": x, "state": state, "sr": np.array(SILERO_RATE, np.int64)})
            state = res["stateN"]
            for s, sq in enumerate(g["sequences"]):
                step = sq["steps"][t]
                failures += _compare("silero_vad batched seq %d step %d output" % (s, t),
                                     res["output"][s].tolist(), step["outputs"]["output"]["data"], tol)
                if "states" in step:
                    failures += _compare("silero_vad batched seq %d step %d stateN" % (s, t),
                                         state[:, s, :].reshape(-1).tolist(), step["states"]["stateN"], tol)
    return failures


def main(argv=None):
    global SILERO_FILE
    parser = argparse.ArgumentParser(description="Write (and check) the example models' golden data.")
    parser.add_argument("--out", default=os.path.join(HERE, "golden"), help="folder for <model>.json")
    parser.add_argument("--check", action="store_true",
                        help="evaluate the .onnx graphs with onnx_eval.py (numpy) and compare")
    parser.add_argument("--check-ort", metavar="LIBONNXRUNTIME",
                        help="also run the models with this ONNX Runtime library (C API, via gcc-built "
                             "convert/ort/ortrun.c) and compare, e.g. the libonnxruntime.so any build puts beside its binaries")
    parser.add_argument("--silero-model", default=SILERO_FILE,
                        help="Silero VAD v5 model file (default: models/silero_vad/1/model.onnx)")
    args = parser.parse_args(argv)
    SILERO_FILE = args.silero_model
    goldens = {"accumulate": golden_accumulate(), "gru_counter": golden_gru_counter()}
    silero = golden_silero()
    if silero:
        goldens["silero_vad"] = silero
    for g in goldens.values():
        _write(g, args.out)
    failures = 0
    if args.check:
        n = check(goldens, graph_evaluator())
        print("check      onnx_eval: %s" % ("OK, graphs match the goldens" if n == 0 else "%d mismatches" % n))
        failures += n
    if args.check_ort:
        import ort_runner
        n = check(goldens, ort_runner.evaluator(args.check_ort))
        print("check      ONNX Runtime: %s" % ("OK, models match the goldens" if n == 0 else "%d mismatches" % n))
        failures += n
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
