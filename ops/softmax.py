"""Softmax and LogSoftmax along one axis, and their gradient ops SoftmaxGrad / LogSoftmaxGrad.

The kernels (backends/<target>/kernels/softmax.py) view the input as (outer, n, inner) with n the
softmax axis (``geometry.axis_split``), so any axis is handled without a transpose.
"""

import numpy as np

from .math import exp
from .primitive_base import Primitive
from .reduce import reduce_sum
from .registry import OpDef, apply, as_tensor, fail, fail_type, register, type_name


def _softmax_infer(specs, axis):
    for s in specs:
        if s.dtype.kind != "f":
            raise TypeError(f"the input must be a floating-point Tensor, but got {type_name(s.dtype)}")
        if s.shape != specs[0].shape or s.dtype != specs[0].dtype:
            raise ValueError(f"the inputs must have the same shape and dtype, but got {specs}")
    x = specs[0]
    if not 0 <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of range for a {x.ndim}-D input of shape {list(x.shape)}")
    return x.shape, x.dtype


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _np_log_softmax(x, axis):
    z = x - x.max(axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis, keepdims=True))


def _softmax_grad_grad(ctx, ins, out, d, axis):
    # out = y * (dy - s), s = sum(dy * y): d/dy_k = dz_k (dy_k - s) - dy_k sum(dz * y)
    y, dy = ins
    gy = gdy = None
    if ctx.needs[0]:
        gy = d * (dy - reduce_sum(dy * y, axis, True)) - dy * reduce_sum(d * y, axis, True)
    if ctx.needs[1]:
        gdy = apply("SoftmaxGrad", y, d, axis=axis)
    return [gy, gdy]


def _log_softmax_grad_grad(ctx, ins, out, d, axis):
    # out = dy - exp(y) * sum(dy)
    y, dy = ins
    ey = exp(y)
    gy = -d * ey * reduce_sum(dy, axis, True) if ctx.needs[0] else None
    gdy = d - reduce_sum(d * ey, axis, True) if ctx.needs[1] else None
    return [gy, gdy]


def _reg(name, reference, grad):
    register(OpDef(name, infer=_softmax_infer, reference=reference, grad=grad))


_reg("Softmax", _np_softmax, lambda ctx, ins, out, d, axis: [apply("SoftmaxGrad", out, d, axis=axis)])
_reg("LogSoftmax", _np_log_softmax, lambda ctx, ins, out, d, axis: [apply("LogSoftmaxGrad", out, d, axis=axis)])
_reg("SoftmaxGrad", lambda y, dy, axis: y * (dy - (dy * y).sum(axis, keepdims=True)), _softmax_grad_grad)
_reg("LogSoftmaxGrad", lambda y, dy, axis: dy - np.exp(y) * dy.sum(axis, keepdims=True), _log_softmax_grad_grad)


# ---- functional forms ---------------------------------------------------------------------------

def _softmax_axis(name, axis, ndim):
    if isinstance(axis, (tuple, list)) and len(axis) == 1:
        axis = axis[0]
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        fail_type(name, f"'axis' must be an int (or a tuple of one int), but got {axis!r}")
    if ndim == 0:
        fail(name, "the input must have at least one dimension, but got a 0-D Tensor")
    if not -ndim <= axis < ndim:
        fail(name, f"'axis' must be in range [{-ndim}, {ndim}), but got {axis}")
    return int(axis) % ndim


def softmax(input, axis=-1, *, dtype=None):
    """softmax(x)_i = exp(x_i - max(x)) / sum_j exp(x_j - max(x)) along ``axis``; the gradient is
    y * (dout - sum(dout * y))."""
    x = as_tensor(input)
    if dtype is not None:
        x = x.astype(dtype)
    return apply("Softmax", x, axis=_softmax_axis("Softmax", axis, x.ndim))


def log_softmax(logits, axis=-1):
    """log_softmax(x)_i = x_i - max(x) - log(sum_j exp(x_j - max(x))) along ``axis``; the gradient is
    dout - exp(y) * sum(dout)."""
    x = as_tensor(logits)
    return apply("LogSoftmax", x, axis=_softmax_axis("LogSoftmax", axis, x.ndim))


# ---- primitive classes --------------------------------------------------------------------------

class Softmax(Primitive):
    """``Softmax(axis=-1)(x)``: softmax along ``axis`` (an int or a tuple of one int)."""

    def __init__(self, axis=-1):
        super().__init__()
        if isinstance(axis, bool) or not isinstance(axis, (int, tuple, list)):
            raise TypeError(f"For 'Softmax', 'axis' must be an int or a tuple, but got {type(axis).__name__}")
        self.axis = axis

    def __call__(self, x):
        return softmax(x, self.axis)


class LogSoftmax(Primitive):
    """``LogSoftmax(axis=-1)(x)``: log-softmax along ``axis``."""

    def __init__(self, axis=-1):
        super().__init__()
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"For 'LogSoftmax', 'axis' must be an int, but got {type(axis).__name__}")
        self.axis = axis

    def __call__(self, x):
        return log_softmax(x, self.axis)


__all__ = ["softmax", "log_softmax"]
__primitives__ = [Softmax, LogSoftmax]
