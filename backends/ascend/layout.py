"""Ascend's data-layout passes (MindSpore's ``AscendDataLayout``: PassManager "transop_pm"): the Cube's
operands get their device formats (``ops/layout.py``), with an explicit ``TransData`` on every format change.

``hwopt_d_insert_trans_op`` (``InsertTransOp``): every group-1 Conv2D, Conv2DBackpropInput and
Conv2DBackpropFilter on NCHW tensors becomes

    TransData(NCHW -> NC1HWC0 / FRACTAL_Z) of each input -> the op with data_format="NC1HWC0"
    (``ops/conv_blocked.py``) -> TransData(-> NCHW) for its consumers

feature maps in NC1HWC0, weights in FRACTAL_Z; and every MatMul (2-D, Dense and its gradients) reads and
writes FRACTAL_NZ (``ops/matmul_blocked.py``) between TransData(ND <-> FRACTAL_NZ). A value read by several
converted ops is converted once.

``hwopt_d_eliminate_redundant_op`` (``EliminateRedundantOp``) then removes conversions that cancel:
  * TransData(A -> B) of TransData(B -> A) of z, same logical shape: z itself;
  * an elementwise op whose every input is either an NC1HWC0 -> NCHW TransData of its own shape or a single
    element runs on the NC1HWC0 tensors instead, followed by one TransData (the conversion moves past it),
    so conv -> ReLU -> conv keeps its feature map blocked, and the TransData pair around the ReLU cancels.
    Padding lanes (channels past C) then hold f(0, ...): the op moves only if its numpy reference maps zeros
    to finite values (the blocked kernels read padding lanes as zero, and 0 * inf would not be).
Conversions left at ops without blocked kernels (MaxPool, BiasAdd, Reshape, ReluGrad fed by an NCHW
gradient ...) stay: those ops run in NCHW, as the ops an Ascend kernel-select would give DefaultFormat.
The passes run after ``hwopt_d_insert_cast``: a float16 cube op reads Cast(x -> float16) then TransData
(data movement, so TransData runs on the 16-bit values as they are).
"""

import itertools

import numpy as np

from ...graph.opdef import OPS, OpKind, Spec, output_alias, written_inputs
from ...graph.passes.dce import dce
from ...ops.conv_blocked import BLOCKED, FORMATS
from ...ops.layout import device_shape
from ...ops.matmul_blocked import NZ
from ..cpu.passes import _Rewriter

HOST = "NCHW"


def _matmul_nz(rw, node, to_device):
    """A 2-D MatMul on FRACTAL_NZ operands (``ops/matmul_blocked.py``), converted back to ND for its consumers."""
    a, b = node.inputs
    inputs = [to_device(rw, a, NZ, node), to_device(rw, b, NZ, node)]
    attrs = dict(node.attrs, data_format=NZ, a_shape=a.shape, b_shape=b.shape)
    shape, dtype = OPS["MatMul"].infer([Spec(i.shape, i.dtype) for i in inputs], **attrs)
    return _trans(rw, rw.add("MatMul", inputs, attrs, shape, dtype, node), NZ, "ND", node.shape, node)


def _trans(rw, value, src, dst, shape, like):
    attrs = {"src_format": src, "dst_format": dst, "shape": tuple(shape), "groups": 1}
    out_shape = device_shape(dst, shape)
    return rw.add("TransData", [value], attrs, out_shape, value.dtype, like)


def _logical_shapes(node):
    """(x_shape, w_shape) of a convolution node in NCHW."""
    if node.op == "Conv2D":
        return node.inputs[0].shape, node.inputs[1].shape
    if node.op == "Conv2DBackpropInput":
        return tuple(node.attrs["x_shape"]), node.inputs[1].shape
    return node.inputs[1].shape, tuple(node.attrs["w_shape"])


def insert_trans_op(graph):
    """Convolutions on NC1HWC0 / FRACTAL_Z between TransData nodes (see the module docstring)."""
    converted = {}  # (value id, format) -> its TransData: each value is converted once per format

    def to_device(rw, value, fmt, like):
        key = (value.id, fmt)
        if key not in converted:
            converted[key] = _trans(rw, value, "ND" if fmt == NZ else HOST, fmt, value.shape, like)
        return converted[key]

    def rewrite(rw, node):
        if node.op == "MatMul" and not node.attrs.get("data_format"):
            return _matmul_nz(rw, node, to_device)
        if node.is_leaf or node.op not in FORMATS or node.attrs.get("data_format", HOST) != HOST \
                or node.attrs["group"] != 1:
            return node
        in_formats, out_format = FORMATS[node.op]
        x_shape, w_shape = _logical_shapes(node)
        inputs = [to_device(rw, i, f, node) for i, f in zip(node.inputs, in_formats)]
        attrs = dict(node.attrs, data_format=BLOCKED, x_shape=tuple(x_shape), w_shape=tuple(w_shape))
        shape, dtype = OPS[node.op].infer([Spec(i.shape, i.dtype) for i in inputs], **attrs)
        blocked = rw.add(node.op, inputs, attrs, shape, dtype, node)
        return _trans(rw, blocked, out_format, HOST, node.shape, node)

    return _Rewriter(graph).run(rewrite)


def _cancels(node):
    """The value a TransData of a TransData going the other way gives back, or None."""
    src = node.inputs[0]
    if src.op != "TransData":
        return None
    a, b = node.attrs, src.attrs
    same = (a["src_format"], a["dst_format"], tuple(a["shape"]), a.get("groups", 1)) == \
           (b["dst_format"], b["src_format"], tuple(b["shape"]), b.get("groups", 1))
    return src.inputs[0] if same else None


def _unblocks(value, shape):
    return (value.op == "TransData" and value.attrs["src_format"] == BLOCKED and value.attrs["dst_format"] == HOST
            and value.shape == shape)


def _finite_on_zeros(node, blocked):
    """Whether the op's reference is finite with zeros for the blocked inputs (the padding lanes) and, for the
    single-element inputs, their value (constants) or each of 0 and 1 (anything else)."""
    choices = []
    for value, b in zip(node.inputs, blocked):
        if b:
            choices.append([np.zeros((1,), value.dtype)])
        elif value.op == "const":
            choices.append([np.asarray(value.value)])
        else:
            choices.append([np.zeros((), value.dtype), np.ones((), value.dtype)])
    for args in itertools.product(*choices):
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(OPS[node.op].reference(*args, **node.attrs))
        except (ValueError, TypeError, ArithmeticError):
            return False
        if out.dtype.kind == "f" and not np.isfinite(out).all():
            return False
    return True


def _blocked_inputs(node):
    """Per input whether it is an NC1HWC0 -> NCHW TransData the op can read through, or None when the op
    cannot move onto NC1HWC0 (see the module docstring)."""
    op = OPS[node.op]
    if op.kind is not OpKind.ELEMENTWISE or op.impure or written_inputs(node) or output_alias(node) is not None:
        return None
    if node.dtype.kind != "f":
        return None
    blocked = [_unblocks(i, node.shape) for i in node.inputs]
    if not any(blocked) or not all(b or i.size == 1 for b, i in zip(blocked, node.inputs)):
        return None
    return blocked if _finite_on_zeros(node, blocked) else None


def eliminate_redundant_op(graph):
    """TransData pairs that cancel are removed; elementwise ops move onto NC1HWC0 (module docstring)."""

    def rewrite(rw, node):
        if node.is_leaf:
            return node
        if node.op == "TransData":
            return _cancels(node) or node
        blocked = _blocked_inputs(node)
        if blocked is None:
            return node
        inputs = [i.inputs[0] if b else i for i, b in zip(node.inputs, blocked)]
        shape, dtype = OPS[node.op].infer([Spec(i.shape, i.dtype) for i in inputs], **node.attrs)
        moved = rw.add(node.op, inputs, node.attrs, shape, dtype, node)
        return _trans(rw, moved, BLOCKED, HOST, node.shape, node)

    out = _Rewriter(graph).run(rewrite)
    return out if out is graph else dce(out)


LAYOUT_PASSES = [("hwopt_d_insert_trans_op", insert_trans_op),
                 ("hwopt_d_eliminate_redundant_op", eliminate_redundant_op)]
