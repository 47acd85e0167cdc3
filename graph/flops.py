"""Floating-point operation estimates per node (for the dump summary and benchmarks).

One table, ``FLOPS``, maps an op name to the rule for its family; an op not in it is counted by its
kind (``KIND_FLOPS``, from ``OPS[name].kind``): elementwise ops and other kernels one per output
element, a fused program one per element per program step, a view zero. GEMM-like ops count 2*M*N*K;
convolutions (and their two gradients) 2 * output elements * (in_channels / group) * kh * kw, counted on the
logical NCHW shapes also when Ascend's layout pass put them in blocked formats (data_format="NC1HWC0": the
padding lanes' work is the device's cost, not the model's);
reductions one per element they read; data movement (transpose, slices, gathers, assigns, casts,
layout conversions) counts zero."""

import numpy as np

from .opdef import OPS, OpKind


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


def _zero(n):
    return 0


def _per_output_element(n):
    return n.size


def _per_input_element(n):
    return n.inputs[0].size


def _per_program_step(n):
    return n.size * len(n.attrs["program"])


def _matmul(n):
    if n.attrs.get("data_format") == "FRACTAL_NZ":  # Ascend's blocked MatMul: its logical (unpadded) shapes
        (ah, aw), (bh, bw) = n.attrs["a_shape"], n.attrs["b_shape"]
        m, k = (aw, ah) if n.attrs.get("transpose_a") else (ah, aw)
        return 2 * m * (bh if n.attrs.get("transpose_b") else bw) * k
    a = n.inputs[0].shape
    k = a[0] if n.attrs.get("transpose_a") else a[1]
    return 2 * n.size * k


def _batch_matmul(n):
    a = n.inputs[0].shape
    k = a[1] if n.attrs.get("transpose_a") else a[2]
    return 2 * n.size * k


def _conv(out_shape, weight_shape):
    return 2 * _size(out_shape) * _size(weight_shape[1:])


def _blocked_conv(n):
    """The NCHW count from the logical shapes (attrs x_shape, w_shape) of a blocked convolution: its output
    (or the gradients' dout) is N x Cout x OH x OW, OH = (H + top + bottom - dh*(kh-1) - 1) // sh + 1."""
    a = n.attrs
    (batch, _, h, w), (cout, _, kh, kw) = a["x_shape"], a["w_shape"]
    (sh, sw), (dh, dw), (top, bottom, left, right) = a["stride"], a["dilation"], a["pad"]
    oh = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1
    ow = (w + left + right - dw * (kw - 1) - 1) // sw + 1
    return _conv((batch, cout, oh, ow), a["w_shape"])


def _conv2d(n):
    if n.attrs.get("data_format") == "NC1HWC0":
        return _blocked_conv(n)
    return _conv(n.shape, n.inputs[1].shape)


def _conv2d_backprop_input(n):  # (dout, w) -> dx: the forward's work, with dout as the output
    if n.attrs.get("data_format") == "NC1HWC0":
        return _blocked_conv(n)
    return _conv(n.inputs[0].shape, n.inputs[1].shape)


def _conv2d_backprop_filter(n):  # (dout, x) -> dw
    if n.attrs.get("data_format") == "NC1HWC0":
        return _blocked_conv(n)
    return _conv(n.inputs[0].shape, n.shape)


_MOVES = ("Transpose", "BroadcastTo", "StridedSlice", "StridedSliceGrad", "Assign", "Gather",
          "GatherGrad", "Concat", "OneHot", "Cast", "TransData")
_REDUCTIONS = ("ReduceSum", "ReduceMax", "ReduceMin")

FLOPS = {
    **dict.fromkeys(_MOVES, _zero),
    **dict.fromkeys(_REDUCTIONS, _per_input_element),
    "MatMul": _matmul,
    "BatchMatMul": _batch_matmul,
    "Conv2D": _conv2d,
    "Conv2DBackpropInput": _conv2d_backprop_input,
    "Conv2DBackpropFilter": _conv2d_backprop_filter,
}
KIND_FLOPS = {
    OpKind.ELEMENTWISE: _per_output_element,
    OpKind.KERNEL: _per_output_element,
    OpKind.VIEW: _zero,
    OpKind.FUSED: _per_program_step,
    OpKind.MULTI_TENSOR: _per_output_element,  # (the first tensor's elements)
}


def node_flops(n):
    if n.is_leaf:
        return 0
    rule = FLOPS.get(n.op)
    if rule is None:
        op = OPS.get(n.op)
        rule = KIND_FLOPS[op.kind] if op is not None else _per_output_element
    return rule(n)


def graph_flops(graph):
    return sum(node_flops(n) for n in graph.nodes)
