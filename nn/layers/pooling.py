"""``nn.MaxPool2d`` and ``nn.AvgPool2d`` with MindSpore 2.x's arguments and checks; formulas are in
``ops/pool.py``.

pad_mode 'valid' / 'same' (not case sensitive) use the MaxPool / AvgPool primitives ('same' output
ceil(H/stride); an average divides by its window's non-padding count). 'pad' uses ``padding``
(MaxPool2d: an int or (h, w), at most half the kernel), ``dilation``, ``ceil_mode`` and
``return_indices``; AvgPool2d switches to its 'pad' form, as MindSpore does, whenever ``padding``,
``ceil_mode``, ``count_include_pad`` or ``divisor_override`` differ from their defaults.
"""

from ...graph.cell import Cell
from ...ops import conv as C
from ...ops import pool as P


class _PoolNd(Cell):
    def __init__(self, kernel_size, stride, pad_mode, data_format):
        super().__init__()
        name = type(self).__name__
        if not isinstance(pad_mode, str) or pad_mode.upper() not in ("VALID", "SAME", "PAD"):
            raise ValueError(f"For '{name}', the 'pad_mode' must be str and must be in ['VALID', 'SAME', 'PAD'] "
                             f"(not case sensitive), but got {pad_mode!r}")
        self.pad_mode = pad_mode.upper()
        self.format = C.check_format(data_format, name)
        self.kernel_size = C.int_pair(kernel_size, "kernel_size", name)
        self.stride = C.int_pair(stride, "stride", name)

    def _pads(self, x):
        P.check_pool_input(x, type(self).__name__)  # (before 'same' reads the last two axes)
        if self.pad_mode == "VALID":
            return (0, 0, 0, 0)
        hw = x.shape[-2:]
        return C.same_pads(hw[0], self.kernel_size[0], self.stride[0], 1) + \
            C.same_pads(hw[1], self.kernel_size[1], self.stride[1], 1)

    def extend_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, pad_mode={self.pad_mode}"


class MaxPool2d(_PoolNd):
    """Max pooling: ``MaxPool2d(kernel_size=1, stride=1, pad_mode='valid', padding=0, dilation=1,
    return_indices=False, ceil_mode=False, data_format='NCHW')``. With ``return_indices`` the call returns
    (output, argmax), argmax the int64 flat index row * W + column of each window's first maximum."""

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, dilation=1, return_indices=False,
                 ceil_mode=False, data_format="NCHW"):
        super().__init__(kernel_size, stride, pad_mode, data_format)
        name = type(self).__name__
        self.use_pad = self.pad_mode == "PAD"
        if not self.use_pad and (padding != 0 or dilation != 1 or return_indices or ceil_mode):
            raise ValueError(f"For '{name}', the parameter 'padding', 'dilation', 'return_indices', 'ceil_mode' "
                             f"can not be set to non-default value when pad_mode is not 'pad', but got "
                             f"pad_mode:{pad_mode}.")
        pad = padding if isinstance(padding, int) else tuple(padding)
        if not isinstance(pad, int) and len(pad) != 2:
            raise ValueError(f"For '{name}', the 'padding' must be an int or a tuple of two ints, but got {padding!r}")
        self.padding = C.int_pad4(pad, "padding", name)
        P._check_half_kernel(self.padding, self.kernel_size, name)
        self.dilation = C.int_pair(dilation, "dilation", name)
        self.return_indices = bool(return_indices)
        self.ceil_mode = bool(ceil_mode)

    def construct(self, x):
        pads = self.padding if self.use_pad else self._pads(x)
        return P.max_pool(x, self.kernel_size, self.stride, pads, self.dilation, self.ceil_mode,
                          self.return_indices, op=type(self).__name__)


class AvgPool2d(_PoolNd):
    """Average pooling: ``AvgPool2d(kernel_size=1, stride=1, pad_mode='valid', padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None, data_format='NCHW')``."""

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None, data_format="NCHW"):
        super().__init__(kernel_size, stride, pad_mode, data_format)
        name = type(self).__name__
        self.padding = C.int_pad4(padding, "padding", name)
        self.use_pad = (self.pad_mode == "PAD" or self.padding != (0, 0, 0, 0) or bool(ceil_mode)
                        or not count_include_pad or divisor_override is not None)
        if self.use_pad:
            P._check_half_kernel(self.padding, self.kernel_size, name)
        if divisor_override is not None:
            C.check_int(divisor_override, "divisor_override", name)
        self.ceil_mode = bool(ceil_mode)
        self.count_include_pad = bool(count_include_pad)
        self.divisor_override = divisor_override

    def construct(self, x):
        name = type(self).__name__
        if self.use_pad:
            return P.avg_pool(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                              self.divisor_override, op=name)
        return P.avg_pool(x, self.kernel_size, self.stride, self._pads(x), count_include_pad=False, op=name)


__all__ = ["MaxPool2d", "AvgPool2d"]
