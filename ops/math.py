"""Elementwise math: Pow, Exp, Log, Sqrt, Rsqrt, Abs, Sign, Square, Reciprocal, Log1p, Floor.

Each op is one ``elementwise(...)`` definition (scalar body, numpy reference, gradient rule) plus
its MindSpore functional form (``ops.exp``) and primitive class (``ops.Exp()``). Transcendental
ops take floating-point inputs; integer and bool Tensors are cast to float32 first, as MindSpore
does for them.
"""

import math

import numpy as np

from ..graph import dtype as mstype
from .arithmetic import cast, equal, greater_equal, logical_and, select, zeros_like
from .elementwise_base import elementwise, promote
from .primitive_base import Primitive, simple_primitive
from .reduce import unbroadcast
from .registry import apply, as_tensor

# ---- scalar bodies (compiled by every backend; only ``math`` may be used) ----------------------


def _pow(x, y):
    return x ** y


def _exp(x):
    return math.exp(x)


def _log(x):
    return math.log(x)


def _sqrt(x):
    return math.sqrt(x)


def _rsqrt(x):
    return 1.0 / math.sqrt(x)


def _abs(x):
    return x if x >= 0 else -x


def _sign(x):
    if x > 0:
        return 1
    if x < 0:
        return -1
    return x  # 0 stays 0 and NaN stays NaN, as numpy.sign


def _square(x):
    return x * x


def _reciprocal(x):
    return 1.0 / x


def _log1p(x):
    return math.log1p(x)


def _floor(x):
    # numba's math.floor returns an int64: only call it where the result fits. Every float with
    # |x| >= 2**52 is already an integer, and inf/NaN must pass through unchanged.
    if not -4503599627370496.0 < x < 4503599627370496.0:
        return x
    return math.floor(x)


# ---- gradient rules ----------------------------------------------------------------------------

def _pow_grad(ctx, ins, out, d):
    x, y = ins
    dx = dy = None
    if ctx.needs[0]:
        dx = unbroadcast(d * y * pow(x, y - 1), x.shape)
    if ctx.needs[1]:
        # MindSpore 2.10's Pow bprop: d(x^y)/dy = x^y log(x) * dout, except 0 where x == 0 and y >= 0 (the
        # limit; 0 * log(0) would be NaN). Negative bases give NaN (log(x < 0)); x == 0 with y < 0 gives
        # inf * -inf = -inf.
        zero_base = logical_and(equal(x, 0), greater_equal(y, 0))
        dy = unbroadcast(select(zero_base, zeros_like(out), out * log(x) * d), y.shape)
    return [dx, dy]


_FLOAT = dict(float_only=True)

elementwise("Pow", _pow, np.power, grad=_pow_grad)
elementwise("Exp", _exp, np.exp, grad=lambda ctx, ins, out, d: [d * out], **_FLOAT)
elementwise("Log", _log, np.log, grad=lambda ctx, ins, out, d: [d / ins[0]], **_FLOAT)
# MindSpore's SqrtGrad / RsqrtGrad: written with the output, so no second sqrt is needed.
elementwise("Sqrt", _sqrt, np.sqrt, grad=lambda ctx, ins, out, d: [d / (out * 2)], **_FLOAT)
elementwise("Rsqrt", _rsqrt, lambda x: 1 / np.sqrt(x),
            grad=lambda ctx, ins, out, d: [d * (out * out * out) * -0.5], **_FLOAT)
# sign(0) = 0, so |x| has gradient 0 at x = 0, as in MindSpore.
elementwise("Abs", _abs, np.abs, grad=lambda ctx, ins, out, d: [d * sign(ins[0])])
elementwise("Sign", _sign, np.sign, nondiff=True)
elementwise("Square", _square, np.square, grad=lambda ctx, ins, out, d: [d * (ins[0] * 2)])
elementwise("Reciprocal", _reciprocal, np.reciprocal, grad=lambda ctx, ins, out, d: [-d * (out * out)],
            **_FLOAT)
elementwise("Log1p", _log1p, np.log1p, grad=lambda ctx, ins, out, d: [d / (ins[0] + 1)], **_FLOAT)
elementwise("Floor", _floor, np.floor, nondiff=True, **_FLOAT)


# ---- functional forms --------------------------------------------------------------------------

def _float(x):
    x = as_tensor(x)
    return x if x.dtype.np.kind == "f" else cast(x, mstype.float32)


def pow(input, exponent):
    """out = input ** exponent (broadcasting; either may be a Python number).

    Gradients: d/dinput = exponent * input^(exponent - 1); d/dexponent = out * log(input), 0 where input == 0
    and exponent >= 0 (MindSpore's rule: NaN for a negative input, -inf for 0 ** negative)."""
    x, y = promote(input, exponent)
    return apply("Pow", x, y)


def exp(input):
    """out = e^input."""
    return apply("Exp", _float(input))


def log(input):
    """out = ln(input) (-inf at 0, NaN below 0)."""
    return apply("Log", _float(input))


def sqrt(x):
    """out = sqrt(x); the gradient is dout / (2 * out)."""
    return apply("Sqrt", _float(x))


def rsqrt(input):
    """out = 1 / sqrt(input); the gradient is -0.5 * dout * out^3."""
    return apply("Rsqrt", _float(input))


def abs(input):
    """out = |input|; the gradient is dout * sign(input) (0 at input == 0)."""
    return apply("Abs", as_tensor(input))


def sign(input):
    """out = 1 where input > 0, -1 where input < 0, 0 where input == 0 (NaN stays NaN)."""
    return apply("Sign", as_tensor(input))


def square(input):
    """out = input * input."""
    return apply("Square", as_tensor(input))


def reciprocal(input):
    """out = 1 / input."""
    return apply("Reciprocal", _float(input))


def log1p(input):
    """out = ln(1 + input), accurate for small input."""
    return apply("Log1p", _float(input))


def floor(input):
    """out = the largest integer <= input (same floating dtype; not differentiable)."""
    return apply("Floor", _float(input))


# ---- primitive classes -------------------------------------------------------------------------

Exp = simple_primitive("Exp", exp)
Log = simple_primitive("Log", log)
Sqrt = simple_primitive("Sqrt", sqrt)
Rsqrt = simple_primitive("Rsqrt", rsqrt)
Abs = simple_primitive("Abs", abs)
Sign = simple_primitive("Sign", sign)
Square = simple_primitive("Square", square)
Reciprocal = simple_primitive("Reciprocal", reciprocal)
Log1p = simple_primitive("Log1p", log1p)
Floor = simple_primitive("Floor", floor)


class Pow(Primitive):
    """``Pow()(x, y)`` = x ** y (either may be a number)."""

    def __call__(self, x, y):
        return pow(x, y)


__all__ = ["pow", "exp", "log", "sqrt", "rsqrt", "abs", "sign", "square", "reciprocal", "log1p", "floor"]
__primitives__ = [Pow, Exp, Log, Sqrt, Rsqrt, Abs, Sign, Square, Reciprocal, Log1p, Floor]
