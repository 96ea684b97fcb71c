#!/usr/bin/env python3
"""Builds the ONNX models of the `pipe` repository (run with /usr/bin/python3, Debian's python3-onnx).

    /usr/bin/python3 tests/OvStateful.Server.Tests/Pipelines/make_pipe_repo.py

The repository mirrors ../shared/triton/example-repo: `pipe` (its config.pbtxt is Triton's,
unchanged) runs `scale` (Y = X * 2, stateless) then `accumulate` (a running sum per sequence),
with the same tensor names, types and shapes as Triton's Python-backend models. Here the two
steps are ONNX models, `accumulate` keeping its sum in a Triton implicit state (acc_in/acc_out).
Writes pipe-repo/scale/1/model.onnx and pipe-repo/accumulate/1/model.onnx (byte-stable).
"""

import os
import sys

import onnx
from onnx import TensorProto, helper

OPSET = 17
IR_VERSION = 8
BATCH = "batch"


def _finish(graph, doc):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="ovstateful-tests", producer_version="1", doc_string=doc)
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def build_scale():
    """Y = X * 2; X, Y INT32 [batch, 1]."""
    graph = helper.make_graph(
        [helper.make_node("Mul", ["X", "two"], ["Y"], name="scale")], "scale",
        [helper.make_tensor_value_info("X", TensorProto.INT32, [BATCH, 1])],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, [BATCH, 1])],
        [helper.make_tensor("two", TensorProto.INT32, [], [2])])
    return _finish(graph, "Y = X * 2")


def build_accumulate():
    """OUTPUT = acc_in + INPUT; acc_out = OUTPUT; all INT32 [batch, 1] (acc_in/acc_out: the state)."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["acc_in", "INPUT"], ["OUTPUT"], name="sum"),
         helper.make_node("Identity", ["OUTPUT"], ["acc_out"], name="state")], "accumulate",
        [helper.make_tensor_value_info("INPUT", TensorProto.INT32, [BATCH, 1]),
         helper.make_tensor_value_info("acc_in", TensorProto.INT32, [BATCH, 1])],
        [helper.make_tensor_value_info("OUTPUT", TensorProto.INT32, [BATCH, 1]),
         helper.make_tensor_value_info("acc_out", TensorProto.INT32, [BATCH, 1])])
    return _finish(graph, "running sum per sequence: OUTPUT = acc_in + INPUT, acc_out = OUTPUT")


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pipe-repo")
    for name, model in (("scale", build_scale()), ("accumulate", build_accumulate())):
        path = os.path.join(root, name, "1", "model.onnx")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(model.SerializeToString())
        print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
