"""``nn.Conv2d``: 2-D convolution over NCHW input with MindSpore 2.x's arguments, defaults and checks.

out = Conv2D(x, weight) (+ bias along the channel axis), weight (out_channels, in_channels/group, kh, kw).
Defaults as in MindSpore 2.x: ``weight_init=None`` draws HeUniform(negative_slope=sqrt(5)) (bound
sqrt(6 / ((1 + 5) * fan_in)) = 1/sqrt(fan_in)), ``bias_init=None`` draws Uniform(1/sqrt(fan_in)),
fan_in = in_channels/group * kh * kw. Output size per pad_mode: 'same' ceil(H/stride), 'valid'
ceil((H - dilation*(kh-1)) / stride), 'pad' (H + top + bottom - dilation*(kh-1) - 1) // stride + 1.
"""

import math

from ...graph import dtype as mstype
from ...graph.cell import Cell
from ...graph.parameter import Parameter
from ...ops import conv as C
from ..initializer import HeUniform, Uniform, initializer


class Conv2d(Cell):
    """2-D convolution layer: ``Conv2d(in_channels, out_channels, kernel_size, stride=1, pad_mode='same',
    padding=0, dilation=1, group=1, has_bias=False, weight_init=None, bias_init=None, data_format='NCHW',
    dtype=mstype.float32)``."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0, dilation=1,
                 group=1, has_bias=False, weight_init=None, bias_init=None, data_format="NCHW",
                 dtype=mstype.float32):
        super().__init__()
        name = type(self).__name__
        self.in_channels = C.check_int(in_channels, "in_channels", name)
        self.out_channels = C.check_int(out_channels, "out_channels", name)
        self.kernel_size = C.int_pair(kernel_size, "kernel_size", name)
        self.stride = C.int_pair(stride, "stride", name)
        self.pad_mode = C.check_pad_mode(pad_mode, name)
        if isinstance(padding, list):
            padding = tuple(padding)
        pad4 = C.int_pad4(padding, "padding", name)
        if self.pad_mode != "pad" and pad4 != (0, 0, 0, 0):
            raise ValueError(f"For '{name}', the 'padding' must be zero when 'pad_mode' is not equal to 'pad', "
                             f"but got 'padding': {padding} and 'pad_mode': {pad_mode}")
        self.padding = padding
        self.dilation = C.int_pair(dilation, "dilation", name)
        self.group = C.check_int(group, "group", name)
        for arg, value in (("in_channels", self.in_channels), ("out_channels", self.out_channels)):
            if value % self.group:
                raise ValueError(f"For '{name}', the attr '{arg}' must be divisible by attr 'group', but got "
                                 f"'{arg}': {value} and 'group': {self.group}")
        if not isinstance(has_bias, bool):
            raise TypeError(f"For '{name}', the type of 'has_bias' must be bool, but got "
                            f"{type(has_bias).__name__}")
        self.has_bias = has_bias
        self.data_format = C.check_format(data_format, name)
        shape = (self.out_channels, self.in_channels // self.group) + self.kernel_size
        fan_in = shape[1] * shape[2] * shape[3]
        self.weight_init = HeUniform(negative_slope=math.sqrt(5)) if weight_init is None else weight_init
        self.weight = Parameter(initializer(self.weight_init, shape, dtype=dtype), name="weight")
        self.bias_init = bias_init
        if has_bias:
            if bias_init is None:
                self.bias_init = Uniform(scale=1 / math.sqrt(fan_in))
            self.bias = Parameter(initializer(self.bias_init, [self.out_channels], dtype=dtype), name="bias")
        else:
            self.bias = None
        self.conv2d = C.Conv2D(self.out_channels, self.kernel_size, mode=1, pad_mode=self.pad_mode,
                               pad=pad4 if self.pad_mode == "pad" else 0, stride=self.stride,
                               dilation=self.dilation, group=self.group, data_format=self.data_format)
        self.bias_add = C.BiasAdd(data_format=self.data_format)

    def construct(self, x):
        output = self.conv2d(x, self.weight)
        if self.has_bias:
            output = self.bias_add(output, self.bias)
        return output

    def extend_repr(self):
        return (f"input_channels={self.in_channels}, output_channels={self.out_channels}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, pad_mode={self.pad_mode}, "
                f"padding={self.padding}, dilation={self.dilation}, group={self.group}, "
                f"has_bias={self.has_bias}, weight_init={self.weight_init}, bias_init={self.bias_init}, "
                f"format={self.data_format}")


__all__ = ["Conv2d"]
