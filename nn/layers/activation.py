"""Activation cells (``nn.ReLU()``, ``nn.GELU()`` ...) and ``get_activation(name)``, the lookup used by
``nn.Dense(activation='relu')``. Each cell calls the op's functional form; formulas are in
``ops/activation.py`` and ``ops/softmax.py``."""

from ...graph.cell import Cell
from ...ops import activation as A


def _check_number(cls_name, value, arg):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"For '{cls_name}', the type of '{arg}' must be float or int, but got "
                        f"{type(value).__name__}")
    return float(value)


def _check_axis(cls_name, axis, allow_tuple):
    kinds = (int, tuple, list) if allow_tuple else (int,)
    if isinstance(axis, bool) or not isinstance(axis, kinds):
        wanted = "int or tuple" if allow_tuple else "int"
        raise TypeError(f"For '{cls_name}', the type of 'axis' must be {wanted}, but got {type(axis).__name__}")
    return axis


class ReLU(Cell):
    """ReLU(x) = max(x, 0); the gradient at x == 0 is 0."""

    def construct(self, x):
        return A.relu(x)


class ReLU6(Cell):
    """ReLU6(x) = min(max(x, 0), 6); the gradient is 0 at x == 0 and passes at x == 6 (as MindSpore)."""

    def construct(self, x):
        return A.relu6(x)


class LeakyReLU(Cell):
    """LeakyReLU(x) = x where x > 0, alpha * x elsewhere (``alpha`` defaults to 0.2); the gradient at
    x == 0 is (1 + alpha) / 2 (MindSpore's Maximum(alpha * x, x), see ``ops.leaky_relu``)."""

    def __init__(self, alpha=0.2):
        super().__init__()
        self.alpha = _check_number("LeakyReLU", alpha, "alpha")

    def construct(self, x):
        return A.leaky_relu(x, self.alpha)

    def extend_repr(self):
        return f"alpha={self.alpha}"


class Sigmoid(Cell):
    """Sigmoid(x) = 1 / (1 + exp(-x))."""

    def construct(self, x):
        return A.sigmoid(x)


class Tanh(Cell):
    """Tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)), computed as MindSpore's CPU kernel does (a
    rational approximation, +-1 for |x| > 5; see ``ops.tanh``)."""

    def construct(self, x):
        return A.tanh(x)


class GELU(Cell):
    """GELU. ``approximate=True`` (MindSpore's default): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)));
    ``approximate=False``: x * P(X <= x) = 0.5 x (1 + erf(x / sqrt(2))), X ~ N(0, 1)."""

    def __init__(self, approximate=True):
        super().__init__()
        if not isinstance(approximate, bool):
            raise TypeError(f"For 'GELU', the type of 'approximate' must be bool, but got "
                            f"{type(approximate).__name__}")
        self.approximate = approximate

    def construct(self, x):
        return A.gelu(x, "tanh" if self.approximate else "none")

    def extend_repr(self):
        return f"approximate={self.approximate}"


class ELU(Cell):
    """ELU(x) = x where x > 0, alpha * (exp(x) - 1) elsewhere."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = _check_number("ELU", alpha, "alpha")

    def construct(self, x):
        return A.elu(x, self.alpha)

    def extend_repr(self):
        return f"alpha={self.alpha}"


class Softmax(Cell):
    """Softmax(x)_i = exp(x_i) / sum_j exp(x_j) along ``axis`` (computed with the maximum subtracted)."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = _check_axis("Softmax", axis, True)

    def construct(self, x):
        return A.softmax(x, self.axis)

    def extend_repr(self):
        return f"axis={self.axis}"


class LogSoftmax(Cell):
    """LogSoftmax(x)_i = x_i - log(sum_j exp(x_j)) along ``axis``."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = _check_axis("LogSoftmax", axis, False)

    def construct(self, x):
        return A.log_softmax(x, self.axis)

    def extend_repr(self):
        return f"axis={self.axis}"


class Softplus(Cell):
    """Softplus(x) = log(1 + exp(beta * x)) / beta, and x where beta * x > threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = _check_number("Softplus", beta, "beta")
        self.threshold = _check_number("Softplus", threshold, "threshold")

    def construct(self, x):
        return A.softplus(x, self.beta, self.threshold)

    def extend_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class SiLU(Cell):
    """SiLU(x) = x * sigmoid(x)."""

    def construct(self, x):
        return A.silu(x)


_ACTIVATIONS = {
    "softmax": Softmax,
    "logsoftmax": LogSoftmax,
    "relu": ReLU,
    "relu6": ReLU6,
    "silu": SiLU,
    "tanh": Tanh,
    "gelu": GELU,
    "elu": ELU,
    "sigmoid": Sigmoid,
    "leakyrelu": LeakyReLU,
    "softplus": Softplus,
}


def get_activation(name, prim_name=None):
    """The activation cell named ``name`` (e.g. 'relu'), constructed with its defaults; None for None."""
    prefix = f"For '{prim_name}', the" if prim_name else "The"
    if name is None:
        return None
    if name not in _ACTIVATIONS:
        raise KeyError(f"{prefix} 'name' must be in {list(_ACTIVATIONS)}, but got {name}.")
    return _ACTIVATIONS[name]()


__all__ = ["ReLU", "ReLU6", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "ELU", "Softmax", "LogSoftmax", "Softplus",
           "SiLU", "get_activation"]
