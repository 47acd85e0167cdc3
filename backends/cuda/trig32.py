"""sin and cos of a float32 in float32 and integer arithmetic only, for the GPU's float32 kernels.

Why: ``math.sin`` on a float32 compiles to libdevice's ``__nv_sinf``, whose slow path (|x| > 105615)
converts its reduced argument through float64 (``cvt.rn.f64.s64``, ``mul.f64``): float64 instructions in a
float32 kernel. These functions keep full range without any float64:

  * |x| <= pi/4: r = x, quadrant 0 (no reduction);
  * otherwise an integer Payne-Hanek reduction: a = m * 2^(e-150) (m the 24-bit significand, found by
    exact power-of-two scalings); a 96-bit window of the bits of 2/pi (``_TWO_OVER_PI``, 224 bits)
    starting where the product's integer part stops mattering mod 4 is multiplied by m in uint32 limbs
    (uint64 products), giving a * 2/pi mod 4 as a quadrant q and a 64-bit binary fraction f (truncation
    error < 2^-70); rounding to the nearest quadrant puts f in [-1/2, 1/2]. f is normalised (6 shift
    steps), cut into two exact 24-bit float32 parts, and r = f * pi/2 is formed with pi/2 split into
    12-bit parts so that the leading product is exact: about 2^-36 relative error before r's one
    float32 rounding;
  * r in [-pi/4, pi/4]: Cephes' single-precision minimax polynomials (sinf: degree 7, cosf: degree 8),
    evaluated in float32; the result is chosen and signed by q (sin is odd, cos even).

Accuracy, measured with these functions' Python bodies in numba's simulator against float64 numpy
sin/cos rounded to float32, on 194,766 inputs (600 random significands in every binade from 2^-20 to
2^127, both signs, and the float32 values nearest k pi/2 for k < 20000 with their neighbours): max error
1 ulp (79% exact), as numpy's own float32 sin/cos on the same inputs (``tests/backends/cuda/sim/
test_trig32.py`` checks a 29,006-input subset). inf and nan give nan. Compiled, NVVM may contract a
multiply and an add into an fma, which can change a result by its last rounding.
"""

import math

import numpy as np
from numba import cuda

_U = np.uint64
_M32 = _U(0xFFFFFFFF)


def _two_over_pi_words(n_words):
    """The first 32 * n_words bits of 2/pi after the binary point, as uint32 words (most significant first)."""
    bits = 32 * n_words + 64
    # pi by Machin's formula in fixed point (bits + 64 guard bits), then 2/pi = 2^(bits+1) / pi
    scale = 1 << (bits + 64)

    def arctan_inv(k):
        total, term, n, sign = 0, scale // k, 1, 1
        while term:
            total += sign * (term // n)
            term //= k * k
            n += 2
            sign = -sign
        return total

    pi = 4 * (4 * arctan_inv(5) - arctan_inv(239))  # pi * scale
    frac = (2 * scale * scale // pi) >> 64  # floor(2/pi * 2^bits)
    frac >>= 64  # the first 32 * n_words bits
    return np.array([(frac >> (32 * (n_words - 1 - k))) & 0xFFFFFFFF for k in range(n_words)], np.uint64)


# 2/pi's bits 1 .. 224: the window for the largest float32 exponent (254) ends at bit 103 + 95 + 32
_TWO_OVER_PI = _two_over_pi_words(7)
# pi/2 = _P1 + _P2 + _P3, _P1 and _P2 with 12 significant bits (their products with 12-bit halves are exact)
_P1 = np.float32(1.5703125)
_P2 = np.float32(0.000483751296997070312)  # (pi/2 - _P1) cut to 12 bits
_P3 = np.float32(math.pi / 2 - 1.5703125 - 0.000483751296997070312)
_PIO4 = np.float32(math.pi / 4)
_INF = np.float32(np.inf)
_S1, _S2, _S3 = np.float32(-1.6666654611e-1), np.float32(8.3321608736e-3), np.float32(-1.9515295891e-4)
_C1, _C2, _C3 = np.float32(4.166664568298827e-2), np.float32(-1.388731625493765e-3), np.float32(2.443315711809948e-5)
_TWO = {k: np.float32(2.0 ** k) for k in (-64, -32, -24, -16, -8, -4, -2, -1, 39)}
_2M64, _2M32, _2M24, _2M16, _2M8, _2M4, _2M2, _2M1, _2P39 = _TWO.values()
_HALF, _ONE, _ZERO = np.float32(0.5), np.float32(1), np.float32(0)
_2P23, _2P24, _2P25, _2P27, _2P31, _2P55, _2P87 = (np.float32(2.0 ** k) for k in (23, 24, 25, 27, 31, 55, 87))


@cuda.jit(device=True, inline="always")
def _sin_poly(r):
    z = r * r
    return r + r * z * (_S1 + z * (_S2 + z * _S3))


@cuda.jit(device=True, inline="always")
def _cos_poly(r):
    z = r * r
    return _ONE - _HALF * z + z * z * (_C1 + z * (_C2 + z * _C3))


@cuda.jit(device=True, inline="always")
def _reduce(a):
    """(q, r) with the float32 a (pi/4 < a < inf) = q * pi/2 + r (mod 2 pi), |r| <= pi/4: Payne-Hanek in
    integers (module docstring)."""
    # a = m * 2^(e - 150), m in [2^23, 2^24) (e: a's biased exponent), by exact power-of-two scalings
    t, e = a, _U(150)
    if t < _2P23:  # (a > pi/4: t in [2^23.6, 2^47) after this, else [2^23, 2^128))
        t *= _2P24
        e = _U(126)
    if t >= _2P87:
        t *= _2M64
        e += _U(64)
    if t >= _2P55:
        t *= _2M32
        e += _U(32)
    if t >= _2P39:
        t *= _2M16
        e += _U(16)
    if t >= _2P31:
        t *= _2M8
        e += _U(8)
    if t >= _2P27:
        t *= _2M4
        e += _U(4)
    if t >= _2P25:
        t *= _2M2
        e += _U(2)
    if t >= _2P24:
        t *= _2M1
        e += _U(1)
    m = _U(t)
    # 2/pi's bits j0 .. j0 + 95 (j0 >= 1): bits before j0 add multiples of 4 to a * 2/pi
    o = e - _U(152) if e > _U(152) else _U(0)
    k, b = o >> _U(5), o & _U(31)
    w0 = ((_TWO_OVER_PI[k] << b) | (_TWO_OVER_PI[k + _U(1)] >> (_U(32) - b))) & _M32
    w1 = ((_TWO_OVER_PI[k + _U(1)] << b) | (_TWO_OVER_PI[k + _U(2)] >> (_U(32) - b))) & _M32
    w2 = ((_TWO_OVER_PI[k + _U(2)] << b) | (_TWO_OVER_PI[k + _U(3)] >> (_U(32) - b))) & _M32
    # P = m * (w0 w1 w2) in 32-bit limbs p0 (top) .. p3
    t = m * w2
    p3, c = t & _M32, t >> _U(32)
    t = m * w1 + c
    p2, c = t & _M32, t >> _U(32)
    t = m * w0 + c
    p1, p0 = t & _M32, t >> _U(32)
    hi64, lo64 = (p0 << _U(32)) | p1, (p2 << _U(32)) | p3
    # a * 2/pi = P * 2^(e - 246 - o): its units bit is bit s + 64 of P, s = 182 + o - e in [30, 56]
    s = _U(182) + o - e
    q = (hi64 >> s) & _U(3)
    frac = ((hi64 << (_U(64) - s)) | (lo64 >> s)) & _U(0xFFFFFFFFFFFFFFFF)
    neg = frac >> _U(63) != _U(0)
    if neg:  # round to the nearest quadrant: f = frac - 1 < 0
        q = (q + _U(1)) & _U(3)
        frac = (~frac + _U(1)) & _U(0xFFFFFFFFFFFFFFFF)
    # normalise: frac * 2^-64 = mag * 2^-64 * scale with mag in [2^62, 2^63]
    scale = _2M64
    if frac < _U(1) << _U(31):
        frac <<= _U(32)
        scale *= _2M32
    if frac < _U(1) << _U(47):
        frac <<= _U(16)
        scale *= _2M16
    if frac < _U(1) << _U(55):
        frac <<= _U(8)
        scale *= _2M8
    if frac < _U(1) << _U(59):
        frac <<= _U(4)
        scale *= _2M4
    if frac < _U(1) << _U(61):
        frac <<= _U(2)
        scale *= _2M2
    if frac < _U(1) << _U(62):
        frac <<= _U(1)
        scale *= _2M1
    hi = np.float32(frac >> _U(39))  # top 24 bits (exact), in units of 2^39
    lo = np.float32((frac >> _U(15)) & _U(0xFFFFFF)) * _2M24  # the next 24, in units of 2^39
    hh = np.float32((frac >> _U(51)) << _U(12))  # hi's top 12 bits
    hl = hi - hh  # hi's low 12 bits (exact)
    small = (_P1 * hl + _P2 * hh) + ((_P2 * hl + _P3 * hi) + (_P1 + _P2) * lo)
    r = (_P1 * hh + small) * (scale * _2P39)
    return q, -r if neg else r


@cuda.jit(device=True, inline="always")
def sin32(x):
    """sin of the float32 x, in float32 (module docstring)."""
    a = abs(x)
    if not a < _INF:
        return x - x  # nan for inf and nan
    if a <= _PIO4:
        return _sin_poly(x)
    q, r = _reduce(a)
    v = _sin_poly(r) if (q & _U(1)) == _U(0) else _cos_poly(r)
    v = -v if q >= _U(2) else v
    return -v if x < _ZERO else v


@cuda.jit(device=True, inline="always")
def cos32(x):
    """cos of the float32 x, in float32 (module docstring)."""
    a = abs(x)
    if not a < _INF:
        return x - x
    if a <= _PIO4:
        return _cos_poly(x)
    q, r = _reduce(a)
    v = _cos_poly(r) if (q & _U(1)) == _U(0) else _sin_poly(r)
    return -v if q == _U(1) or q == _U(2) else v
