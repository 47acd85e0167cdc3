"""GPU kernels of the shape ops that move data: Transpose, BroadcastTo (ops/shape_base.py, ops/broadcast.py),
StridedSlice, StridedSliceGrad (ops/indexing.py) and Concat (ops/array_ops.py), with the CPU's arguments.

The first four are one strided copy, as on the CPU (``backends/cpu/kernels/strided.py``): the element
at row-major index i of an index space ``shape`` is paired with element p = offset + sum_d i_d * strides[d]
of a strided view of the other array (strides from ``ops/geometry.py``). A gather (Transpose, BroadcastTo,
StridedSlice) writes dst[i] = src[p] with one thread per output element; StridedSliceGrad fills zeros and
then scatters dst[p] += src[i] with one thread per element of d (a slice never hits one element twice, so
the threads never race, and the add keeps the CPU's zeros-then-add numbers). Concat copies each input
into its slab of the output. Every kernel is a pure copy, so it runs any dtype (ints, bools, and the uint16
bit patterns of 16-bit floats); the indices come from the graph's shapes, never from data.
"""

from numba import cuda

from ....ops.array_ops import concat_args
from ....ops.indexing import slice_args, slice_grad_args
from ....ops.shape_base import broadcast_args, transpose_args
from ...base import kernel
from ..device import dims, flat
from .state import fill_kernel

_F32 = "float32[::1]"
_TUP = "UniTuple(int64, 3)"


@cuda.jit(device=True, inline="always")
def _offset(i, offset, strides, shape):
    """offset + sum_d i_d * strides[d] for the row-major index (i_0, ..., i_{nd-1}) of flat i in ``shape``."""
    p = offset
    for d in range(len(shape) - 1, -1, -1):
        p += (i % shape[d]) * strides[d]
        i //= shape[d]
    return p


@cuda.jit(cache=True)
def strided_gather_kernel(src, dst, offset, strides, shape):
    """dst[i] = src[offset + sum_d i_d * strides[d]] over the flat (contiguous) dst of index space shape."""
    for i in range(cuda.grid(1), dst.size, cuda.gridsize(1)):
        dst[i] = src[_offset(i, offset, strides, shape)]


@cuda.jit(cache=True)
def strided_scatter_add_kernel(src, dst, offset, strides, shape):
    """dst[offset + sum_d i_d * strides[d]] += src[i] over the flat (contiguous) src of index space shape;
    the targets of distinct i must differ (a slice), since the adds are not atomic."""
    for i in range(cuda.grid(1), src.size, cuda.gridsize(1)):
        p = _offset(i, offset, strides, shape)
        dst[p] += src[i]


@cuda.jit(cache=True)
def concat_kernel(a, b, out, ia, ib):
    """out[r, k] = a[r, k] for k < ia, else b[r, k - ia]: a is (outer, ia), b (outer, ib), out (outer, ia + ib)."""
    w = ia + ib
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        r, k = t // w, t % w
        if k < ia:
            out[t] = a[r * ia + k]
        else:
            out[t] = b[r * ib + k - ia]


def _geometry(strides, shape):
    """(strides, shape) as tuples of ints for the kernels, with each run of axes that the strided view walks
    contiguously (strides[d] == strides[d+1] * shape[d+1]) merged into one axis: fewer divisions per element,
    the same pairs (i, p). A 0-d space becomes one axis of size 1."""
    st, sh = [], []
    for s, n in zip((int(v) for v in strides), (int(v) for v in shape)):
        if n == 1:
            continue  # (its index is always 0: no contribution to p)
        if sh and st[-1] == s * n:
            st[-1], sh[-1] = s, sh[-1] * n
        else:
            st.append(s)
            sh.append(n)
    return (tuple(st), tuple(sh)) if sh else ((0,), (1,))


def _gather(x, out, offset, strides, shape):
    if out.size:
        st, sh = _geometry(strides, shape)
        strided_gather_kernel[dims(out.size)](flat(x), flat(out), int(offset), st, sh)


@kernel("Transpose", "GPU", args=transpose_args)
def transpose(x, out, src_strides, shape, err):
    _gather(x, out, 0, src_strides, shape)


@kernel("BroadcastTo", "GPU", args=broadcast_args)
def broadcast_to(x, out, src_strides, shape, err):
    _gather(x, out, 0, src_strides, shape)


@kernel("StridedSlice", "GPU", args=slice_args)
def strided_slice(x, out, offset, src_strides, shape, err):
    _gather(x, out, offset, src_strides, shape)


@kernel("StridedSliceGrad", "GPU", args=slice_grad_args)
def strided_slice_grad(d, out, offset, dst_strides, shape, err):
    if not out.size:
        return
    fill_kernel[dims(out.size)](flat(out), out.dtype.type(0))
    if d.size:
        st, sh = _geometry(dst_strides, shape)
        strided_scatter_add_kernel[dims(d.size)](flat(d), flat(out), int(offset), st, sh)


@kernel("Concat", "GPU", args=concat_args)
def concat(a, b, out, outer, ia, ib, err):
    if out.size:
        concat_kernel[dims(out.size)](flat(a), flat(b), flat(out), ia, ib)


PTX = [(strided_gather_kernel, f"void({_F32}, {_F32}, int64, {_TUP}, {_TUP})"),
       (strided_scatter_add_kernel, f"void({_F32}, {_F32}, int64, {_TUP}, {_TUP})"),
       (concat_kernel, f"void({_F32}, {_F32}, {_F32}, int64, int64)")]
