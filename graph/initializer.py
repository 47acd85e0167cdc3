"""Parameter initializers with MindSpore's names and defaults.

``initializer(init, shape, dtype)`` (in ``tensor.py``, beside the Tensor it makes) returns a Tensor
drawn from ``init`` (an Initializer, its
name such as ``'normal'``/``'zeros'``, a number, or a Tensor). Randomness comes from
``minispore.set_seed``.
"""

import math
import numbers

import numpy as np

from . import dtype as mstype
from .session import SESSION


def set_seed(seed):
    """Seed minispore's initializers (MindSpore's ``set_seed``)."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"For 'set_seed', seed must be a non-negative int, but got {seed!r}")
    SESSION.set_seed(seed)


def _fans(shape):
    if len(shape) < 2:
        raise ValueError(f"fan_in/fan_out need at least 2 dimensions, got shape {list(shape)}")
    receptive = int(np.prod(shape[2:], dtype=np.int64)) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


class Initializer:
    """Base class: subclasses implement ``_draw(shape) -> float64 array``."""

    def __call__(self, arr):
        arr[...] = self._draw(arr.shape)

    def _draw(self, shape):
        raise NotImplementedError


class Zero(Initializer):
    """All zeros."""

    def _draw(self, shape):
        return np.zeros(shape)


class One(Initializer):
    """All ones."""

    def _draw(self, shape):
        return np.ones(shape)


class Constant(Initializer):
    """All equal to ``value``."""

    def __init__(self, value):
        self.value = value

    def _draw(self, shape):
        return np.full(shape, self.value, dtype=np.float64)


class Normal(Initializer):
    """N(mean, sigma^2); MindSpore's default sigma=0.01."""

    def __init__(self, sigma=0.01, mean=0.0):
        self.sigma, self.mean = sigma, mean

    def _draw(self, shape):
        return SESSION.rng.normal(self.mean, self.sigma, shape)


class TruncatedNormal(Initializer):
    """N(0, sigma^2) truncated to [-2 sigma, 2 sigma]."""

    def __init__(self, sigma=0.01):
        self.sigma = sigma

    def _draw(self, shape):
        out = SESSION.rng.normal(0.0, self.sigma, shape)
        bad = np.abs(out) > 2 * self.sigma
        while bad.any():
            out[bad] = SESSION.rng.normal(0.0, self.sigma, int(bad.sum()))
            bad = np.abs(out) > 2 * self.sigma
        return out


class Uniform(Initializer):
    """U(-scale, scale); MindSpore's default scale=0.07."""

    def __init__(self, scale=0.07):
        self.scale = scale

    def _draw(self, shape):
        return SESSION.rng.uniform(-self.scale, self.scale, shape)


def _gain(nonlinearity, a):
    if nonlinearity == "leaky_relu":
        return math.sqrt(2.0 / (1 + a * a))
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity in ("linear", "sigmoid", "conv2d"):
        return 1.0
    raise ValueError(f"unsupported nonlinearity '{nonlinearity}'")


class HeUniform(Initializer):
    """Kaiming uniform: U(-b, b), b = gain * sqrt(3 / fan), gain = sqrt(2 / (1 + a^2)) for leaky_relu."""

    def __init__(self, negative_slope=0, mode="fan_in", nonlinearity="leaky_relu"):
        if mode not in ("fan_in", "fan_out"):
            raise ValueError(f"For 'HeUniform', mode must be 'fan_in' or 'fan_out', got {mode!r}")
        self.a, self.mode, self.nonlinearity = negative_slope, mode, nonlinearity

    def _draw(self, shape):
        fan_in, fan_out = _fans(shape)
        fan = fan_in if self.mode == "fan_in" else fan_out
        bound = _gain(self.nonlinearity, self.a) * math.sqrt(3.0 / fan)
        return SESSION.rng.uniform(-bound, bound, shape)


class HeNormal(HeUniform):
    """Kaiming normal: N(0, std^2), std = gain / sqrt(fan)."""

    def _draw(self, shape):
        fan_in, fan_out = _fans(shape)
        fan = fan_in if self.mode == "fan_in" else fan_out
        return SESSION.rng.normal(0.0, _gain(self.nonlinearity, self.a) / math.sqrt(fan), shape)


class XavierUniform(Initializer):
    """Glorot uniform: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out))."""

    def __init__(self, gain=1):
        self.gain = gain

    def _draw(self, shape):
        fan_in, fan_out = _fans(shape)
        bound = self.gain * math.sqrt(6.0 / (fan_in + fan_out))
        return SESSION.rng.uniform(-bound, bound, shape)


class XavierNormal(XavierUniform):
    """Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""

    def _draw(self, shape):
        fan_in, fan_out = _fans(shape)
        return SESSION.rng.normal(0.0, self.gain * math.sqrt(2.0 / (fan_in + fan_out)), shape)


_BY_NAME = {
    "zeros": Zero, "zero": Zero, "ones": One, "one": One, "normal": Normal, "uniform": Uniform,
    "truncatednormal": TruncatedNormal, "he_uniform": HeUniform, "heuniform": HeUniform,
    "he_normal": HeNormal, "henormal": HeNormal, "xavier_uniform": XavierUniform,
    "xavieruniform": XavierUniform, "xavier_normal": XavierNormal,
}


def draw(init, shape=None, dtype=mstype.float32):
    """A numpy array of ``shape``/``dtype`` initialised by ``init`` (an Initializer, its name, a number,
    or an array-like such as a Tensor); ``initializer()`` wraps it in a Tensor."""
    if isinstance(shape, int):
        shape = (shape,)
    np_dtype = mstype.to_np(dtype)
    if hasattr(init, "asnumpy") or isinstance(init, np.ndarray):
        arr = init.asnumpy() if hasattr(init, "asnumpy") else init
        if shape is not None and tuple(arr.shape) != tuple(shape):
            raise ValueError(f"For 'initializer', the Tensor's shape {list(arr.shape)} does not match "
                             f"shape {list(shape)}")
        return arr.astype(np_dtype)
    if shape is None:
        raise ValueError("For 'initializer', shape is required")
    if any((not isinstance(s, (int, np.integer))) or s < 0 for s in shape):
        raise ValueError(f"For 'initializer', shape must be non-negative ints, got {shape!r}")
    if isinstance(init, str):
        key = init.lower()
        if key not in _BY_NAME:
            raise ValueError(f"For 'initializer', unknown initializer '{init}'; known: {sorted(_BY_NAME)}")
        init = _BY_NAME[key]()
    elif isinstance(init, numbers.Number) and not isinstance(init, bool):
        init = Constant(init)
    if not isinstance(init, Initializer):
        raise TypeError(f"For 'initializer', init must be an Initializer, a name, a number or a Tensor, "
                        f"but got {type(init).__name__}")
    return np.asarray(init._draw(tuple(shape))).astype(np_dtype)


__all__ = ["Initializer", "Zero", "One", "Constant", "Normal", "TruncatedNormal", "Uniform", "HeUniform",
           "HeNormal", "XavierUniform", "XavierNormal", "draw", "set_seed"]
