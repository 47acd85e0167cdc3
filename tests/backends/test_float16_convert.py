"""The CPU's 16-bit float conversions (backends/cpu/f16.py) agree with numpy bit for bit: h2f over all
65536 float16 patterns, f2h / h16 over millions of float32 and float64 values (random bit patterns, so
NaNs with every kind of payload, subnormals, exact ties between halves and their neighbours, overflow
to inf), and the bfloat16 helpers with ml_dtypes the same way."""

import numpy as np
import pytest
from numba import njit

from minispore.backends.cpu.f16_intrinsics import b2f, b16, f2b, f2h, h2f, h16

ALL16 = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)


@njit
def _h2f_all(u, out):
    for i in range(u.size):
        out[i] = h2f(u[i])


@njit
def _f2h_all(x, out):
    for i in range(x.size):
        out[i] = f2h(x[i])


@njit
def _h16_all(x, out):
    for i in range(x.size):
        out[i] = h16(x[i])


@njit
def _b2f_all(u, out):
    for i in range(u.size):
        out[i] = b2f(u[i])


@njit
def _f2b_all(x, out):
    for i in range(x.size):
        out[i] = f2b(x[i])


@njit
def _b16_all(x, out):
    for i in range(x.size):
        out[i] = b16(x[i])


def _halfway_points():
    """Every midpoint between two adjacent finite halves (the ties) and the floats just around them."""
    h = ALL16.view(np.float16).astype(np.float64)
    h = np.sort(h[np.isfinite(h)])
    mid = (h[:-1] + h[1:]) / 2
    return mid


def _samples(dtype):
    rng = np.random.default_rng(0)
    mid = _halfway_points()
    special = [0.0, -0.0, 65504, 65519.99, 65520, -65520, 1e5, np.inf, -np.inf, np.nan, 2.0 ** -24, 2.0 ** -25,
               2.0 ** -26, 3 * 2.0 ** -26, 1.5 * 2.0 ** -24, 2.0 ** -14, 2.0 ** -14 - 2.0 ** -25]
    if dtype == np.float32:
        bits = rng.integers(0, 1 << 32, 3_000_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
        near = rng.integers(-1 << 16, 1 << 16, 1_000_000).astype(np.float32) * np.float32(2.0 ** -26)
    else:
        bits = rng.integers(0, 1 << 64, 3_000_000, dtype=np.uint64).view(np.float64)
        near = rng.standard_normal(1_000_000) * 10.0 ** rng.integers(-9, 6, 1_000_000)
    m = mid.astype(dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        parts = [bits, near, m, np.nextafter(m, dtype(np.inf)), np.nextafter(m, dtype(-np.inf)),
                 ALL16.view(np.float16).astype(dtype), np.array(special, dtype)]
    return np.concatenate(parts).astype(dtype)


def _same_bits(got, want, what):
    bits = {2: np.uint16, 4: np.uint32}[got.dtype.itemsize]
    bad = np.nonzero(got.view(bits) != want.view(bits))[0]
    assert bad.size == 0, f"{what}: {bad.size} values differ, e.g. index {bad[:5]}"


def test_h2f_all_65536_patterns():
    out = np.empty(ALL16.size, np.float32)
    _h2f_all(ALL16, out)
    _same_bits(out, ALL16.view(np.float16).astype(np.float32), "h2f")  # NaN payloads included


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_f2h_and_h16_match_numpy(dtype):
    x = _samples(dtype)
    assert np.isnan(x).sum() > 1000 and (np.abs(x[np.isfinite(x)]) < 2.0 ** -14).sum() > 1000
    with np.errstate(invalid="ignore", over="ignore"):
        want = x.astype(np.float16)
    out = np.empty(x.size, np.uint16)
    _f2h_all(x, out)
    _same_bits(out, want.view(np.uint16), f"f2h({np.dtype(dtype).name})")
    out32 = np.empty(x.size, np.float32)
    _h16_all(x, out32)
    _same_bits(out32, want.astype(np.float32), f"h16({np.dtype(dtype).name})")


def test_f2h_of_ints_and_bools():
    ints = np.arange(-70_000, 70_000, dtype=np.int64)
    out = np.empty(ints.size, np.uint16)
    _f2h_all(ints, out)
    with np.errstate(over="ignore"):
        want = ints.astype(np.float16)
    _same_bits(out, want.view(np.uint16), "f2h(int64)")
    bools = np.array([True, False])
    out = np.empty(2, np.uint16)
    _f2h_all(bools, out)
    _same_bits(out, bools.astype(np.float16).view(np.uint16), "f2h(bool)")


def test_bfloat16_conversions_match_ml_dtypes():
    bfloat16_np = np.dtype(pytest.importorskip("ml_dtypes").bfloat16)
    out = np.empty(ALL16.size, np.float32)
    _b2f_all(ALL16, out)
    _same_bits(out, ALL16.view(bfloat16_np).astype(np.float32), "b2f")
    for dtype in (np.float32, np.float64):
        x = _samples(dtype)
        with np.errstate(invalid="ignore", over="ignore"):
            want = x.astype(bfloat16_np)
        bits = np.empty(x.size, np.uint16)
        _f2b_all(x, bits)
        _same_bits(bits, want.view(np.uint16), f"f2b({np.dtype(dtype).name})")
        rounded = np.empty(x.size, np.float32)
        _b16_all(x, rounded)
        _same_bits(rounded, want.astype(np.float32), f"b16({np.dtype(dtype).name})")
