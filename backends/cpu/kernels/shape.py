"""CPU kernels of the shape ops that move data: Transpose and BroadcastTo (strided copies, defined in
ops/shape_base.py and ops/broadcast.py) and Concat (ops/array_ops.py)."""

import numpy as np

from ....ops.geometry import broadcast_strides, prod, transpose_strides
from ...base import kernel
from .strided import strided_copy


def _transpose_args(node):
    return (transpose_strides(node.inputs[0].shape, node.attrs["perm"]), np.array(node.shape, np.int64))


def _broadcast_args(node):
    return (broadcast_strides(node.inputs[0].shape, node.shape), np.array(node.shape, np.int64))


@kernel("Transpose", "CPU", helpers=(strided_copy,), args=_transpose_args)
@kernel("BroadcastTo", "CPU", helpers=(strided_copy,), args=_broadcast_args)
def strided_copy_kernel(x, out, src_strides, shape):
    # src_strides[d] is the input element stride of output axis d (a permutation of x's strides for
    # Transpose, 0 on broadcast axes for BroadcastTo).
    strided_copy(x, out, 0, src_strides, shape, False)


def _concat_args(node):
    axis = node.attrs["axis"]
    a, b = node.inputs
    return (prod(a.shape[:axis]), prod(a.shape[axis:]), prod(b.shape[axis:]))


@kernel("Concat", "CPU", args=_concat_args)
def concat2_kernel(a, b, out, outer, ia, ib):
    # Each input is (outer, i*) with its concatenated axis and every later axis flattened into i*.
    a2 = a.reshape((outer, ia))
    b2 = b.reshape((outer, ib))
    o2 = out.reshape((outer, ia + ib))
    for r in range(outer):
        for k in range(ia):
            o2[r, k] = a2[r, k]
        for k in range(ib):
            o2[r, ia + k] = b2[r, k]
