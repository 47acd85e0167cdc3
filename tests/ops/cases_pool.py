"""Op test cases for pooling: MaxPool (+ MaxPoolGrad, MaxPoolGradGrad, MaxPoolArgmax) and AvgPool
(+ AvgPoolGrad). Cover stride 2, overlapping windows, dilation, asymmetric ('same'-style) padding,
ceil_mode, count_include_pad and divisor_override. Inputs are random normals, so windows have no ties
and the finite differences of max pooling are well defined."""

import numpy as np

from minispore.ops.pool import _pool_shape

R = np.random.default_rng(5)


def f(*shape):
    return R.standard_normal(shape).astype(np.float32)


def _max(kernel_size, strides, pad=(0, 0, 0, 0), dilation=(1, 1), ceil_mode=False):
    return dict(kernel_size=kernel_size, strides=strides, pad=pad, dilation=dilation, ceil_mode=ceil_mode)


def _avg(kernel_size, strides, pad=(0, 0, 0, 0), ceil_mode=False, count_include_pad=True, divisor=0):
    return dict(kernel_size=kernel_size, strides=strides, pad=pad, ceil_mode=ceil_mode,
                count_include_pad=count_include_pad, divisor=divisor)


_MAX = [
    ((2, 3, 6, 6), _max((2, 2), (2, 2))),
    ((1, 2, 7, 5), _max((3, 3), (2, 2), pad=(1, 1, 1, 1))),
    ((1, 2, 5, 5), _max((2, 2), (2, 2), pad=(0, 1, 0, 1))),  # 'same' for 5 / 2
    ((1, 2, 7, 7), _max((2, 3), (1, 2), pad=(1, 0, 1, 1), dilation=(2, 1))),
    ((1, 2, 6, 7), _max((3, 3), (2, 2), ceil_mode=True)),
    ((2, 1, 5, 4), _max((3, 3), (1, 1))),  # overlapping windows share maxima
    ((1, 2, 8, 9), _max((3, 3), (3, 3))),  # windows tile the input, rows and a column left over
    ((2, 2, 4, 6), _max((2, 3), (2, 3))),  # tiling, non-square windows
]

_AVG = [
    ((2, 3, 6, 6), _avg((2, 2), (2, 2))),
    ((1, 2, 5, 5), _avg((2, 2), (2, 2), pad=(0, 1, 0, 1), count_include_pad=False)),  # 'same'
    ((1, 2, 5, 5), _avg((3, 3), (1, 1), pad=(1, 1, 1, 1), count_include_pad=False)),
    ((1, 2, 6, 7), _avg((3, 3), (2, 2), pad=(1, 1, 1, 1), ceil_mode=True)),
    ((1, 2, 6, 7), _avg((3, 2), (2, 3), pad=(1, 1, 0, 1), ceil_mode=True, divisor=5)),
]


def _pooled(x_shape, attrs):
    return _pool_shape(x_shape, attrs["kernel_size"], attrs["strides"], attrs["pad"],
                       attrs.get("dilation", (1, 1)), attrs["ceil_mode"])


CASES = {
    "MaxPool": [dict(inputs=[f(*xs)], attrs=a) for xs, a in _MAX],
    "MaxPoolGrad": [dict(inputs=[f(*xs), f(*_pooled(xs, a))], attrs=a) for xs, a in _MAX],
    "MaxPoolGradGrad": [dict(inputs=[f(*xs), f(*xs)], attrs=a) for xs, a in _MAX],
    "MaxPoolArgmax": [dict(inputs=[f(*xs)], attrs=a) for xs, a in _MAX],
    "AvgPool": [dict(inputs=[f(*xs)], attrs=a) for xs, a in _AVG],
    "AvgPoolGrad": [dict(inputs=[f(*_pooled(xs, a))], attrs=dict(a, x_shape=xs)) for xs, a in _AVG],
}
