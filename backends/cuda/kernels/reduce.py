"""GPU kernels of ReduceSum / ReduceMax / ReduceMin (ops/reduce.py) over the input seen as
(outer, reduced, inner) around its contiguous run of reduced axes (``geometry.axes_split``), as on the CPU.

One thread per output element sums (or compares) the reduced axis in ascending order, so a sum adds in
the CPU kernel's order. This is fast when there are many outputs (bias gradients, per-row sums); a full
reduction runs on one thread (a tree reduction over blocks is the next step for large full reductions).
"""

from numba import cuda

from ....ops.geometry import axes_split
from ...base import kernel
from ..device import dims, flat, require_float32
from .state import fill_kernel

_SUM, _MAX, _MIN = 0, 1, 2


@cuda.jit(cache=True)
def reduce_kernel(x, out, red, inner, how):
    """out[a, c] = sum / max / min over b of x[a, b, c] (flat arrays); NaN propagates through max/min."""
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        a, c = t // inner, t % inner
        base = a * red * inner + c
        acc = x[base]
        for b in range(1, red):
            v = x[base + b * inner]
            if how == 0:
                acc += v
            elif how == 1:
                if v > acc or v != v:
                    acc = v
            elif v < acc or v != v:
                acc = v
        out[t] = acc


def _launch(x, out, outer, red, inner, how, name):
    require_float32(name, x, out)
    if red == 0:  # an empty sum is 0 (max/min of nothing is refused at trace time)
        fill_kernel[dims(out.size)](flat(out), 0)
        return
    reduce_kernel[dims(out.size)](flat(x), flat(out), red, max(inner, 1), how)


def _reduce_args(node):
    return axes_split(node.inputs[0].shape, node.attrs["axis"])


@kernel("ReduceSum", "GPU", args=_reduce_args)
def reduce_sum(x, out, outer, red, inner, err):
    _launch(x, out, outer, red, inner, _SUM, "ReduceSum")


@kernel("ReduceMax", "GPU", args=_reduce_args)
def reduce_max(x, out, outer, red, inner, err):
    _launch(x, out, outer, red, inner, _MAX, "ReduceMax")


@kernel("ReduceMin", "GPU", args=_reduce_args)
def reduce_min(x, out, outer, red, inner, err):
    _launch(x, out, outer, red, inner, _MIN, "ReduceMin")


PTX = [(reduce_kernel, "void(float32[::1], float32[::1], int64, int64, int64)")]
