#!/usr/bin/env python3
"""Builds the ONNX models of this repository: the models a user would write for Triton's example
programs (triton-inference-server/client src/python/examples), so those programs' calls can be
checked against OvStateful. Each model answers the way the example program checks it:

  simple, simple_int8   INPUT0, INPUT1 [B,16] -> OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1
  simple_string         the same on BYTES: each element the decimal text of an integer
  simple_identity       BYTES INPUT0 [B,16] -> OUTPUT0, unchanged (embedded zeros and raw bytes too)
  simple_sequence       INPUT [B,1] -> OUTPUT = INPUT + START; its running sum is the state <<<SUM_IN, SUM_OUT>>>
  simple_dyna_sequence  OUTPUT = INPUT + START + END * CORRID (uint64 CORRID, truncated to int32), no state
  simple_string_dyna_sequence
                        the dyna_sequence backend's accumulator: START sets it to INPUT, later steps add
                        INPUT, END adds the correlation id (a TYPE_STRING CORRID, fed to the model as a
                        string and parsed by it); the accumulator is Triton implicit state ACC_IN/ACC_OUT
  string_accumulate     (ours) a stateful model with a BYTES input: TEXT [B,1] holds an integer's text,
                        TOTAL = running sum of those integers (state <<<TOTAL_IN, TOTAL_OUT>>>), also
                        returned as text in TOTAL_TEXT

Run with Debian's python3-onnx: /usr/bin/python3 make_triton_examples.py
"""
import os
import onnx
from onnx import TensorProto, helper

here = os.path.dirname(os.path.abspath(__file__))
I32, I8, STR, U64 = TensorProto.INT32, TensorProto.INT8, TensorProto.STRING, TensorProto.UINT64


def t(name, elem, inner):
    return helper.make_tensor_value_info(name, elem, ["batch", inner])


def save(model_name, nodes, inputs, outputs):
    graph = helper.make_graph(nodes, model_name, inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="ovstateful-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    folder = os.path.join(here, model_name, "1")
    os.makedirs(folder, exist_ok=True)
    onnx.save(model, os.path.join(folder, "model.onnx"))


def add_sub(model_name, elem):
    save(model_name,
         [helper.make_node("Add", ["INPUT0", "INPUT1"], ["OUTPUT0"]),
          helper.make_node("Sub", ["INPUT0", "INPUT1"], ["OUTPUT1"])],
         [t("INPUT0", elem, 16), t("INPUT1", elem, 16)],
         [t("OUTPUT0", elem, 16), t("OUTPUT1", elem, 16)])


add_sub("simple", I32)
add_sub("simple_int8", I8)

save("simple_string",
     [helper.make_node("Cast", ["INPUT0"], ["A"], to=I32),
      helper.make_node("Cast", ["INPUT1"], ["B"], to=I32),
      helper.make_node("Add", ["A", "B"], ["SUM"]),
      helper.make_node("Sub", ["A", "B"], ["DIFF"]),
      helper.make_node("Cast", ["SUM"], ["OUTPUT0"], to=STR),
      helper.make_node("Cast", ["DIFF"], ["OUTPUT1"], to=STR)],
     [t("INPUT0", STR, 16), t("INPUT1", STR, 16)],
     [t("OUTPUT0", STR, 16), t("OUTPUT1", STR, 16)])

save("simple_identity",
     [helper.make_node("Identity", ["INPUT0"], ["OUTPUT0"])],
     [t("INPUT0", STR, 16)],
     [t("OUTPUT0", STR, 16)])

save("simple_sequence",
     [helper.make_node("Add", ["INPUT", "START"], ["OUTPUT"]),
      helper.make_node("Add", ["SUM_IN", "INPUT"], ["SUM_OUT"])],
     [t("INPUT", I32, 1), t("START", I32, 1), t("SUM_IN", I32, 1)],
     [t("OUTPUT", I32, 1), t("SUM_OUT", I32, 1)])

save("simple_dyna_sequence",
     [helper.make_node("Add", ["INPUT", "START"], ["X"]),
      helper.make_node("Cast", ["CORRID"], ["CID"], to=I32),
      helper.make_node("Mul", ["END", "CID"], ["ENDCID"]),
      helper.make_node("Add", ["X", "ENDCID"], ["OUTPUT"])],
     [t("INPUT", I32, 1), t("START", I32, 1), t("END", I32, 1), t("READY", I32, 1), t("CORRID", U64, 1)],
     [t("OUTPUT", I32, 1)])

save("simple_string_dyna_sequence",
     [helper.make_node("Cast", ["START"], ["STARTB"], to=TensorProto.BOOL),
      helper.make_node("Add", ["ACC_IN", "INPUT"], ["SUM"]),
      helper.make_node("Where", ["STARTB", "INPUT", "SUM"], ["ACC"]),
      helper.make_node("Cast", ["CORRID"], ["CID"], to=I32),
      helper.make_node("Mul", ["END", "CID"], ["ENDCID"]),
      helper.make_node("Add", ["ACC", "ENDCID"], ["OUTPUT"]),
      helper.make_node("Identity", ["OUTPUT"], ["ACC_OUT"])],
     [t("INPUT", I32, 1), t("START", I32, 1), t("END", I32, 1), t("READY", I32, 1), t("CORRID", STR, 1), t("ACC_IN", I32, 1)],
     [t("OUTPUT", I32, 1), t("ACC_OUT", I32, 1)])

save("string_accumulate",
     [helper.make_node("Cast", ["TEXT"], ["VALUE"], to=I32),
      helper.make_node("Add", ["TOTAL_IN", "VALUE"], ["TOTAL_OUT"]),
      helper.make_node("Identity", ["TOTAL_OUT"], ["TOTAL"]),
      helper.make_node("Cast", ["TOTAL_OUT"], ["TOTAL_TEXT"], to=STR)],
     [t("TEXT", STR, 1), t("TOTAL_IN", I32, 1)],
     [t("TOTAL", I32, 1), t("TOTAL_TEXT", STR, 1), t("TOTAL_OUT", I32, 1)])
