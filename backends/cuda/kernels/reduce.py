"""GPU kernels of ReduceSum / ReduceMax / ReduceMin (ops/reduce.py) over the input seen as (outer, reduced,
inner) around its contiguous run of reduced axes (``geometry.axes_split``), and of Argmax / Argmin
(ops/array_ops.py) over (outer, n, inner) around their axis, with the CPU's arguments.

One thread per output element walks the reduced axis in ascending order, so a sum adds in the CPU
kernel's order (0 + x0 + x1 + ..., in the output's dtype) and an arg-extreme finds the same first index.
This is fast when there are many outputs (bias gradients, per-row sums); a full reduction runs on one
thread (a tree reduction over blocks is the next step for large full reductions). The kernels take their
accumulator's type from the data (a typed zero is passed in), so one kernel runs every dtype the CPU runs
and a float32 reduction has no float64 instructions.
"""

from numba import cuda

from ....ops.array_ops import arg_extreme_args
from ....ops.reduce import reduce_args
from ...base import kernel
from ..device import dims, flat
from .state import fill_kernel

_MAX, _MIN = 1, 2
_F32 = "float32[::1]"


@cuda.jit(cache=True)
def reduce_sum_kernel(x, out, red, inner, zero):
    """out[a, c] = zero + x[a, 0, c] + x[a, 1, c] + ... (flat arrays; ``zero`` of out's dtype)."""
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        base = (t // inner) * red * inner + t % inner
        acc = zero
        for b in range(red):
            acc += x[base + b * inner]
        out[t] = acc


@cuda.jit(cache=True)
def reduce_kernel(x, out, red, inner, how):
    """out[a, c] = max (how 1) / min (how 2) over b of x[a, b, c] (flat arrays); a NaN propagates (numpy's
    max/min, the op's reference)."""
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        base = (t // inner) * red * inner + t % inner
        acc = x[base]
        for b in range(1, red):
            v = x[base + b * inner]
            if how == 1:
                if v > acc or v != v:
                    acc = v
            elif v < acc or v != v:
                acc = v
        out[t] = acc


@cuda.jit(cache=True)
def arg_extreme_kernel(x, out, n, inner, want_max):
    """out[a, c] = the first b of the maximum (``want_max``) or minimum of x[a, b, c] over b; the first NaN
    counts as the extreme (numpy's rule, as the CPU kernel)."""
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        base = (t // inner) * n * inner + t % inner
        best = x[base]
        k = 0
        if best == best:
            for b in range(1, n):
                v = x[base + b * inner]
                if v != v:
                    k = b
                    break
                if (v > best) if want_max else (v < best):
                    best = v
                    k = b
        out[t] = k


def _extreme(x, out, red, inner, how):
    if out.size:  # (max/min of an empty axis is refused at trace time)
        reduce_kernel[dims(out.size)](flat(x), flat(out), red, max(inner, 1), how)


@kernel("ReduceSum", "GPU", args=reduce_args)
def reduce_sum(x, out, outer, red, inner, err):
    if not out.size:
        return
    zero = out.dtype.type(0)
    if red == 0:  # an empty sum is 0
        fill_kernel[dims(out.size)](flat(out), zero)
        return
    reduce_sum_kernel[dims(out.size)](flat(x), flat(out), red, max(inner, 1), zero)


@kernel("ReduceMax", "GPU", args=reduce_args)
def reduce_max(x, out, outer, red, inner, err):
    _extreme(x, out, red, inner, _MAX)


@kernel("ReduceMin", "GPU", args=reduce_args)
def reduce_min(x, out, outer, red, inner, err):
    _extreme(x, out, red, inner, _MIN)


@kernel("Argmax", "GPU", args=arg_extreme_args(True))
@kernel("Argmin", "GPU", args=arg_extreme_args(False))
def arg_extreme(x, out, outer, n, inner, want_max, err):
    if out.size:
        arg_extreme_kernel[dims(out.size)](flat(x), flat(out), n, max(inner, 1), bool(want_max))


PTX = [(reduce_sum_kernel, f"void({_F32}, {_F32}, int64, int64, float32)"),
       (reduce_kernel, f"void({_F32}, {_F32}, int64, int64, int64)"),
       (arg_extreme_kernel, f"void({_F32}, int32[::1], int64, int64, boolean)")]
