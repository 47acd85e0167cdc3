"""CPU kernels of the shape ops that move data: Transpose and BroadcastTo (strided copies, defined in
ops/shape_base.py and ops/broadcast.py) and Concat (ops/array_ops.py)."""

from ....ops.array_ops import concat_args
from ....ops.shape_base import broadcast_args, transpose_args
from ...base import kernel
from .strided import strided_copy


@kernel("Transpose", "CPU", helpers=(strided_copy,), args=transpose_args)
@kernel("BroadcastTo", "CPU", helpers=(strided_copy,), args=broadcast_args)
def strided_copy_kernel(x, out, src_strides, shape):
    # src_strides[d] is the input element stride of output axis d (a permutation of x's strides for
    # Transpose, 0 on broadcast axes for BroadcastTo).
    strided_copy(x, out, 0, src_strides, shape, False)


@kernel("Concat", "CPU", args=concat_args)
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
