#!/usr/bin/env python3
"""Builds the example models of the repository in models/ (run with /usr/bin/python3).

    apt-get install -y python3-onnx
    /usr/bin/python3 convert/make_examples.py [--models-dir models]

Writes, deterministically (same bytes on every run):
    models/accumulate/1/model.onnx           the Triton stateful backend's accumulate example
    models/gru_counter/1/model.onnx          a GRU cell + an int64 step counter (two state pairs)
    models/gru_counter/initial_state/counter_start.bin
                                             int64 little-endian COUNTER_START (Triton data_file)
    models/vad_frontend/1/model.onnx         the speech pipeline's front end: int16 PCM -> [-1, 1) floats
    models/vad_hangover/1/model.onnx         the speech pipeline's last step: speech probabilities ->
                                             speech start/end events with hysteresis and a hangover
Each model folder's config.pbtxt is written by hand and kept in git; this script does not
touch it. models/silero_vad/1/model.onnx is fetched by the build (eng/fetch-assets.sh).

Models use opset 17 and IR version 8 so that ONNX Runtime 1.29/1.30 and OpenVINO 2024/2025
read them. The symbolic dimension "batch" marks each tensor's batch axis.
"""

import argparse
import os
import struct
import sys

try:
    import onnx
    from onnx import TensorProto, helper
except ImportError:
    sys.exit("make_examples.py needs the onnx package: apt-get install -y python3-onnx "
             "(then run with /usr/bin/python3), or pip install onnx")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import example_params as P  # noqa: E402

OPSET = 17
IR_VERSION = 8
PRODUCER = "ovstateful-convert"
PRODUCER_VERSION = "1"
BATCH = "batch"


def _float_tensor(name, dims, values):
    """A float32 initializer stored as raw little-endian bytes (compact and byte-stable)."""
    flat = [v for row in values for v in row] if values and isinstance(values[0], list) else list(values)
    expected = 1
    for d in dims:
        expected *= d
    assert len(flat) == expected, (name, dims, len(flat))
    return helper.make_tensor(name, TensorProto.FLOAT, dims, struct.pack("<%df" % len(flat), *flat), raw=True)


def _int64_tensor(name, dims, values):
    return helper.make_tensor(name, TensorProto.INT64, dims, struct.pack("<%dq" % len(values), *values), raw=True)


def _finish(graph, doc):
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=PRODUCER,
        producer_version=PRODUCER_VERSION,
        doc_string=doc,
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def build_accumulate():
    """prev = ResetSequence ? 0 : Accumulate_In;  Accumulate_Out = prev + sum_rows(Input);
    Output = Input + Accumulate_Out (broadcast over the 4 rows).

    Input [4, batch, 5] FP32, ResetSequence [batch, 1] BOOL, Accumulate_In [batch, 5] FP32
    -> Output [4, batch, 5] FP32, Accumulate_Out [batch, 5] FP32.
    """
    inputs = [
        helper.make_tensor_value_info("Input", TensorProto.FLOAT, [4, BATCH, 5]),
        helper.make_tensor_value_info("ResetSequence", TensorProto.BOOL, [BATCH, 1]),
        helper.make_tensor_value_info("Accumulate_In", TensorProto.FLOAT, [BATCH, 5]),
    ]
    outputs = [
        helper.make_tensor_value_info("Output", TensorProto.FLOAT, [4, BATCH, 5]),
        helper.make_tensor_value_info("Accumulate_Out", TensorProto.FLOAT, [BATCH, 5]),
    ]
    initializers = [
        _float_tensor("Zero", [], [0.0]),
        _int64_tensor("Rows_Axis", [1], [0]),
    ]
    nodes = [
        # Where broadcasts [batch,1] x [] x [batch,5] -> [batch,5]: a reset row starts from 0.
        helper.make_node("Where", ["ResetSequence", "Zero", "Accumulate_In"], ["Accumulate_Prev"], name="Reset"),
        helper.make_node("ReduceSum", ["Input", "Rows_Axis"], ["Input_Sum"], name="SumRows", keepdims=0),
        helper.make_node("Add", ["Accumulate_Prev", "Input_Sum"], ["Accumulate_Out"], name="Accumulate"),
        helper.make_node("Add", ["Input", "Accumulate_Out"], ["Output"], name="AddState"),
    ]
    graph = helper.make_graph(nodes, "accumulate", inputs, outputs, initializers)
    return _finish(graph, "Triton stateful backend accumulate semantics; state pair <<<Accumulate_In, Accumulate_Out>>>.")


def build_gru_counter():
    """A GRU cell (PyTorch gate order) plus an int64 step counter; two state pairs.

        z = sigmoid(x W_z + h U_z + b_z)         r = sigmoid(x W_r + h U_r + b_r)
        n = tanh(x W_n + (r * h) U_n + b_n)      h_out = (1 - z) * n + z * h
        steps_out = steps_in + 1                 step = steps_out
        y = tanh(h_out W_y + b_y) * float(steps_out)

    x [batch, 8] FP32, h_in [batch, 16] FP32, steps_in [batch, 1] INT64
    -> y [batch, 4] FP32, step [batch, 1] INT64, h_out [batch, 16] FP32, steps_out [batch, 1] INT64.
    """
    w = P.gru_weights()
    H, I, O = P.GRU_HIDDEN, P.GRU_INPUT, P.GRU_OUTPUT
    inputs = [
        helper.make_tensor_value_info("x", TensorProto.FLOAT, [BATCH, I]),
        helper.make_tensor_value_info("h_in", TensorProto.FLOAT, [BATCH, H]),
        helper.make_tensor_value_info("steps_in", TensorProto.INT64, [BATCH, 1]),
    ]
    outputs = [
        helper.make_tensor_value_info("y", TensorProto.FLOAT, [BATCH, O]),
        helper.make_tensor_value_info("step", TensorProto.INT64, [BATCH, 1]),
        helper.make_tensor_value_info("h_out", TensorProto.FLOAT, [BATCH, H]),
        helper.make_tensor_value_info("steps_out", TensorProto.INT64, [BATCH, 1]),
    ]
    initializers = []
    for gate in ("z", "r", "n"):
        initializers.append(_float_tensor("W_" + gate, [I, H], w["W_" + gate]))
        initializers.append(_float_tensor("U_" + gate, [H, H], w["U_" + gate]))
        initializers.append(_float_tensor("b_" + gate, [H], w["b_" + gate]))
    initializers += [
        _float_tensor("W_y", [H, O], w["W_y"]),
        _float_tensor("b_y", [O], w["b_y"]),
        _float_tensor("One_F", [], [1.0]),
        _int64_tensor("One_I64", [], [1]),
    ]
    nodes = []

    def gate(g, h_operand, act):
        nodes.extend([
            helper.make_node("MatMul", ["x", "W_" + g], ["xW_" + g], name="xW_" + g),
            helper.make_node("MatMul", [h_operand, "U_" + g], ["hU_" + g], name="hU_" + g),
            helper.make_node("Add", ["xW_" + g, "hU_" + g], ["pre0_" + g], name="pre0_" + g),
            helper.make_node("Add", ["pre0_" + g, "b_" + g], ["pre_" + g], name="pre_" + g),
            helper.make_node(act, ["pre_" + g], [g], name="act_" + g),
        ])

    gate("z", "h_in", "Sigmoid")
    gate("r", "h_in", "Sigmoid")
    nodes.append(helper.make_node("Mul", ["r", "h_in"], ["rh"], name="rh"))
    gate("n", "rh", "Tanh")
    nodes += [
        helper.make_node("Sub", ["One_F", "z"], ["one_minus_z"], name="one_minus_z"),
        helper.make_node("Mul", ["one_minus_z", "n"], ["keep_new"], name="keep_new"),
        helper.make_node("Mul", ["z", "h_in"], ["keep_old"], name="keep_old"),
        helper.make_node("Add", ["keep_new", "keep_old"], ["h_out"], name="h_out"),
        helper.make_node("Add", ["steps_in", "One_I64"], ["steps_out"], name="count"),
        helper.make_node("Identity", ["steps_out"], ["step"], name="step"),
        helper.make_node("MatMul", ["h_out", "W_y"], ["hW_y"], name="hW_y"),
        helper.make_node("Add", ["hW_y", "b_y"], ["y_pre"], name="y_pre"),
        helper.make_node("Tanh", ["y_pre"], ["y_unit"], name="y_unit"),
        helper.make_node("Cast", ["steps_out"], ["steps_f"], name="steps_f", to=TensorProto.FLOAT),
        helper.make_node("Mul", ["y_unit", "steps_f"], ["y"], name="y"),
    ]
    graph = helper.make_graph(nodes, "gru_counter", inputs, outputs, initializers)
    return _finish(graph, "GRU cell (input 8, hidden 16) + int64 step counter; state pairs "
                          "<<<h_in, h_out>>> and <<<steps_in, steps_out>>>.")


HANGOVER_ON = 0.5         # probability at which speech starts (Silero's threshold)
HANGOVER_OFF = 0.35       # below this a frame counts as silence (Silero's threshold - 0.15)
HANGOVER_FRAMES = 4       # silent frames (32 ms each) that end speech: ~128 ms, Silero's min_silence_duration_ms 100 rounded up


def build_vad_frontend():
    """audio = Cast(pcm, float) / 32768: pcm INT16 [batch, 512] -> audio FP32 [batch, 512]."""
    graph = helper.make_graph(
        [helper.make_node("Cast", ["pcm"], ["pcm_f"], to=TensorProto.FLOAT, name="cast"),
         helper.make_node("Mul", ["pcm_f", "scale"], ["audio"], name="normalise")], "vad_frontend",
        [helper.make_tensor_value_info("pcm", TensorProto.INT16, [BATCH, 512])],
        [helper.make_tensor_value_info("audio", TensorProto.FLOAT, [BATCH, 512])],
        [_float_tensor("scale", [], [1.0 / 32768.0])])
    return _finish(graph, "int16 PCM at 16 kHz, 512 samples a step, to floats in [-1, 1)")


def build_vad_hangover():
    """Speech start/end decisions from Silero's per-frame probability, per sequence.

    State speaking_in/out [batch, 1] FP32 (0 or 1) and silence_in/out [batch, 1] FP32 (silent frames
    counted while speaking). start = not speaking and prob >= ON; while speaking a frame with
    prob < OFF counts as silent, any other resets the count; FRAMES silent frames in a row end it.
    Outputs: event INT32 [batch, 1] (1 speech starts, -1 speech ends, 0 otherwise),
    speaking INT32 [batch, 1] (1 while in speech, after this frame).
    """
    F = TensorProto.FLOAT
    inputs = [
        helper.make_tensor_value_info("prob", F, [BATCH, 1]),
        helper.make_tensor_value_info("speaking_in", F, [BATCH, 1]),
        helper.make_tensor_value_info("silence_in", F, [BATCH, 1]),
    ]
    outputs = [
        helper.make_tensor_value_info("event", TensorProto.INT32, [BATCH, 1]),
        helper.make_tensor_value_info("speaking", TensorProto.INT32, [BATCH, 1]),
        helper.make_tensor_value_info("speaking_out", F, [BATCH, 1]),
        helper.make_tensor_value_info("silence_out", F, [BATCH, 1]),
    ]
    initializers = [_float_tensor(n, [], [v]) for n, v in
                    (("on", HANGOVER_ON), ("off", HANGOVER_OFF), ("frames", float(HANGOVER_FRAMES)), ("half", 0.5), ("one", 1.0), ("zero", 0.0))]
    nodes = [
        helper.make_node("GreaterOrEqual", ["prob", "on"], ["loud"]),
        helper.make_node("Less", ["prob", "off"], ["quiet"]),
        helper.make_node("Greater", ["speaking_in", "half"], ["was"]),
        helper.make_node("Not", ["was"], ["was_not"]),
        helper.make_node("And", ["was_not", "loud"], ["start"]),
        helper.make_node("Add", ["silence_in", "one"], ["silence_inc"]),
        helper.make_node("Where", ["quiet", "silence_inc", "zero"], ["silence_if"]),
        helper.make_node("Mul", ["silence_if", "speaking_in"], ["silence_next"]),
        helper.make_node("GreaterOrEqual", ["silence_next", "frames"], ["long_quiet"]),
        helper.make_node("And", ["was", "long_quiet"], ["end"]),
        helper.make_node("Where", ["end", "zero", "speaking_in"], ["kept"]),
        helper.make_node("Where", ["start", "one", "kept"], ["speaking_out"]),
        helper.make_node("Where", ["end", "zero", "silence_next"], ["silence_out"]),
        helper.make_node("Cast", ["start"], ["start_i"], to=TensorProto.INT32),
        helper.make_node("Cast", ["end"], ["end_i"], to=TensorProto.INT32),
        helper.make_node("Sub", ["start_i", "end_i"], ["event"]),
        helper.make_node("Cast", ["speaking_out"], ["speaking"], to=TensorProto.INT32),
    ]
    graph = helper.make_graph(nodes, "vad_hangover", inputs, outputs, initializers)
    return _finish(graph, "speech start/end from VAD probabilities: on %.2f, off %.2f, %d silent frames end speech"
                   % (HANGOVER_ON, HANGOVER_OFF, HANGOVER_FRAMES))


def _write_if_changed(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        with open(path, "rb") as f:
            if f.read() == data:
                print("unchanged  %s (%d bytes)" % (path, len(data)))
                return
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    print("wrote      %s (%d bytes)" % (path, len(data)))


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models-dir", default=os.path.join(here, "..", "models"),
                        help="model repository to write into (default: the repository's models/)")
    args = parser.parse_args(argv)
    root = os.path.normpath(args.models_dir)

    _write_if_changed(os.path.join(root, "accumulate", "1", "model.onnx"),
                      build_accumulate().SerializeToString())
    _write_if_changed(os.path.join(root, "gru_counter", "1", "model.onnx"),
                      build_gru_counter().SerializeToString())
    # Triton reads data_file from <model>/initial_state/ as raw row-major bytes of the
    # state's dims without the batch dimension: here one int64.
    _write_if_changed(os.path.join(root, "gru_counter", "initial_state", "counter_start.bin"),
                      struct.pack("<q", P.COUNTER_START))
    _write_if_changed(os.path.join(root, "vad_frontend", "1", "model.onnx"), build_vad_frontend().SerializeToString())
    _write_if_changed(os.path.join(root, "vad_hangover", "1", "model.onnx"), build_vad_hangover().SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
