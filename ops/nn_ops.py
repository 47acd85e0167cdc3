"""Batch normalization, built from four small ops whose gradients are ordinary graph nodes.

For x of shape (N, C, *) with M = N * prod(*) elements per channel c:

    BatchNormStats(x)                    -> (2, C): [mean_c, var_c], var biased: mean((x - mean_c)^2)
    BatchNormInvStd(v; eps)              -> 1 / sqrt(v + eps)                        (elementwise)
    BatchNormScaleShift(x, m, s, b)      -> y = (x - m_c) * s_c + b_c
    BatchNormReduceGrad(dy, x, m)        -> (2, C): [sum dy * (x - m_c), sum dy]  (per channel)

Training: y = ScaleShift(x, mean, gamma * InvStd(var), beta); inference uses the running
statistics. Autodiff through these gives the usual batch-norm backward:
dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat)).

Running statistics follow MindSpore's CPU kernel: running = (1 - momentum) * running + momentum *
batch, where the batch variance folded into the running variance is the UNBIASED one, M / (M - 1)
times the biased variance y is normalised with (NaN when M == 1). Measured on MindSpore 2.10 (CPU):
nn.BatchNorm2d(momentum=0.9) over a (4, 3, 2, 2) batch gives moving_variance = 0.9 + 0.1 * var * 16/15.

The kernels of these ops are in backends/<target>/kernels/batch_norm.py.
"""

import math

import numpy as np

from ..graph.parameter import Parameter
from ..graph.tensor import Tensor
from .elementwise_base import elementwise
from .geometry import axis_split
from .indexing import strided_slice
from .primitives import Primitive
from .registry import (
    OpDef,
    apply,
    as_tensor,
    check_same_type,
    fail,
    fail_type,
    read_dtype,
    register,
    type_name,
)
from .shape_base import reshape
from .state import assign


def _ncr(shape):
    """(N, C, R): batch, channels and the product of the remaining axes."""
    return axis_split(shape, 1)


def ncr_args(k):
    """The kernels' args function of a batch-norm op: node -> (N, C, R) of the node's input ``k``
    (BatchNormStats and BatchNormScaleShift: x, input 0; BatchNormReduceGrad: x, input 1)."""
    return lambda node: _ncr(node.inputs[k].shape)


def _check_x(x):
    if x.ndim < 2:
        raise ValueError(f"the input must have shape (N, C, ...), but got {list(x.shape)}")
    if x.dtype.kind != "f":
        raise TypeError(f"the input must be a floating-point Tensor, but got {type_name(x.dtype)}")


def _channel_vectors(x, vecs, names):
    for v, name in zip(vecs, names):
        if v.shape != (x.shape[1],):
            raise ValueError(f"'{name}' must be a vector of shape [{x.shape[1]}] (the channels of input "
                             f"{list(x.shape)}), but got {list(v.shape)}")
        check_same_type(x, v, "x", name)


def _row(t, k):
    """Row k of a (2, C) tensor, as a (C,) tensor."""
    c = t.shape[1]
    return reshape(strided_slice(t, [k, 0], [k + 1, c], [1, 1]), (c,))


def _zeros(c, dtype):
    return Tensor(np.zeros(c, dtype.np))


def _bshape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


# ---- BatchNormStats --------------------------------------------------------------------------

def _stats_infer(specs):
    x = specs[0]
    _check_x(x)
    if x.shape[1] == 0 or int(np.prod(x.shape, dtype=np.int64)) == 0:
        raise ValueError(f"the input {list(x.shape)} must have at least one element per channel")
    return (2, x.shape[1]), x.dtype


def _stats_ref(x):
    axes = (0,) + tuple(range(2, x.ndim))
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=axes)
    var = ((x64 - mean.reshape(_bshape(x))) ** 2).mean(axis=axes)
    return np.stack([mean, var]).astype(x.dtype)


def _stats_grad(ctx, ins, out, d):
    # d mean / dx = 1/M; d var / dx = 2 (x - mean) / M (the mean's own dependence sums to zero).
    x = ins[0]
    n, c, r = _ncr(x.shape)
    m = n * r
    dmean, dvar = _row(d, 0), _row(d, 1)
    return [apply("BatchNormScaleShift", x, _row(out, 0), dvar * (2.0 / m), dmean * (1.0 / m))]


register(OpDef("BatchNormStats", infer=_stats_infer, reference=_stats_ref, grad=_stats_grad))


# ---- BatchNormInvStd -------------------------------------------------------------------------

def _inv_std(v, eps):
    return 1.0 / math.sqrt(v + eps)


def _inv_std_ref(v, eps):
    return (1.0 / np.sqrt(v.astype(np.float64) + eps)).astype(v.dtype)


elementwise("BatchNormInvStd", _inv_std, _inv_std_ref, float_only=True, scalar_attrs=("eps",),
            grad=lambda ctx, ins, out, d, eps: [d * out * out * out * -0.5])


# ---- BatchNormScaleShift ---------------------------------------------------------------------

def _scale_shift_infer(specs):
    x, m, s, b = specs
    _check_x(x)
    _channel_vectors(x, (m, s, b), ("center", "scale", "shift"))
    return x.shape, x.dtype


def _scale_shift_ref(x, m, s, b):
    bs = _bshape(x)
    return (x - m.reshape(bs)) * s.reshape(bs) + b.reshape(bs)


def _scale_shift_grad(ctx, ins, out, d):
    x, m, s, b = ins
    c = x.shape[1]
    dx = apply("BatchNormScaleShift", d, _zeros(c, x.dtype), s, _zeros(c, x.dtype)) if ctx.needs[0] else None
    dm = ds = db = None
    if any(ctx.needs[1:]):
        sums = apply("BatchNormReduceGrad", d, x, m)
        dsum = _row(sums, 1)
        dm = -(s * dsum) if ctx.needs[1] else None
        ds = _row(sums, 0) if ctx.needs[2] else None
        db = dsum if ctx.needs[3] else None
    return [dx, dm, ds, db]


register(OpDef("BatchNormScaleShift", infer=_scale_shift_infer, reference=_scale_shift_ref,
               grad=_scale_shift_grad))


# ---- BatchNormReduceGrad ---------------------------------------------------------------------

def _reduce_grad_infer(specs):
    dy, x, m = specs
    _check_x(x)
    if dy.shape != x.shape or dy.dtype != x.dtype:
        raise ValueError(f"dy {list(dy.shape)} {dy.dtype} must match x {list(x.shape)} {x.dtype}")
    _channel_vectors(x, (m,), ("center",))
    return (2, x.shape[1]), x.dtype


def _reduce_grad_ref(dy, x, m):
    axes = (0,) + tuple(range(2, x.ndim))
    dy64 = dy.astype(np.float64)
    centred = x.astype(np.float64) - m.astype(np.float64).reshape(_bshape(x))
    return np.stack([(dy64 * centred).sum(axis=axes), dy64.sum(axis=axes)]).astype(x.dtype)



def _reduce_grad_grad(ctx, ins, out, d):
    # The op is bilinear in (dy, x - m): differentiate each factor.
    dy, x, m = ins
    c = x.shape[1]
    g0, g1 = _row(d, 0), _row(d, 1)
    ddy = apply("BatchNormScaleShift", x, m, g0, g1) if ctx.needs[0] else None
    dx = apply("BatchNormScaleShift", dy, _zeros(c, x.dtype), g0, _zeros(c, x.dtype)) if ctx.needs[1] else None
    dm = -(g0 * _row(out, 1)) if ctx.needs[2] else None
    return [ddy, dx, dm]


register(OpDef("BatchNormReduceGrad", infer=_reduce_grad_infer, reference=_reduce_grad_ref,
               grad=_reduce_grad_grad))


# ---- functional forms ----------------------------------------------------------------------

def _check_float(value, name, low, high, low_open=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"For 'BatchNorm', '{name}' must be a float, but got {type(value).__name__}")
    if value > high or value < low or (low_open and value == low):
        bracket = "(" if low_open else "["
        raise ValueError(f"For 'BatchNorm', '{name}' must be in range {bracket}{low}, {high}], but got {value}")
    return float(value)


def _batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps):
    """(y, mean, var): the statistics y was normalised with."""
    x = as_tensor(x)
    if x.ndim < 2:
        fail("BatchNorm", f"the input must have shape (N, C, ...), but got {list(x.shape)}")
    if x.dtype.np.kind != "f":
        fail_type("BatchNorm", f"the 'x' must be a floating-point Tensor, but got {x.dtype}")
    momentum = _check_float(momentum, "momentum", 0.0, 1.0)
    eps = _check_float(eps, "epsilon", 0.0, 1.0, low_open=True)
    c = x.shape[1]
    weight = Tensor(np.ones(c, x.dtype.np)) if weight is None else weight
    bias = Tensor(np.zeros(c, x.dtype.np)) if bias is None else bias
    for t, name in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"),
                    (bias, "bias")):
        if not isinstance(t, Tensor) or tuple(t.shape) != (c,):
            shown = list(t.shape) if isinstance(t, Tensor) else type(t).__name__
            fail("BatchNorm", f"'{name}' must be a Tensor of shape [{c}] (the channels of input {list(x.shape)}), "
                              f"but got {shown}")
        # (the dtype the op reads: a mixed-precision Cell reads its float Parameters in its compute dtype)
        if read_dtype(t) != x.dtype.np:
            fail_type("BatchNorm", f"the type of '{name}' should be same as 'x', but got x with type {x.dtype} "
                                   f"and {name} with type {type_name(read_dtype(t))}")
    if training:
        for t, name in ((running_mean, "running_mean"), (running_var, "running_var")):
            if not isinstance(t, Parameter):
                raise TypeError(f"For 'BatchNorm', '{name}' must be a Parameter when training is True (it is "
                                f"updated in place), but got {type(t).__name__}")
        stats = apply("BatchNormStats", x)
        mean, var = _row(stats, 0), _row(stats, 1)
        assign(running_mean, running_mean * (1.0 - momentum) + mean * momentum)
        m = x.size // c
        unbias = m / (m - 1) if m > 1 else float("nan")
        assign(running_var, running_var * (1.0 - momentum) + var * (unbias * momentum))
    else:
        mean, var = running_mean, running_var
    scale = weight * apply("BatchNormInvStd", var, eps=eps)
    return apply("BatchNormScaleShift", x, mean, scale, bias), mean, var


def batch_norm(input_x, running_mean, running_var, weight, bias, training=False, momentum=0.1, eps=1e-5):
    """Batch normalization over axis 1 of ``input_x`` (N, C, ...):

        y = (x - mean) / sqrt(var + eps) * weight + bias

    With ``training``, mean/var are the batch statistics (biased variance) and the running
    Parameters are updated in place: running = (1 - momentum) * running + momentum * batch, with the
    unbiased batch variance (M / (M - 1) times the biased one, M = N * prod(spatial)), as MindSpore's
    CPU kernel. Otherwise the running statistics are used.
    ``weight``/``bias`` may be None (ones/zeros)."""
    return _batch_norm(input_x, running_mean, running_var, weight, bias, training, momentum, eps)[0]


class BatchNorm(Primitive):
    """``BatchNorm(is_training=False, epsilon=1e-5, momentum=0.1, data_format='NCHW')(x, scale, bias,
    mean, variance)`` -> (y, batch_mean, batch_variance, reserve_space_1, reserve_space_2).

    Training returns the batch mean and biased variance (twice) and updates ``mean``/``variance``
    in place; inference returns the given mean/variance."""

    def __init__(self, is_training=False, epsilon=1e-5, momentum=0.1, data_format="NCHW"):
        super().__init__()
        if data_format != "NCHW":
            raise ValueError(f"For 'BatchNorm', only data_format 'NCHW' is supported, but got {data_format!r}")
        self.is_training = bool(is_training)
        self.epsilon = _check_float(epsilon, "epsilon", 0.0, 1.0, low_open=True)
        self.momentum = _check_float(momentum, "momentum", 0.0, 1.0)
        self.data_format = data_format

    def __call__(self, input_x, scale, bias, mean, variance):
        y, m, v = _batch_norm(input_x, mean, variance, scale, bias, self.is_training, self.momentum, self.epsilon)
        return y, m, v, m, v


__all__ = ["batch_norm"]
__primitives__ = [BatchNorm]
