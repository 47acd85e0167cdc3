"""Op test cases for TransData (ops/layout.py): every conversion both ways, channels that are not a multiple of
16, a grouped FRACTAL_Z, FRACTAL_NZ's kept 1-D shape and a float16 input (pure data movement). Device-format
inputs hold random values in their padding lanes too: the conversion back ignores them (zero gradient)."""

import numpy as np

R = np.random.default_rng(5)


def f(*shape):
    return R.standard_normal(shape).astype(np.float32)


def _case(x, src, dst, shape, groups=1, **extra):
    return dict(inputs=[x], attrs=dict(src_format=src, dst_format=dst, shape=shape, groups=groups), **extra)


CASES = {
    "TransData": [
        _case(f(2, 3, 2, 3), "NCHW", "NC1HWC0", (2, 3, 2, 3)),
        _case(f(1, 2, 2, 2, 16), "NC1HWC0", "NCHW", (1, 20, 2, 2)),
        _case(f(5, 3, 2, 2), "NCHW", "FRACTAL_Z", (5, 3, 2, 2)),
        _case(f(2, 1, 16, 16), "FRACTAL_Z", "NCHW", (5, 3, 1, 2)),
        _case(f(4, 3, 2, 1), "NCHW", "FRACTAL_Z", (4, 3, 2, 1), groups=2),
        _case(f(2, 1, 16, 16), "FRACTAL_Z", "NCHW", (4, 3, 2, 1), groups=2),
        _case(f(2, 3, 17), "ND", "FRACTAL_NZ", (2, 3, 17)),
        _case(f(1, 1, 16, 16), "FRACTAL_NZ", "ND", (3, 5)),
        _case(f(32), "ND", "FRACTAL_NZ", (32,)),
        _case(f(2, 20, 3, 1).astype(np.float16), "NCHW", "NC1HWC0", (2, 20, 3, 1), fd=False),
    ],
}
