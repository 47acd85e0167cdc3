"""GPU kernels of BatchNormStats, BatchNormScaleShift and BatchNormReduceGrad (ops/nn_ops.py). Each sees x
as (N, C, R): batch, channels and the product of the remaining axes (``nn_ops.ncr_args``, shared with
the CPU kernels), over flat arrays: element (a, c, k) is at (a*C + c)*R + k.

  BatchNormStats:      out[0, c] = mean_c = sum x / M,  out[1, c] = sum (x - mean_c)^2 / M   (M = N*R)
  BatchNormScaleShift: y = (x - center_c) * scale_c + shift_c                   (one thread per element)
  BatchNormReduceGrad: out[0, c] = sum dy * (x - center_c),  out[1, c] = sum dy

The per-channel sums run one thread per channel over (a, k) in the CPU's order, two passes for the
statistics as on the CPU. The CPU accumulates in float64; a float32 kernel must not (no float64
instructions), so these accumulate in the input's dtype with Kahan compensation (``_kahan``): the
running error of each addition is carried and subtracted from the next term, which keeps a float32
sum within a few ulps of the float64 one independent of M (plain float32 summation drifts ~M ulps).
A parallel tree reduction per channel would be faster on a real GPU for large M (it is not written
yet: it adds in another order).
"""

from numba import cuda

from ....ops.nn_ops import ncr_args
from ...base import kernel
from ..device import cast_like, dims, flat, same_dtype

_F = "float32[::1]"
_NCR = "int64, int64, int64"


@cuda.jit(device=True, inline="always")
def _kahan(s, comp, v):
    """One compensated addition: (s + v, the new compensation); ``comp`` is what s lost last time."""
    y = v - comp
    t = s + y
    return t, (t - s) - y


@cuda.jit(cache=True)
def batch_norm_stats_kernel(x, out, n, c_, r):
    """out[c] = mean_c, out[C + c] = biased variance_c (two passes: the mean, then squared deviations)."""
    for c in range(cuda.grid(1), c_, cuda.gridsize(1)):
        m = cast_like(out, n * r)
        s = cast_like(out, 0)
        e = cast_like(out, 0)
        for a in range(n):
            base = (a * c_ + c) * r
            for k in range(r):
                s, e = _kahan(s, e, x[base + k])
        mean = s / m
        q = cast_like(out, 0)
        e = cast_like(out, 0)
        for a in range(n):
            base = (a * c_ + c) * r
            for k in range(r):
                d = x[base + k] - mean
                q, e = _kahan(q, e, d * d)
        out[c] = mean
        out[c_ + c] = q / m


@cuda.jit(cache=True)
def batch_norm_scale_shift_kernel(x, center, scale, shift, out, n, c_, r):
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        c = (t // r) % c_
        out[t] = (x[t] - center[c]) * scale[c] + shift[c]


@cuda.jit(cache=True)
def batch_norm_reduce_grad_kernel(dy, x, center, out, n, c_, r):
    """out[c] = sum dy * (x - center_c), out[C + c] = sum dy over (a, k) of channel c."""
    for c in range(cuda.grid(1), c_, cuda.gridsize(1)):
        mu = center[c]
        s0 = cast_like(out, 0)
        e0 = cast_like(out, 0)
        s1 = cast_like(out, 0)
        e1 = cast_like(out, 0)
        for a in range(n):
            base = (a * c_ + c) * r
            for k in range(r):
                g = dy[base + k]
                s0, e0 = _kahan(s0, e0, g * (x[base + k] - mu))
                s1, e1 = _kahan(s1, e1, g)
        out[c] = s0
        out[c_ + c] = s1


@kernel("BatchNormStats", "GPU", args=ncr_args(0))
def batch_norm_stats(x, out, n, c_, r, err):
    same_dtype("BatchNormStats", x, out)
    if x.size:
        batch_norm_stats_kernel[dims(c_)](flat(x), flat(out), n, c_, r)


@kernel("BatchNormScaleShift", "GPU", args=ncr_args(0))
def batch_norm_scale_shift(x, center, scale, shift, out, n, c_, r, err):
    same_dtype("BatchNormScaleShift", x, center, scale, shift, out)
    if out.size:
        batch_norm_scale_shift_kernel[dims(out.size)](flat(x), center, scale, shift, flat(out), n, c_, r)


@kernel("BatchNormReduceGrad", "GPU", args=ncr_args(1))
def batch_norm_reduce_grad(dy, x, center, out, n, c_, r, err):
    same_dtype("BatchNormReduceGrad", dy, x, center, out)
    if out.size:
        batch_norm_reduce_grad_kernel[dims(c_)](flat(dy), flat(x), center, flat(out), n, c_, r)


PTX = [(batch_norm_stats_kernel, f"void({_F}, {_F}, {_NCR})"),
       (batch_norm_scale_shift_kernel, f"void({_F}, {_F}, {_F}, {_F}, {_F}, {_NCR})"),
       (batch_norm_reduce_grad_kernel, f"void({_F}, {_F}, {_F}, {_F}, {_NCR})")]
