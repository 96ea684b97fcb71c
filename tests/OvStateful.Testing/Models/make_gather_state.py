#!/usr/bin/env python3
"""Builds gather_state.onnx: a stateful model whose run fails on bad input, for atomicity tests.

Inputs:  index INT64 [B, 1], Sum_In FP32 [B, 4]
Outputs: Row FP32 [B, 4] = table[index], Sum_Out FP32 [B, 4] = Sum_In + table[index]
table is 8x4 with table[i][j] = i * 10 + j. An index outside 0..7 makes ONNX Runtime's
Gather fail, so a batch holding one bad step fails as a whole.
Run with Debian's python3-onnx: /usr/bin/python3 make_gather_state.py
"""
import os
import onnx
from onnx import TensorProto, helper

table = [float(i * 10 + j) for i in range(8) for j in range(4)]
nodes = [
    helper.make_node("Squeeze", ["index", "axes1"], ["idx"]),
    helper.make_node("Gather", ["table", "idx"], ["Row"], axis=0),
    helper.make_node("Add", ["Sum_In", "Row"], ["Sum_Out"]),
]
graph = helper.make_graph(
    nodes, "gather_state",
    [helper.make_tensor_value_info("index", TensorProto.INT64, ["batch", 1]),
     helper.make_tensor_value_info("Sum_In", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("Row", TensorProto.FLOAT, ["batch", 4]),
     helper.make_tensor_value_info("Sum_Out", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor("table", TensorProto.FLOAT, [8, 4], table),
     helper.make_tensor("axes1", TensorProto.INT64, [1], [1])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="ovstateful-tests")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gather_state.onnx"))
