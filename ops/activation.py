"""Activations: ReLU, ReLU6, LeakyReLU, Sigmoid, Tanh, GeLU, Elu, Softplus (elementwise, with
MindSpore's fused gradient ops ReluGrad, ReLU6Grad, SigmoidGrad, TanhGrad, GeLUGrad). Softmax and
LogSoftmax live in ``softmax.py`` (they need CPU kernels) and are exported from here.

The fused gradient ops keep the backward pass at one kernel per activation; their own gradient
rules (for higher-order derivatives) are written with ordinary ops.
"""

import math

import numpy as np

from .arithmetic import select
from .elementwise_base import elementwise
from .math import exp
from .primitive_base import Primitive, simple_primitive
from .registry import apply, as_tensor, fail, fail_type
from .softmax import LogSoftmax, Softmax, log_softmax, softmax

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_A = 0.044715

# ---- scalar bodies (literal constants only: bodies may use nothing global but ``math``) --------


def _relu(x):
    return 0 if x <= 0 else x  # NaN propagates (NaN <= 0 is False)


def _relu_grad(dy, y):
    return dy if y > 0 else 0  # MindSpore's ReluGrad: the gradient at exactly 0 is 0


def _relu6(x):
    if x <= 0:
        return 0
    if x >= 6:
        return 6
    return x


def _relu6_grad(dy, x):
    return dy if x > 0 and x <= 6 else 0  # MindSpore's CPU ReLU6Grad: 0 at x == 0, dy at x == 6


def _leaky_relu(x, alpha):
    return x if x > 0 else x * alpha


def _sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # never overflows for x < 0
    return e / (1.0 + e)


def _sigmoid_grad(y, dy):
    return dy * y * (1.0 - y)


def _tanh(x):
    # MindSpore's CPU Tanh (nnacl TanhOpt): a [7/6] Pade approximant, +-1 beyond |x| > 5
    if x > 5:
        return 1.0
    if x < -5:
        return -1.0
    s = x * x
    return ((((s + 378.0) * s + 17325.0) * s + 135135.0) * x) / (((28.0 * s + 3150.0) * s + 62370.0) * s + 135135.0)


def _tanh_grad(y, dy):
    return dy * (1.0 - y * y)


def _gelu(x, approximate):
    if approximate:  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        return 0.5 * x * (1.0 + math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
    return 0.5 * x * (1.0 + math.erf(x * 0.7071067811865476))  # x * Phi(x)


def _gelu_grad(dy, x, approximate):
    if approximate:
        x2 = x * x
        t = math.tanh(0.7978845608028654 * (x + 0.044715 * x2 * x))
        du = 0.7978845608028654 * (1.0 + 0.134145 * x2)  # d/dx of the tanh argument
        return dy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du)
    cdf = 0.5 * (1.0 + math.erf(x * 0.7071067811865476))
    return dy * (cdf + x * 0.3989422804014327 * math.exp(-0.5 * x * x))  # Phi(x) + x phi(x)


def _elu(x, alpha):
    return x if x > 0 else alpha * math.expm1(x)


def _softplus(x):
    # log(1 + e^x) without overflow: x + log1p(e^-x) for positive x.
    if x > 0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(math.exp(x))


# ---- numpy references --------------------------------------------------------------------------

def _np_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def _np_gelu(x, approximate):
    if approximate:
        return 0.5 * x * (1 + np.tanh(_SQRT_2_OVER_PI * (x + _GELU_A * x ** 3)))
    from scipy.special import erf

    return 0.5 * x * (1 + erf(x / math.sqrt(2.0)))


def _np_gelu_grad(dy, x, approximate):
    if approximate:
        t = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_A * x ** 3))
        return dy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * _GELU_A * x * x))
    from scipy.special import erf

    return dy * (0.5 * (1 + erf(x / math.sqrt(2.0))) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))


def _np_tanh(x):
    # 16-bit inputs compute in float32, as the kernels do (135135 is past float16's largest value)
    w = x.astype(np.float32) if x.dtype.itemsize < 4 else x
    s = w * w
    t = (((s + 378) * s + 17325) * s + 135135) * w / (((28 * s + 3150) * s + 62370) * s + 135135)
    return np.where(w > 5, 1, np.where(w < -5, -1, t)).astype(x.dtype)


def _np_softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


# ---- gradient rules ----------------------------------------------------------------------------

def _gelu_second(x, approximate):
    """d^2 gelu / dx^2, for the gradient of GeLUGrad."""
    if approximate:
        k, a = _SQRT_2_OVER_PI, _GELU_A
        # the exact tanh, as GeLUGrad's kernel (the Tanh op is MindSpore's approximation): 1 - 2 / (e^2u + 1)
        t = 1 - 2 / (exp((x + a * x * x * x) * (2 * k)) + 1)
        du = k * (1 + 3 * a * x * x)
        return (1 - t * t) * (du + 0.5 * x * (6 * a * k * x - 2 * t * du * du))
    return exp(x * x * -0.5) * (1 / math.sqrt(2 * math.pi)) * (2 - x * x)


def _gelu_grad_grad(ctx, ins, out, d, approximate):
    dy, x = ins
    return [apply("GeLUGrad", d, x, approximate=approximate) if ctx.needs[0] else None,
            d * dy * _gelu_second(x, approximate) if ctx.needs[1] else None]


def _sigmoid_grad_grad(ctx, ins, out, d):
    y, dy = ins
    return [d * dy * (1 - y * 2) if ctx.needs[0] else None,
            apply("SigmoidGrad", y, d) if ctx.needs[1] else None]


def _tanh_grad_grad(ctx, ins, out, d):
    y, dy = ins
    return [d * dy * y * -2 if ctx.needs[0] else None, apply("TanhGrad", y, d) if ctx.needs[1] else None]


def _elu_grad(ctx, ins, out, d, alpha):
    x = ins[0]
    return [select(x > 0, d, d * (out + alpha))]  # alpha * e^x = out + alpha where x <= 0


def _leaky_grad(ctx, ins, out, d, alpha):
    # MindSpore computes LeakyReLU as Maximum(alpha * x, x) (Minimum for alpha > 1), whose gradient splits
    # a tie in half: at x == 0 both branches are equal and the gradient is d * (1 + alpha) / 2.
    x = ins[0]
    return [select(x > 0, d, select(x < 0, d * alpha, d * (0.5 * (1.0 + alpha))))]


_F = dict(float_only=True)
elementwise("ReLU", _relu, lambda x: np.where(x <= 0, 0, x).astype(x.dtype),
            grad=lambda ctx, ins, out, d: [apply("ReluGrad", d, out)])
elementwise("ReluGrad", _relu_grad, lambda dy, y: np.where(y > 0, dy, 0).astype(dy.dtype),
            grad=lambda ctx, ins, out, d: [apply("ReluGrad", d, ins[1]) if ctx.needs[0] else None, None])
elementwise("ReLU6", _relu6, lambda x: np.clip(x, 0, 6),
            grad=lambda ctx, ins, out, d: [apply("ReLU6Grad", d, ins[0])])
elementwise("ReLU6Grad", _relu6_grad, lambda dy, x: np.where((x > 0) & (x <= 6), dy, 0).astype(dy.dtype),
            grad=lambda ctx, ins, out, d: [apply("ReLU6Grad", d, ins[1]) if ctx.needs[0] else None, None])
elementwise("LeakyReLU", _leaky_relu, lambda x, alpha: np.where(x > 0, x, x * alpha).astype(x.dtype),
            grad=_leaky_grad, scalar_attrs=("alpha",), **_F)
elementwise("Sigmoid", _sigmoid, _np_sigmoid, grad=lambda ctx, ins, out, d: [apply("SigmoidGrad", out, d)], **_F)
elementwise("SigmoidGrad", _sigmoid_grad, lambda y, dy: dy * y * (1 - y), grad=_sigmoid_grad_grad, **_F)
elementwise("Tanh", _tanh, _np_tanh, grad=lambda ctx, ins, out, d: [apply("TanhGrad", out, d)], **_F)
elementwise("TanhGrad", _tanh_grad, lambda y, dy: dy * (1 - y * y), grad=_tanh_grad_grad, **_F)
elementwise("GeLU", _gelu, _np_gelu, scalar_attrs=("approximate",), **_F,
            grad=lambda ctx, ins, out, d, approximate: [apply("GeLUGrad", d, ins[0], approximate=approximate)])
elementwise("GeLUGrad", _gelu_grad, _np_gelu_grad, grad=_gelu_grad_grad, scalar_attrs=("approximate",), **_F)
elementwise("Elu", _elu, lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(x)).astype(x.dtype),
            grad=_elu_grad, scalar_attrs=("alpha",), **_F)
elementwise("Softplus", _softplus, _np_softplus, grad=lambda ctx, ins, out, d: [d * sigmoid(ins[0])], **_F)


# ---- functional forms --------------------------------------------------------------------------

def _check_float(name, value, arg):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail_type(name, f"'{arg}' must be a float, but got {type(value).__name__}")
    return float(value)


def relu(input):
    """ReLU(x) = max(x, 0). The gradient is dout where x > 0 and 0 elsewhere (0 at x == 0)."""
    return apply("ReLU", as_tensor(input))


def relu6(x):
    """ReLU6(x) = min(max(x, 0), 6); the gradient is dout where 0 < x <= 6 (MindSpore's CPU ReLU6Grad: 0 at
    x == 0, dout at x == 6)."""
    return apply("ReLU6", as_tensor(x))


def leaky_relu(input, alpha=0.2):
    """LeakyReLU(x) = x where x > 0, alpha * x elsewhere. MindSpore builds it as Maximum(alpha * x, x)
    (Minimum when alpha > 1), so the gradient is dout where x > 0, alpha * dout where x < 0, and
    (1 + alpha) / 2 * dout at x == 0 (Maximum's gradient splits ties in half)."""
    return apply("LeakyReLU", as_tensor(input), alpha=_check_float("leaky_relu", alpha, "alpha"))


def sigmoid(input):
    """sigmoid(x) = 1 / (1 + exp(-x)); the gradient is dout * y * (1 - y)."""
    return apply("Sigmoid", as_tensor(input))


def tanh(input):
    """tanh(x) as MindSpore's CPU kernel computes it: x (s^3 + 378 s^2 + 17325 s + 135135) /
    (28 s^3 + 3150 s^2 + 62370 s + 135135) with s = x^2 for |x| <= 5 (up to 1e-5 above 1 near 5), +-1
    beyond; the gradient is dout * (1 - y^2) of that y."""
    return apply("Tanh", as_tensor(input))


def gelu(input, approximate="none"):
    """GELU. approximate='none': x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2))); approximate='tanh':
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate not in ("none", "tanh"):
        fail("gelu", f"'approximate' must be 'none' or 'tanh', but got {approximate!r}")
    return apply("GeLU", as_tensor(input), approximate=approximate == "tanh")


def elu(input_x, alpha=1.0):
    """ELU(x) = x where x > 0, alpha * (exp(x) - 1) elsewhere."""
    return apply("Elu", as_tensor(input_x), alpha=_check_float("elu", alpha, "alpha"))


def softplus(input, beta=1, threshold=20):
    """Softplus(x) = log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    x = as_tensor(input)
    beta = _check_float("softplus", beta, "beta")
    threshold = _check_float("softplus", threshold, "threshold")
    scaled = x if beta == 1 else x * beta
    y = apply("Softplus", scaled)
    if beta != 1:
        y = y * (1 / beta)
    return select(scaled > threshold, x, y)


def silu(input):
    """SiLU(x) = x * sigmoid(x)."""
    x = as_tensor(input)
    return x * sigmoid(x)


# ---- primitive classes -------------------------------------------------------------------------

ReLU = simple_primitive("ReLU", relu)
ReLU6 = simple_primitive("ReLU6", relu6)
Sigmoid = simple_primitive("Sigmoid", sigmoid)
Tanh = simple_primitive("Tanh", tanh)
Softplus = simple_primitive("Softplus", lambda x: apply("Softplus", as_tensor(x)), "log(1 + exp(x)).")


class GeLU(Primitive):
    """``GeLU()(x)``: the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    def __call__(self, x):
        return gelu(x, "tanh")


class Elu(Primitive):
    """``Elu(alpha=1.0)(x)`` = x where x > 0, alpha * (exp(x) - 1) elsewhere."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = _check_float("Elu", alpha, "alpha")

    def __call__(self, x):
        return elu(x, self.alpha)


__all__ = ["relu", "relu6", "leaky_relu", "sigmoid", "tanh", "gelu", "elu", "softplus", "silu", "softmax",
           "log_softmax"]
__primitives__ = [ReLU, ReLU6, Sigmoid, Tanh, GeLU, Elu, Softplus, Softmax, LogSoftmax]
