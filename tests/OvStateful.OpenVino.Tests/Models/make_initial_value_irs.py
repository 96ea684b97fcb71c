#!/usr/bin/env python3
"""Builds two stateful OpenVINO IRs whose ReadValue variables start from the model's own values.

initial_values.xml (+ .bin): input x FP32 [B, 3]; variables
  acc   FP32 [B, 3], initializer the constant [[1, 2, 3]];
  seed  FP32 [B, 3], initializer Broadcast(5, ShapeOf(x)): computed from x's shape only, so it
        folds to a constant once the batch is fixed;
  acc' = acc + x, seed' = seed * 2; outputs y = acc' + seed' (after the step).
computed_initial.xml (+ .bin): input x FP32 [B, 3]; variable
  run   FP32 [B, 3], initializer x * 0 + 7: computed from x's values, so only the plugin's
        reset() can produce it; run' = run + x; output y = run'.
Run with Debian's python3 + python3-numpy and OpenVINO's Python package:
  PYTHONPATH=../shared /usr/bin/python3 tests/OvStateful.OpenVino.Tests/Models/make_initial_value_irs.py
"""
import os

import numpy as np
import openvino as ov
from openvino import opset13 as ops
from openvino import opset6

here = os.path.dirname(os.path.abspath(__file__))


def named(node, name):
    node.output(0).get_tensor().set_names({name})
    return node


def initial_values():
    x = ops.parameter([-1, 3], np.float32, name="x")
    x.output(0).get_tensor().set_names({"x"})
    acc = opset6.read_value(ops.constant(np.array([[1, 2, 3]], np.float32)), "acc", np.float32, [-1, 3])
    five = ops.broadcast(ops.constant(np.float32(5)), ops.shape_of(x))
    seed = opset6.read_value(five, "seed", np.float32, [-1, 3])
    acc_next = ops.add(acc, x)
    seed_next = ops.multiply(seed, ops.constant(np.float32(2)))
    y = named(ops.add(acc_next, seed_next), "y")
    sinks = [opset6.assign(acc_next, "acc"), opset6.assign(seed_next, "seed")]
    return ov.Model([ops.result(y)], sinks, [x], "initial_values")


def computed_initial():
    x = ops.parameter([-1, 3], np.float32, name="x")
    x.output(0).get_tensor().set_names({"x"})
    seven = ops.add(ops.multiply(x, ops.constant(np.float32(0))), ops.constant(np.float32(7)))
    run = opset6.read_value(seven, "run", np.float32, [-1, 3])
    nxt = named(ops.add(run, x), "y")
    return ov.Model([ops.result(nxt)], [opset6.assign(nxt, "run")], [x], "computed_initial")


for name, model in (("initial_values", initial_values()), ("computed_initial", computed_initial())):
    ov.save_model(model, os.path.join(here, name + ".xml"), compress_to_fp16=False)
    print("wrote", name + ".xml", [v.get_info().variable_id for v in model.get_variables()] if hasattr(model, "get_variables") else "")
