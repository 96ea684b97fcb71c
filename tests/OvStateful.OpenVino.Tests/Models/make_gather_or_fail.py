#!/usr/bin/env python3
"""Builds gather_or_fail.onnx: gather_state (../../OvStateful.Testing/Models) made to fail in OpenVINO too.

Inputs:  index INT64 [B, 1], Sum_In FP32 [B, 4]
Outputs: Row FP32 [B, 4] = table[index], Sum_Out FP32 [B, 4] = Sum_In + table[index]
table is 8x4 with table[i][j] = i * 10 + j. OpenVINO's Gather answers zeros for an index outside
0..7 instead of failing, so Row is also reshaped to [B, 4 + (max(index) >= 8)]: for a bad index
that shape does not hold the 4B values and the run fails, in OpenVINO as in ONNX Runtime.
Run with Debian's python3-onnx: /usr/bin/python3 make_gather_or_fail.py
"""
import os
import onnx
from onnx import TensorProto, helper

table = [float(i * 10 + j) for i in range(8) for j in range(4)]
nodes = [
    helper.make_node("Squeeze", ["index", "axes1"], ["idx"]),
    helper.make_node("Gather", ["table", "idx"], ["gathered"], axis=0),
    helper.make_node("ReduceMax", ["index"], ["top"], keepdims=0),
    helper.make_node("GreaterOrEqual", ["top", "eight"], ["bad"]),
    helper.make_node("Cast", ["bad"], ["extra"], to=TensorProto.INT64),
    helper.make_node("Add", ["four", "extra"], ["width"]),
    helper.make_node("Reshape", ["width", "one"], ["width1"]),
    helper.make_node("Shape", ["gathered"], ["shape"], start=0, end=1),
    helper.make_node("Concat", ["shape", "width1"], ["target"], axis=0),
    helper.make_node("Reshape", ["gathered", "target"], ["Row"]),
    helper.make_node("Add", ["Sum_In", "Row"], ["Sum_Out"]),
]
graph = helper.make_graph(
    nodes, "gather_or_fail",
    [helper.make_tensor_value_info("index", TensorProto.INT64, ["batch", 1]),
     helper.make_tensor_value_info("Sum_In", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("Row", TensorProto.FLOAT, ["batch", 4]),
     helper.make_tensor_value_info("Sum_Out", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor("table", TensorProto.FLOAT, [8, 4], table),
     helper.make_tensor("axes1", TensorProto.INT64, [1], [1]),
     helper.make_tensor("eight", TensorProto.INT64, [], [8]),
     helper.make_tensor("four", TensorProto.INT64, [], [4]),
     helper.make_tensor("one", TensorProto.INT64, [1], [1])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="ovstateful-tests")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gather_or_fail.onnx"))
