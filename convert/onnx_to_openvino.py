#!/usr/bin/env python3
"""Converts an ONNX model with state pairs into a stateful OpenVINO IR (ReadValue/Assign).

    python3 convert/onnx_to_openvino.py models/silero_vad               # a Triton model folder
    python3 convert/onnx_to_openvino.py model.onnx --pair h_in:h_out --pair c_in:c_out -o out.xml
    python3 convert/onnx_to_openvino.py models/accumulate --batch 1 --dry-run

Needs OpenVINO's Python package (2024.x to 2026.x: `pip install openvino`; or, with its wheel's
openvino/ folder unpacked somewhere, PYTHONPATH=<that folder's parent> and numpy); --dry-run needs
only the standard library (and reads model shapes when python `onnx` is importable).

What it does, in order:
 1. core.read_model(onnx) with openvino.Core.
 2. Constant inputs (config parameter `constant_inputs`, or --constant NAME=VALUE, e.g.
    Silero's sr=16000) become Constants, so the IR has no such Parameter.
 3. With --batch N (and --shape NAME=d0,d1,...), model.reshape() fixes each input's batch
    axis to N (and any other dims given), so the variables get a static shape.
 4. openvino passes: Manager() + MakeStateful({state input: state output}) replaces every
    pair's Parameter and Result with a ReadValue/Assign on one Variable. The variable id is
    the two tensor names concatenated (input + output, no separator), e.g. "statestateN";
    an InferRequest's query_state() lists them under those names.
 5. openvino.save_model(model, out.xml, compress_to_fp16=False unless --fp16).

State pairs come from, in this order: --pair IN:OUT / --state-pairs "<<<IN, OUT>>>"; else the
config.pbtxt beside the model (parameter `state_pairs`, the Triton stateful backend's form,
and/or Triton's implicit state `sequence_batching { state [ {input_name, output_name} ] }`).

Batch axes (for --batch): a state input's batch axis is its one dynamic dimension in the
ONNX file (Silero's state [2, batch, 128]: axis 1). A config input's shape follows the
config's dims: when the dims have the model input's rank they are the whole shape with -1
at the batch axis (the stateful backend's convention, e.g. accumulate's [4, -1, 5]); when
they have one dimension less, the batch dimension is a leading axis 0 (Triton's standard
convention with max_batch_size > 0, e.g. Silero's [512] for [batch, 512]). Any other input
with exactly one dynamic dimension gets N there.

Initial state: MakeStateful's ReadValue has no initializer, so a variable starts at zero
(and starts again at zero after reset()). A Triton initial_state with data_file (e.g.
gru_counter's counter starting at 100) is not baked into the IR: the server sets it through
the state API (VariableState.state = tensor) at sequence start; the script says so.

MakeStateful versus LowLatency2:
  * MakeStateful works on the model's interface: it takes Parameter/Result pairs that
    the model already exposes (state in, state out) and turns each into one variable.
    That is the right pass for every model in models/ and for any ONNX export with
    explicit state tensors (Silero VAD, the accumulate example, a GRU/LSTM cell whose
    h/c are inputs and outputs). The variables keep the pair's names.
  * LowLatency2 (--low-latency2) works inside the model: it finds TensorIterator/Loop
    bodies (and LSTM/GRU/RNNSequence ops) whose recurrent back edges or initial states
    are internal, puts a ReadValue/Assign on each (named after the op, e.g.
    "<op>/variable_0", not after any model input), and unrolls a one-iteration loop. Use it
    for models that take a whole sequence and loop internally (exported with a sequence
    axis, states not exposed) so that each infer processes one chunk and carries the
    recurrent state to the next. With use_const_initializer (the default) a variable's
    initial value is zeros; the original initial-state inputs no longer matter after the
    first inference. Run LowLatency2 before MakeStateful when a model needs both, and
    never on states that MakeStateful already turned into variables. Do not apply it to a
    model whose RNN states are already explicit inputs/outputs (Silero): that would add a
    second, hidden copy of the same state.
"""

import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pbtxt  # noqa: E402


class UsageError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# What to do (no OpenVINO needed)


class Plan:
    def __init__(self):
        self.onnx_path = None
        self.config_path = None
        self.output_path = None
        self.pairs = []            # [(state input, state output)], file/command-line order
        self.pair_source = ""
        self.constants = {}        # {input name: value string}
        self.initial_states = {}   # {state input: description} for non-zero initial states
        self.config_dims = {}      # {config input name: dims}, as the model sees them (input_context added)
        self.batch = None          # --batch N, or None to keep dynamic shapes
        self.shape_overrides = {}  # {input name: [dims]}
        self.model_shapes = None   # {input name: [dim or None]} when known
        self.shapes = {}           # {input name: [dims]} for model.reshape, -1 = dynamic
        self.notes = []


def _model_dir_layout(path, version):
    """A Triton model folder -> (onnx file, config.pbtxt or None)."""
    config = os.path.join(path, "config.pbtxt")
    cfg = pbtxt.load(config) if os.path.exists(config) else {}
    versions = sorted((int(d) for d in os.listdir(path) if d.isdigit() and os.path.isdir(os.path.join(path, d))))
    if version is None:
        if not versions:
            raise UsageError("%s holds no numeric version folder (expected e.g. %s/1/model.onnx)" % (path, path))
        version = versions[-1]
    params = pbtxt.parameters(cfg)
    filename = (params.get("onnx_file_name") or pbtxt.first(cfg, "default_model_filename") or "model.onnx")
    onnx_path = os.path.join(path, str(version), filename)
    if not os.path.exists(onnx_path):
        raise UsageError("model file %s does not exist" % onnx_path)
    return onnx_path, (config if cfg else None)


def _parse_pair(text):
    if ":" not in text:
        raise UsageError("--pair %r: expected INPUT:OUTPUT, e.g. --pair state:stateN" % text)
    a, b = (s.strip() for s in text.split(":", 1))
    if not a or not b:
        raise UsageError("--pair %r: both names are needed (INPUT:OUTPUT)" % text)
    return a, b


def _parse_constants(text, source):
    out = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        if "=" not in item:
            raise UsageError("%s %r: expected name=value[,name=value]" % (source, text))
        name, value = (s.strip() for s in item.split("=", 1))
        out[name] = value
    return out


def _parse_contexts(text):
    """The input_context parameter ("input:64,...") -> {input: length}."""
    out = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, _, length = item.rpartition(":")
        if not name or not length.strip().isdigit():
            raise UsageError("input_context %r: expected input:length, e.g. input:64" % text)
        out[name.strip()] = int(length)
    return out


def _parse_shape(text):
    m = re.fullmatch(r"\s*([^=\s]+)\s*=\s*\[?\s*(-?\d+(?:\s*,\s*-?\d+)*)\s*\]?\s*", text)
    if not m:
        raise UsageError("--shape %r: expected NAME=d0,d1,... (use -1 for a dynamic dim)" % text)
    return m.group(1), [int(v) for v in m.group(2).split(",")]


def _config_pairs(cfg):
    pairs, sources = [], []
    text = pbtxt.parameters(cfg).get("state_pairs")
    if text:
        pairs += pbtxt.parse_state_pairs(text)
        sources.append("parameter state_pairs")
    seq = pbtxt.first(cfg, "sequence_batching", {})
    states = seq.get("state", []) if isinstance(seq, dict) else []
    for s in states:
        a, b = pbtxt.first(s, "input_name"), pbtxt.first(s, "output_name")
        if not a or not b:
            raise UsageError("sequence_batching.state entry without input_name/output_name: %r" % s)
        pairs.append((a, b))
    if states:
        sources.append("sequence_batching.state")
    return pairs, " + ".join(sources)


def _initial_state_notes(cfg):
    out = {}
    seq = pbtxt.first(cfg, "sequence_batching", {})
    for s in (seq.get("state", []) if isinstance(seq, dict) else []):
        init = pbtxt.first(s, "initial_state")
        if isinstance(init, dict) and pbtxt.first(init, "data_file"):
            out[pbtxt.first(s, "input_name")] = "data_file %s (Triton: <model>/initial_state/%s)" % (
                pbtxt.first(init, "data_file"), pbtxt.first(init, "data_file"))
    return out


def _onnx_input_shapes(path):
    """{input name: [dim or None]} read with python onnx, or None when onnx is missing."""
    try:
        import onnx
    except ImportError:
        return None
    model = onnx.load(path, load_external_data=False)
    inits = {t.name for t in model.graph.initializer}
    shapes = {}
    for v in model.graph.input:
        if v.name in inits:
            continue
        dims = v.type.tensor_type.shape.dim
        shapes[v.name] = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    return shapes


def build_plan(args):
    plan = Plan()
    target = args.model
    if os.path.isdir(target):
        plan.onnx_path, plan.config_path = _model_dir_layout(target, args.version)
    elif os.path.isfile(target):
        plan.onnx_path = target
        beside = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(target))), "config.pbtxt")
        plan.config_path = os.path.exists(beside) and beside or None
    else:
        raise UsageError("%s is neither an ONNX file nor a model folder" % target)
    if args.config:
        plan.config_path = args.config
    if args.no_config:
        plan.config_path = None
    cfg = pbtxt.load(plan.config_path) if plan.config_path else {}

    # State pairs: the command line wins over the config.
    cli_pairs = [_parse_pair(p) for p in args.pair]
    if args.state_pairs:
        cli_pairs += pbtxt.parse_state_pairs(args.state_pairs)
    if cli_pairs:
        plan.pairs, plan.pair_source = cli_pairs, "command line"
    elif cfg:
        plan.pairs, plan.pair_source = _config_pairs(cfg)
        plan.pair_source = "%s (%s)" % (plan.config_path, plan.pair_source)
    if not plan.pairs and not args.low_latency2:
        raise UsageError("no state pairs: give --pair INPUT:OUTPUT, or a config.pbtxt with a state_pairs "
                         "parameter or a sequence_batching.state section (or use --low-latency2 alone)")
    seen_in, seen_out = set(), set()
    for a, b in plan.pairs:
        if a in seen_in or b in seen_out:
            raise UsageError("state pair <<<%s, %s>>> repeats a name already paired" % (a, b))
        seen_in.add(a)
        seen_out.add(b)

    if cfg:
        plan.constants.update(_parse_constants(pbtxt.parameters(cfg).get("constant_inputs", ""), "constant_inputs"))
        plan.initial_states = _initial_state_notes(cfg)
        contexts = _parse_contexts(pbtxt.parameters(cfg).get("input_context", ""))
        for i in cfg.get("input", []):
            name = pbtxt.first(i, "name")
            dims = [int(d) for d in i.get("dims", [])]
            if name in contexts and dims and dims[-1] > 0:
                # input_context (ours): the model sees the kept context before the new part, e.g. Silero's 64 + 512.
                dims[-1] += contexts[name]
            plan.config_dims[name] = dims
    for c in args.constant:
        plan.constants.update(_parse_constants(c, "--constant"))
    for name in plan.constants:
        if name in seen_in:
            raise UsageError("input %s is both a constant input and a state input" % name)

    plan.batch = args.batch
    for s in args.shape:
        name, dims = _parse_shape(s)
        plan.shape_overrides[name] = dims
    if plan.batch is not None and plan.batch < 1:
        raise UsageError("--batch %d: expected a positive batch size" % plan.batch)

    base, _ = os.path.splitext(plan.onnx_path)
    plan.output_path = args.output or base + ".xml"
    if not plan.output_path.endswith(".xml"):
        raise UsageError("-o %s: the IR file name must end in .xml (the weights go to .bin beside it)" % plan.output_path)
    return plan


def plan_shapes(plan, model_shapes):
    """Fills plan.shapes ({input: dims for reshape}) from the model's input shapes."""
    plan.model_shapes = model_shapes
    if plan.batch is None and not plan.shape_overrides:
        return
    state_inputs = {a for a, _ in plan.pairs}
    for name, dims in model_shapes.items():
        if name in plan.constants:
            continue
        if name in plan.shape_overrides:
            plan.shapes[name] = plan.shape_overrides[name]
            continue
        if plan.batch is None:
            continue
        dynamic = [i for i, d in enumerate(dims) if d is None]
        shape = [-1 if d is None else d for d in dims]
        cdims = plan.config_dims.get(name)
        if name in state_inputs:
            if len(dynamic) != 1:
                raise UsageError("state input %s has shape %s: expected exactly one dynamic dimension (its batch "
                                 "axis); give its shape with --shape %s=..." % (name, _fmt(dims), name))
            shape[dynamic[0]] = plan.batch
        elif cdims is not None and len(cdims) == len(dims):
            if cdims.count(-1) != 1:
                raise UsageError("config dims %s of %s: with the model's rank, expected exactly one -1 at the "
                                 "batch axis" % (cdims, name))
            shape = [plan.batch if d == -1 else d for d in cdims]
        elif cdims is not None and len(cdims) + 1 == len(dims):
            shape = [plan.batch] + cdims
            if -1 in cdims:
                plan.notes.append("%s keeps the config's variable dims %s dynamic" % (name, cdims))
        elif cdims is not None:
            raise UsageError("config dims %s of %s do not fit the model's shape %s" % (cdims, name, _fmt(dims)))
        elif len(dynamic) == 1:
            shape[dynamic[0]] = plan.batch
        elif dynamic:
            plan.notes.append("%s %s keeps its dynamic dims (no config dims; give --shape %s=...)" % (
                name, _fmt(dims), name))
        if shape != [-1 if d is None else d for d in dims]:
            plan.shapes[name] = shape
    for name in plan.shape_overrides:
        if name not in model_shapes:
            raise UsageError("--shape %s: the model has no input %s (inputs: %s)" % (name, name, ", ".join(model_shapes)))


def _fmt(dims):
    return "[" + ", ".join("?" if d is None or d == -1 else str(d) for d in dims) + "]"


def describe(plan):
    lines = [
        "model       %s" % plan.onnx_path,
        "config      %s" % (plan.config_path or "(none)"),
        "output      %s (+ .bin)" % plan.output_path,
        "pairs from  %s" % (plan.pair_source or "(none)"),
    ]
    for a, b in plan.pairs:
        lines.append("state pair  <<<%s, %s>>>  -> ReadValue/Assign variable \"%s\"" % (a, b, a + b))
    for a, init in plan.initial_states.items():
        lines.append("initial     %s: %s; the IR's variable starts at zero, the server sets this value" % (a, init))
    for name, value in plan.constants.items():
        lines.append("constant    %s = %s (the Parameter becomes a Constant)" % (name, value))
    if plan.model_shapes is None:
        lines.append("shapes      not inspected (python onnx not importable)")
    else:
        for name, dims in plan.model_shapes.items():
            target = plan.shapes.get(name)
            lines.append("input       %s %s%s" % (name, _fmt(dims), " -> reshape %s" % _fmt(target) if target else ""))
        missing = [n for p in plan.pairs for n in p[:1] if n not in plan.model_shapes]
        missing += [n for n in plan.constants if n not in plan.model_shapes]
        for n in missing:
            lines.append("WARNING     the model has no input %s" % n)
    for note in plan.notes:
        lines.append("note        %s" % note)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# OpenVINO


def _import_openvino():
    try:
        import openvino as ov
    except ImportError as e:
        raise SystemExit("onnx_to_openvino.py: OpenVINO's Python package is not installed (%s).\n"
                         "Install it with `pip install openvino` (2024.x to 2026.x), or run with --dry-run "
                         "to only print the state pairs and shapes it would apply." % e)
    try:
        from openvino import passes  # 2025.x
    except ImportError:
        from openvino.runtime import passes  # 2024.x
    try:
        import openvino.opset13 as ops  # 2025.x
    except ImportError:
        import openvino.runtime.opset13 as ops  # 2024.x
    return ov, passes, ops


def _find_parameter(model, name):
    for p in model.get_parameters():
        if name in p.output(0).get_names() or p.get_friendly_name() == name:
            return p
    names = sorted(n for p in model.get_parameters() for n in p.output(0).get_names())
    raise UsageError("the model has no input %s (inputs: %s)" % (name, ", ".join(names)))


def _fold_constant(model, ops, name, text):
    import numpy as np
    param = _find_parameter(model, name)
    pshape = param.get_partial_shape()
    if pshape.is_dynamic:
        raise UsageError("constant input %s has a dynamic shape %s: give it with --shape first" % (name, pshape))
    dtype = param.get_element_type().to_dtype()
    value = np.full(list(pshape.to_shape()), dtype.type(float(text)) if dtype.kind == "f" else dtype.type(int(text)),
                    dtype=dtype)
    const = ops.constant(value)
    const.set_friendly_name(name)
    for target in list(param.output(0).get_target_inputs()):
        target.replace_source_output(const.output(0))
    model.remove_parameter(param)


def convert(plan, low_latency2, fp16):
    ov, passes, ops = _import_openvino()
    core = ov.Core()
    model = core.read_model(plan.onnx_path)
    shapes = {}
    for port in model.inputs:
        dims = [None if d.is_dynamic else d.get_length() for d in port.get_partial_shape()]
        shapes[port.get_any_name()] = dims
    plan_shapes(plan, shapes)
    print(describe(plan))

    for name, value in plan.constants.items():
        _fold_constant(model, ops, name, value)
    if plan.shapes:
        model.reshape({name: ov.PartialShape(dims) for name, dims in plan.shapes.items()})

    manager = passes.Manager()
    if low_latency2:
        manager.register_pass(passes.LowLatency2(True))
    if plan.pairs:
        manager.register_pass(passes.MakeStateful({a: b for a, b in plan.pairs}))
    manager.run_passes(model)

    variables = []
    for sink in model.get_sinks():
        get_id = getattr(sink, "get_variable_id", None)
        variables.append(get_id() if get_id else sink.get_friendly_name())
    print("variables   %s" % (", ".join(variables) or "(none)"))
    left = [p.get_any_name() for p in model.inputs]
    print("inputs now  %s" % ", ".join(left))
    print("outputs now %s" % ", ".join(o.get_any_name() for o in model.outputs))
    ov.save_model(model, plan.output_path, compress_to_fp16=fp16)
    print("wrote       %s" % plan.output_path)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="ONNX + state pairs -> stateful OpenVINO IR (MakeStateful: ReadValue/Assign).",
        epilog="See the module docstring (and convert/README.md) for MakeStateful versus LowLatency2.")
    parser.add_argument("model", help="an ONNX file, or a Triton model folder (config.pbtxt + <version>/model.onnx)")
    parser.add_argument("-o", "--output", help="IR file to write (.xml; default: the ONNX path with .xml)")
    parser.add_argument("--config", help="config.pbtxt to read state pairs, constant_inputs and dims from "
                                         "(default: <model folder>/config.pbtxt when present)")
    parser.add_argument("--no-config", action="store_true", help="ignore any config.pbtxt")
    parser.add_argument("--version", type=int, help="version folder to convert (default: the highest)")
    parser.add_argument("--pair", action="append", default=[], metavar="IN:OUT",
                        help="a state pair: model input and output names (repeatable; replaces the config's)")
    parser.add_argument("--state-pairs", metavar="'<<<IN, OUT>>> ...'", help="state pairs in the stateful backend's form")
    parser.add_argument("--constant", action="append", default=[], metavar="NAME=VALUE[,NAME=VALUE]",
                        help="inputs to fold into constants (adds to the config's constant_inputs)")
    parser.add_argument("--batch", type=int, help="fix every input's batch axis to this size (default: keep dynamic)")
    parser.add_argument("--shape", action="append", default=[], metavar="NAME=d0,d1,...",
                        help="an input's full shape for reshape (-1 = dynamic); wins over --batch")
    parser.add_argument("--low-latency2", action="store_true",
                        help="also run LowLatency2 (models with TensorIterator/Loop or RNN sequence ops whose "
                             "states are not model inputs/outputs)")
    parser.add_argument("--fp16", action="store_true", help="compress weights to FP16 in the IR (default: keep FP32)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the state pairs, constants and shapes it would apply; needs no OpenVINO")
    args = parser.parse_args(argv)
    try:
        plan = build_plan(args)
        if args.dry_run:
            shapes = _onnx_input_shapes(plan.onnx_path)
            if shapes is not None:
                plan_shapes(plan, shapes)
            print(describe(plan))
            print("dry run     nothing written")
            return 0
        convert(plan, args.low_latency2, args.fp16)
        return 0
    except (UsageError, pbtxt.PbtxtError) as e:
        print("onnx_to_openvino.py: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
