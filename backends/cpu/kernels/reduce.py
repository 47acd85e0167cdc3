"""CPU kernels of the reductions ReduceSum / ReduceMax / ReduceMin (ops/reduce.py), over the input seen
as (outer, reduced, inner) around its contiguous run of reduced axes (``geometry.axes_split``), and
of Argmax / Argmin (ops/array_ops.py), over (outer, n, inner) around their axis."""

from ....ops.geometry import axes_split, axis_split
from ...base import kernel


def _reduce_args(node):
    return axes_split(node.inputs[0].shape, node.attrs["axis"])


@kernel("ReduceSum", "CPU", args=_reduce_args)
def reduce_sum_kernel(x, out, outer, red, inner):
    x3 = x.reshape((outer, red, inner))
    o2 = out.reshape((outer, inner))
    for a in range(outer):
        for c in range(inner):
            o2[a, c] = 0
        for b in range(red):
            for c in range(inner):
                o2[a, c] += x3[a, b, c]


@kernel("ReduceMax", "CPU", args=_reduce_args)
def reduce_max_kernel(x, out, outer, red, inner):
    x3 = x.reshape((outer, red, inner))
    o2 = out.reshape((outer, inner))
    for a in range(outer):
        for c in range(inner):
            o2[a, c] = x3[a, 0, c]
        for b in range(1, red):
            for c in range(inner):
                if x3[a, b, c] > o2[a, c]:
                    o2[a, c] = x3[a, b, c]


@kernel("ReduceMin", "CPU", args=_reduce_args)
def reduce_min_kernel(x, out, outer, red, inner):
    x3 = x.reshape((outer, red, inner))
    o2 = out.reshape((outer, inner))
    for a in range(outer):
        for c in range(inner):
            o2[a, c] = x3[a, 0, c]
        for b in range(1, red):
            for c in range(inner):
                if x3[a, b, c] < o2[a, c]:
                    o2[a, c] = x3[a, b, c]


def _arg_args(want_max):
    return lambda node: axis_split(node.inputs[0].shape, node.attrs["axis"]) + (want_max,)


@kernel("Argmax", "CPU", args=_arg_args(True))
@kernel("Argmin", "CPU", args=_arg_args(False))
def arg_extreme_kernel(x, out, outer, n, inner, want_max):
    # First index of the maximum (minimum); a NaN counts as the extreme (numpy's rule).
    x3 = x.reshape((outer, n, inner))
    o2 = out.reshape((outer, inner))
    for a in range(outer):
        for c in range(inner):
            best = x3[a, 0, c]
            k = 0
            if best == best:
                for b in range(1, n):
                    v = x3[a, b, c]
                    if v != v:
                        k = b
                        break
                    if (v > best) if want_max else (v < best):
                        best = v
                        k = b
            o2[a, c] = k
