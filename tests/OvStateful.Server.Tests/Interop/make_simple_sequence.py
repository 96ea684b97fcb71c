#!/usr/bin/env python3
"""Builds simple_sequence/1/model.onnx: a stateful model that answers the way Triton's
`simple_sequence` example model does, so Triton's stream sequence clients can check it.

Inputs:  INPUT INT32 [B, 1], START INT32 [B, 1] (1 on a sequence's first step), SUM_IN INT32 [B, 1]
Outputs: OUTPUT INT32 [B, 1] = INPUT + START, SUM_OUT INT32 [B, 1] = SUM_IN + INPUT
The running sum is the sequence's state (<<<SUM_IN, SUM_OUT>>>), kept on the server.
Run with Debian's python3-onnx: /usr/bin/python3 make_simple_sequence.py
"""
import os
import onnx
from onnx import TensorProto, helper

def tensor(name):
    return helper.make_tensor_value_info(name, TensorProto.INT32, ["batch", 1])

graph = helper.make_graph(
    [helper.make_node("Add", ["INPUT", "START"], ["OUTPUT"]),
     helper.make_node("Add", ["SUM_IN", "INPUT"], ["SUM_OUT"])],
    "simple_sequence",
    [tensor("INPUT"), tensor("START"), tensor("SUM_IN")],
    [tensor("OUTPUT"), tensor("SUM_OUT")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="ovstateful-tests")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(os.path.dirname(os.path.abspath(__file__)), "simple_sequence", "1", "model.onnx"))
