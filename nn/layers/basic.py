"""Dense and Flatten."""

import math

from ... import ops
from ...graph import dtype as mstype
from ...graph.cell import Cell
from ...graph.parameter import Parameter
from ...graph.tensor import Tensor
from ...ops.registry import fail
from ..initializer import HeUniform, Uniform, initializer
from .activation import get_activation


def _check_positive_int(value, arg, cls):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"For '{cls}', '{arg}' must be a positive int, but got {value!r}")
    return value


class Dense(Cell):
    """Fully connected layer: ``y = activation(x @ weight.T + bias)``.

    ``weight`` has shape (out_channels, in_channels). MindSpore's defaults: weight_init None ->
    HeUniform(negative_slope=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)); bias_init None ->
    U(-1/sqrt(in), 1/sqrt(in)). Inputs with more than 2 dims are flattened to (-1, in_channels)
    and reshaped back.
    """

    def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True,
                 activation=None, dtype=mstype.float32):
        super().__init__()
        self.in_channels = _check_positive_int(in_channels, "in_channels", "Dense")
        self.out_channels = _check_positive_int(out_channels, "out_channels", "Dense")
        self.has_bias = bool(has_bias)
        if weight_init is None:
            weight_init = HeUniform(math.sqrt(5))
        if isinstance(weight_init, Tensor) and tuple(weight_init.shape) != (out_channels, in_channels):
            raise ValueError(f"For 'Dense', weight_init shape {list(weight_init.shape)} must be "
                             f"[{out_channels}, {in_channels}]")
        self.weight = Parameter(initializer(weight_init, (out_channels, in_channels), dtype), name="weight")
        self.bias = None
        if self.has_bias:
            if bias_init is None:
                bias_init = Uniform(1.0 / math.sqrt(in_channels))
            self.bias = Parameter(initializer(bias_init, (out_channels,), dtype), name="bias")
        if activation is None or isinstance(activation, Cell):
            self.activation = activation
        else:
            self.activation = get_activation(activation) if isinstance(activation, str) else activation
        if self.activation is not None and not isinstance(self.activation, Cell) and not callable(self.activation):
            raise TypeError(f"For 'Dense', activation must be a str, a Cell or None, but got {activation!r}")

    def construct(self, x):
        shape = x.shape
        if len(shape) < 2:  # MindSpore's check (a 1-D input is not a batch of one)
            fail("Dense", f"the dimension of 'x' should not be less than 2, but got {len(shape)}")
        if len(shape) != 2:
            x = ops.reshape(x, (-1, shape[-1]))
        y = ops.matmul(x, self.weight, False, True)
        if self.bias is not None:
            y = y + self.bias
        if self.activation is not None:
            y = self.activation(y)
        if len(shape) != 2:
            y = ops.reshape(y, tuple(shape[:-1]) + (self.out_channels,))
        return y

    def extend_repr(self):
        return f"input_channels={self.in_channels}, output_channels={self.out_channels}, has_bias={self.has_bias}"


class Flatten(Cell):
    """Merge axes ``start_dim..end_dim`` (default: all but the batch axis), row-major."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def construct(self, x):
        return ops.flatten(x, self.start_dim, self.end_dim)


class Identity(Cell):
    """Returns its input."""

    def construct(self, x):
        return x


__all__ = ["Dense", "Flatten", "Identity"]
