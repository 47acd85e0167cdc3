"""CPU kernels of the reductions ReduceSum / ReduceMax / ReduceMin (ops/reduce.py), over the input seen
as (outer, reduced, inner) around its contiguous run of reduced axes (``geometry.axes_split``), and
of Argmax / Argmin (ops/array_ops.py), over (outer, n, inner) around their axis."""

from ....ops.array_ops import arg_extreme_args
from ....ops.reduce import reduce_args
from ...base import kernel


@kernel("ReduceSum", "CPU", args=reduce_args, flat=True)
def reduce_sum_kernel(x, out, outer, red, inner):
    x3 = x.reshape((outer, red, inner))
    o2 = out.reshape((outer, inner))
    for a in range(outer):
        for c in range(inner):
            o2[a, c] = 0
        for b in range(red):
            for c in range(inner):
                o2[a, c] += x3[a, b, c]


@kernel("ReduceMax", "CPU", args=reduce_args, flat=True)
def reduce_max_kernel(x, out, outer, red, inner):
    x3 = x.reshape((outer, red, inner))
    o2 = out.reshape((outer, inner))
    for a in range(outer):
        for c in range(inner):
            o2[a, c] = x3[a, 0, c]
        for b in range(1, red):
            for c in range(inner):
                v = x3[a, b, c]
                if v > o2[a, c] or v != v:  # a NaN wins and stays (numpy's np.max)
                    o2[a, c] = v


@kernel("ReduceMin", "CPU", args=reduce_args, flat=True)
def reduce_min_kernel(x, out, outer, red, inner):
    x3 = x.reshape((outer, red, inner))
    o2 = out.reshape((outer, inner))
    for a in range(outer):
        for c in range(inner):
            o2[a, c] = x3[a, 0, c]
        for b in range(1, red):
            for c in range(inner):
                v = x3[a, b, c]
                if v < o2[a, c] or v != v:  # a NaN wins and stays (numpy's np.min)
                    o2[a, c] = v


@kernel("Argmax", "CPU", args=arg_extreme_args(True), flat=True)
@kernel("Argmin", "CPU", args=arg_extreme_args(False), flat=True)
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
