"""A minimal ONNX graph evaluator in numpy, for checking golden data without ONNX Runtime.

It knows only the operators the example models use (accumulate, gru_counter, Silero VAD v5, and the
conformance accumulate_fp32)
and only the attribute forms those models use; anything else raises NotImplementedError
naming the operator. It is a test tool, not a runtime: it evaluates node by node in
float32, as the graph says, so that its results are an independent check on
reference.py's formulas and a way to compute Silero's golden data.

    import onnx_eval
    outputs = onnx_eval.run(onnx.load(path), {"x": array, ...})   # {name: ndarray}
"""

import numpy as np
from onnx import AttributeProto, numpy_helper


def run(model, feeds):
    """Evaluates model.graph with feeds {input name: ndarray}; returns {output name: ndarray}."""
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for v in model.graph.input:
        if v.name not in env and v.name not in feeds:
            raise ValueError("missing input '%s'" % v.name)
    env.update(feeds)
    return _run_graph(model.graph, env)


def _run_graph(graph, env):
    env = dict(env)
    for t in graph.initializer:
        env[t.name] = numpy_helper.to_array(t)
    for node in graph.node:
        args = [env[name] if name else None for name in node.input]
        attrs = {a.name: a for a in node.attribute}
        op = _OPS.get(node.op_type)
        if op is None:
            raise NotImplementedError("onnx_eval: operator %s is not supported" % node.op_type)
        results = op(args, attrs, env)
        if not isinstance(results, (list, tuple)):
            results = [results]
        for name, value in zip(node.output, results):
            if name:
                env[name] = value
    return {o.name: env[o.name] for o in graph.output}


def _attr(attrs, name, default=None):
    a = attrs.get(name)
    if a is None:
        return default
    if a.type == AttributeProto.INT:
        return a.i
    if a.type == AttributeProto.INTS:
        return list(a.ints)
    if a.type == AttributeProto.FLOAT:
        return a.f
    if a.type == AttributeProto.STRING:
        return a.s.decode()
    if a.type == AttributeProto.TENSOR:
        return numpy_helper.to_array(a.t)
    if a.type == AttributeProto.GRAPH:
        return a.g
    raise NotImplementedError("onnx_eval: attribute %s of type %d" % (name, a.type))


_ONNX_TO_NP = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64}


def _sigmoid(x):
    with np.errstate(over="ignore"):  # exp(-x) -> inf for very negative x gives the right 0
        return (1.0 / (1.0 + np.exp(-x))).astype(x.dtype)


def _slice(a, _, __):
    data, starts, ends = a[0], a[1], a[2]
    axes = a[3] if len(a) > 3 and a[3] is not None else range(len(starts))
    steps = a[4] if len(a) > 4 and a[4] is not None else [1] * len(starts)
    index = [slice(None)] * data.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        ax = int(ax) % data.ndim
        dim = data.shape[ax]
        s, e, st = int(s), int(e), int(st)
        s = max(-dim - 1, min(dim, s))
        e = max(-dim - 1, min(dim, e))
        index[ax] = slice(s, e, st) if not (st < 0 and e < -dim) else slice(s, None, st)
    return data[tuple(index)]


def _conv(a, attrs, _):
    x, w = a[0], a[1]
    b = a[2] if len(a) > 2 and a[2] is not None else None
    if x.ndim != 3 or _attr(attrs, "group", 1) != 1 or _attr(attrs, "dilations", [1]) != [1]:
        raise NotImplementedError("onnx_eval: Conv supports only 1-D, group 1, dilation 1")
    stride = _attr(attrs, "strides", [1])[0]
    pads = _attr(attrs, "pads", [0, 0])
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[1])))
    k = w.shape[2]
    out_len = (x.shape[2] - k) // stride + 1
    # windows [N, C, L_out, K] against weights [M, C, K]
    idx = np.arange(out_len)[:, None] * stride + np.arange(k)[None, :]
    windows = x[:, :, idx]
    y = np.einsum("nclk,mck->nml", windows.astype(np.float64), w.astype(np.float64))
    if b is not None:
        y += b[None, :, None]
    return y.astype(np.float32)


def _lstm(a, attrs, _):
    x, w, r = a[0], a[1], a[2]
    b = a[3] if len(a) > 3 else None
    seq_lens = a[4] if len(a) > 4 else None
    h = a[5] if len(a) > 5 else None
    c = a[6] if len(a) > 6 else None
    if len(a) > 7 and a[7] is not None:
        raise NotImplementedError("onnx_eval: LSTM peepholes")
    if _attr(attrs, "direction", "forward") != "forward" or "activations" in attrs or _attr(attrs, "layout", 0) != 0:
        raise NotImplementedError("onnx_eval: LSTM supports only forward, default activations, layout 0")
    hidden = _attr(attrs, "hidden_size")
    seq, batch = x.shape[0], x.shape[1]
    if seq_lens is not None and np.any(seq_lens != seq):
        raise NotImplementedError("onnx_eval: LSTM with sequence_lens shorter than the input")
    h = np.zeros((1, batch, hidden), np.float32) if h is None else h
    c = np.zeros((1, batch, hidden), np.float32) if c is None else c
    bias = np.zeros(8 * hidden, np.float32) if b is None else b[0]
    wb, rb = bias[:4 * hidden], bias[4 * hidden:]
    ht, ct = h[0], c[0]
    ys = []
    for t in range(seq):
        gates = x[t] @ w[0].T + ht @ r[0].T + wb + rb  # order i, o, f, c
        i = _sigmoid(gates[:, 0:hidden])
        o = _sigmoid(gates[:, hidden:2 * hidden])
        f = _sigmoid(gates[:, 2 * hidden:3 * hidden])
        g = np.tanh(gates[:, 3 * hidden:4 * hidden])
        ct = (f * ct + i * g).astype(np.float32)
        ht = (o * np.tanh(ct)).astype(np.float32)
        ys.append(ht)
    y = np.stack(ys)[:, None, :, :]  # [seq, num_directions, batch, hidden]
    return [y, ht[None], ct[None]]


def _pad(a, attrs, _):
    data, pads = a[0], [int(p) for p in a[1]]
    if len(a) > 2 and a[2] is not None and np.any(a[2] != 0):
        raise NotImplementedError("onnx_eval: Pad with a constant value")
    mode = _attr(attrs, "mode", "constant")
    n = data.ndim
    width = [(pads[i], pads[i + n]) for i in range(n)]
    return np.pad(data, width, mode={"constant": "constant", "reflect": "reflect", "edge": "edge"}[mode])


def _if(a, attrs, env):
    branch = _attr(attrs, "then_branch" if bool(np.asarray(a[0]).reshape(-1)[0]) else "else_branch")
    return list(_run_graph(branch, env).values())


def _reduce(fn):
    def op(a, attrs, _):
        axes = _attr(attrs, "axes")
        if axes is None and len(a) > 1 and a[1] is not None:
            axes = [int(v) for v in a[1]]
        keep = bool(_attr(attrs, "keepdims", 1))
        axis = None if axes is None else tuple(axes)
        return fn(a[0], axis=axis, keepdims=keep).astype(a[0].dtype)
    return op


def _squeeze(a, _, __):
    if len(a) > 1 and a[1] is not None:
        return np.squeeze(a[0], axis=tuple(int(v) for v in a[1]))
    return np.squeeze(a[0])


def _unsqueeze(a, _, __):
    out = a[0]
    axes = sorted(int(v) % (out.ndim + len(a[1])) for v in a[1])
    for ax in axes:
        out = np.expand_dims(out, ax)
    return out


def _reshape(a, attrs, _):
    shape = [int(v) for v in a[1]]
    if not _attr(attrs, "allowzero", 0):
        shape = [a[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
    return a[0].reshape(shape)


def _constant_of_shape(a, attrs, _):
    value = _attr(attrs, "value")
    value = np.zeros(1, np.float32) if value is None else value
    return np.full([int(v) for v in a[0]], value.reshape(-1)[0], dtype=value.dtype)


def _binary(fn):
    return lambda a, _, __: np.asarray(fn(a[0], a[1])).astype(np.result_type(a[0], a[1]))


_OPS = {
    "Add": _binary(np.add),
    "Sub": _binary(np.subtract),
    "Mul": _binary(np.multiply),
    "Pow": lambda a, _, __: np.power(a[0], a[1]).astype(a[0].dtype),
    "MatMul": lambda a, _, __: np.matmul(a[0], a[1]),
    "Sigmoid": lambda a, _, __: _sigmoid(a[0]),
    "Tanh": lambda a, _, __: np.tanh(a[0]),
    "Relu": lambda a, _, __: np.maximum(a[0], 0).astype(a[0].dtype),
    "Sqrt": lambda a, _, __: np.sqrt(a[0]),
    "Identity": lambda a, _, __: a[0],
    "Not": lambda a, _, __: np.logical_not(a[0]),
    "Equal": lambda a, _, __: np.equal(a[0], a[1]),
    "Where": lambda a, _, __: np.where(a[0], a[1], a[2]).astype(np.result_type(a[1], a[2])),
    "Cast": lambda a, attrs, _: a[0].astype(_ONNX_TO_NP[_attr(attrs, "to")]),
    "Constant": lambda a, attrs, _: _attr(attrs, "value"),
    "ConstantOfShape": _constant_of_shape,
    "Shape": lambda a, _, __: np.array(a[0].shape, dtype=np.int64),
    "Size": lambda a, _, __: np.array(a[0].size, dtype=np.int64),
    "Gather": lambda a, attrs, _: np.take(a[0], a[1].astype(np.int64), axis=_attr(attrs, "axis", 0)),
    "Concat": lambda a, attrs, _: np.concatenate(a, axis=_attr(attrs, "axis")),
    "Expand": lambda a, _, __: (a[0] * np.ones([int(v) for v in a[1]], dtype=a[0].dtype)).astype(a[0].dtype),
    "Transpose": lambda a, attrs, _: np.transpose(a[0], _attr(attrs, "perm")),
    "Reshape": _reshape,
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "Slice": _slice,
    "Pad": _pad,
    "Conv": _conv,
    "LSTM": _lstm,
    "If": _if,
    "ReduceSum": _reduce(np.sum),
    "ReduceMean": _reduce(np.mean),
}
