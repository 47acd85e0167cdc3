"""GPU kernels of Softmax, LogSoftmax, SoftmaxGrad and LogSoftmaxGrad (ops/softmax.py) over an
(outer, n, inner) view of the input (n: the softmax axis), one thread per (outer, inner) row.

They subtract the row's maximum before exponentiating (no overflow) and accumulate in the input's dtype
(float32 kernels stay float32; the CPU accumulates in float64: the results agree to float32 rounding):
softmax(x)_b = exp(x_b - m) / sum_b' exp(x_b' - m), log_softmax(x)_b = x_b - (m + log sum_b' exp(x_b' - m)),
SoftmaxGrad: dx = y * (dy - sum(dy * y)), LogSoftmaxGrad: dx = dy - exp(y) * sum(dy).
"""

import math

from numba import cuda

from ....ops.geometry import axis_split
from ...base import kernel
from ..device import cast_like, dims, flat, same_dtype

_ROW = "void(float32[::1], float32[::1], int64, int64, int64)"
_GRAD = "void(float32[::1], float32[::1], float32[::1], int64, int64, int64)"


@cuda.jit(device=True, inline="always")
def _row_max(x, base, n, inner):
    m = x[base]
    for b in range(1, n):
        if x[base + b * inner] > m:
            m = x[base + b * inner]
    return m


@cuda.jit(cache=True)
def softmax_kernel(x, out, outer, n, inner):
    for t in range(cuda.grid(1), outer * inner, cuda.gridsize(1)):
        base = (t // inner) * n * inner + t % inner
        m = _row_max(x, base, n, inner)
        s = cast_like(out, 0)
        for b in range(n):
            e = math.exp(x[base + b * inner] - m)
            out[base + b * inner] = e
            s += e
        for b in range(n):
            out[base + b * inner] = out[base + b * inner] / s


@cuda.jit(cache=True)
def log_softmax_kernel(x, out, outer, n, inner):
    for t in range(cuda.grid(1), outer * inner, cuda.gridsize(1)):
        base = (t // inner) * n * inner + t % inner
        m = _row_max(x, base, n, inner)
        s = cast_like(out, 0)
        for b in range(n):
            s += math.exp(x[base + b * inner] - m)
        lse = m + math.log(s)
        for b in range(n):
            out[base + b * inner] = x[base + b * inner] - lse


@cuda.jit(cache=True)
def softmax_grad_kernel(y, dy, out, outer, n, inner):
    for t in range(cuda.grid(1), outer * inner, cuda.gridsize(1)):
        base = (t // inner) * n * inner + t % inner
        s = cast_like(out, 0)
        for b in range(n):
            s += dy[base + b * inner] * y[base + b * inner]
        for b in range(n):
            out[base + b * inner] = y[base + b * inner] * (dy[base + b * inner] - s)


@cuda.jit(cache=True)
def log_softmax_grad_kernel(y, dy, out, outer, n, inner):
    for t in range(cuda.grid(1), outer * inner, cuda.gridsize(1)):
        base = (t // inner) * n * inner + t % inner
        s = cast_like(out, 0)
        for b in range(n):
            s += dy[base + b * inner]
        for b in range(n):
            out[base + b * inner] = dy[base + b * inner] - math.exp(y[base + b * inner]) * s


def _softmax_args(node):
    return axis_split(node.inputs[0].shape, node.attrs["axis"])


def _rows(kern, name, arrays, outer, n, inner):
    same_dtype(name, *arrays)
    if n and outer * inner:
        kern[dims(outer * inner)](*[flat(a) for a in arrays], outer, n, inner)


@kernel("Softmax", "GPU", args=_softmax_args)
def softmax(x, out, outer, n, inner, err):
    _rows(softmax_kernel, "Softmax", (x, out), outer, n, inner)


@kernel("LogSoftmax", "GPU", args=_softmax_args)
def log_softmax(x, out, outer, n, inner, err):
    _rows(log_softmax_kernel, "LogSoftmax", (x, out), outer, n, inner)


@kernel("SoftmaxGrad", "GPU", args=_softmax_args)
def softmax_grad(y, dy, out, outer, n, inner, err):
    _rows(softmax_grad_kernel, "SoftmaxGrad", (y, dy, out), outer, n, inner)


@kernel("LogSoftmaxGrad", "GPU", args=_softmax_args)
def log_softmax_grad(y, dy, out, outer, n, inner, err):
    _rows(log_softmax_grad_kernel, "LogSoftmaxGrad", (y, dy, out), outer, n, inner)


PTX = [(softmax_kernel, _ROW), (log_softmax_kernel, _ROW), (softmax_grad_kernel, _GRAD),
       (log_softmax_grad_kernel, _GRAD)]
