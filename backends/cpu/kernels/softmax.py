"""CPU kernels of Softmax, LogSoftmax and their gradient ops SoftmaxGrad / LogSoftmaxGrad (defined in
ops/softmax.py), over an (outer, n, inner) view of the input, n being the softmax axis, so any axis is
handled without a transpose. They subtract the maximum before exponentiating (no overflow) and
accumulate sums in float64."""

import math

from ....ops.geometry import axis_split
from ...base import kernel


def _softmax_args(node):
    return axis_split(node.inputs[0].shape, node.attrs["axis"])


@kernel("Softmax", "CPU", args=_softmax_args, flat=True)
def softmax_kernel(x, out, outer, n, inner):
    if n == 0:
        return
    x3 = x.reshape((outer, n, inner))
    o3 = out.reshape((outer, n, inner))
    for a in range(outer):
        for c in range(inner):
            m = x3[a, 0, c]
            for b in range(1, n):
                if x3[a, b, c] > m:
                    m = x3[a, b, c]
            s = 0.0
            for b in range(n):
                e = math.exp(x3[a, b, c] - m)  # subtracting the max keeps exp <= 1
                o3[a, b, c] = e
                s += e
            for b in range(n):
                o3[a, b, c] = o3[a, b, c] / s


@kernel("LogSoftmax", "CPU", args=_softmax_args, flat=True)
def log_softmax_kernel(x, out, outer, n, inner):
    if n == 0:
        return
    x3 = x.reshape((outer, n, inner))
    o3 = out.reshape((outer, n, inner))
    for a in range(outer):
        for c in range(inner):
            m = x3[a, 0, c]
            for b in range(1, n):
                if x3[a, b, c] > m:
                    m = x3[a, b, c]
            s = 0.0
            for b in range(n):
                s += math.exp(x3[a, b, c] - m)
            lse = m + math.log(s)
            for b in range(n):
                o3[a, b, c] = x3[a, b, c] - lse


@kernel("SoftmaxGrad", "CPU", args=_softmax_args, flat=True)
def softmax_grad_kernel(y, dy, out, outer, n, inner):
    # dx = y * (dy - sum(dy * y))
    y3 = y.reshape((outer, n, inner))
    d3 = dy.reshape((outer, n, inner))
    o3 = out.reshape((outer, n, inner))
    for a in range(outer):
        for c in range(inner):
            s = 0.0
            for b in range(n):
                s += d3[a, b, c] * y3[a, b, c]
            for b in range(n):
                o3[a, b, c] = y3[a, b, c] * (d3[a, b, c] - s)


@kernel("LogSoftmaxGrad", "CPU", args=_softmax_args, flat=True)
def log_softmax_grad_kernel(y, dy, out, outer, n, inner):
    # dx = dy - exp(y) * sum(dy)
    y3 = y.reshape((outer, n, inner))
    d3 = dy.reshape((outer, n, inner))
    o3 = out.reshape((outer, n, inner))
    for a in range(outer):
        for c in range(inner):
            s = 0.0
            for b in range(n):
                s += d3[a, b, c]
            for b in range(n):
                o3[a, b, c] = d3[a, b, c] - math.exp(y3[a, b, c]) * s
