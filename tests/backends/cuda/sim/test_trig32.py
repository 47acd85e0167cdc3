"""The GPU's float32-only sin and cos (``backends/cuda/trig32.py``, used by the Sin and Cos kernels instead of
libdevice's sinf/cosf, which hold float64) against float64 numpy rounded to float32, over every binade of
float32 from 2^-20 to 3.4e38 (random significands, both signs) and the float32 values nearest multiples of
pi/2 (the hardest reductions), in numba's CUDA simulator (the device functions run as Python)."""


import numpy as np
import pytest

from minispore.backends.cuda.trig32 import cos32, sin32

MAX_ULP = 1  # (numpy's own float32 sin/cos: 1 on these inputs too)


def _inputs(per_binade=40):
    rng = np.random.default_rng(0)
    xs = [np.ldexp(rng.uniform(1, 2, per_binade), e) for e in range(-20, 128)]
    near = np.float32(np.arange(1, 20001, 7) * (np.pi / 2))  # nearest float32 to k pi/2 ...
    steps = [np.nextafter(near, np.float32(np.inf)), np.nextafter(near, np.float32(0))]  # ... and neighbours
    big = np.float32([1e22, 1.0e30, 3.4028235e38, 8.6e6, 16777216.0, 105615.0, 105616.0, 0.7853982, 0.7853981])
    x = np.concatenate([np.concatenate(xs).astype(np.float32), near, *steps, big])
    return np.concatenate([x, -x])


def _ulps(got, want):
    """|got - want| in float32 ulps (ordered integer distance of their bit patterns)."""
    def ordered(v):
        i = np.asarray(v, np.float32).view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7FFFFFFF), i)
    return np.abs(ordered(got) - ordered(want))


@pytest.mark.parametrize("fn,ref", [(sin32, np.sin), (cos32, np.cos)], ids=["sin", "cos"])
def test_float32_sin_cos_within_1_ulp_of_the_rounded_exact_values(fn, ref):
    x = _inputs()
    got = np.array([fn(v) for v in x], np.float32)
    assert got.dtype == np.float32
    want = ref(x.astype(np.float64)).astype(np.float32)
    err = _ulps(got, want)
    assert err.max() <= MAX_ULP, (x[err.argmax()], got[err.argmax()], want[err.argmax()], err.max())


def test_inf_and_nan_give_nan():
    for v in (np.float32(np.inf), np.float32(-np.inf), np.float32(np.nan)):
        with np.errstate(invalid="ignore"):
            assert np.isnan(sin32(v)) and np.isnan(cos32(v))
