"""GPU kernels of MaxPool, MaxPoolGrad, MaxPoolGradGrad, MaxPoolArgmax, AvgPool and AvgPoolGrad
(ops/pool.py gives the window, argmax and divisor rules; the windows come from
``geometry.max_pool_args`` / ``geometry.avg_pool_args``, as on the CPU).

The argmax of a window is its first maximum in row-major tap order (taps outside the input skipped),
as on the CPU. MaxPoolGrad is written as a gather: each input element sums dout over the windows whose
argmax it is, in increasing output order (the CPU's scatter order), so no atomics are needed.
MaxPoolGradGrad gathers g at each window's argmax; MaxPoolArgmax writes the argmax as ih * W + iw.

AvgPool: out[p, q] = (sum of the window's in-plane taps) / divisor(p, q), with divisor the override
when > 0, else with count_include_pad (min(r0 + kh, H + bottom) - r0) * (min(c0 + kw, W + right) - c0),
else the number of in-plane taps (r0 = p*sh - top, c0 = q*sw - left). AvgPoolGrad is its adjoint as a
gather: dx[h, w] = sum over the windows (p, q) holding (h, w), in increasing (p, q) order (the CPU's
scatter order), of dout[p, q] / divisor(p, q). The CPU multiplies by a float64 1/divisor and sums in
float64; these kernels divide and sum in the input's dtype (float32 rounding apart, the same numbers).

Dtype-generic: sums take the output's dtype (``cast_like``); the float32 kernels hold no float64 code.
"""

from numba import cuda

from ....ops.geometry import avg_pool_args, max_pool_args
from ...base import kernel
from ..device import cast_like, dims, flat, same_dtype

_WIN = ", ".join(["int64"] * 12)
_AVG = ", ".join(["int64"] * 12) + ", boolean, int64"


@cuda.jit(device=True, inline="always")
def _argmax(x, plane, h_, w_, p, q, kh, kw, sh, sw, dh, dw, pt, pl):
    """Flat index (in x) of the first maximum of window (p, q) of ``plane``; -1 when no tap is inside."""
    best_k = -1
    best = cast_like(x, 0)
    for i in range(kh):
        ih = p * sh - pt + i * dh
        if 0 <= ih < h_:
            for j in range(kw):
                iw = q * sw - pl + j * dw
                if 0 <= iw < w_:
                    k = (plane * h_ + ih) * w_ + iw
                    if best_k < 0 or x[k] > best:
                        best, best_k = x[k], k
    return best_k


@cuda.jit(cache=True)
def max_pool_kernel(x, out, h_, w_, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl):
    zero = cast_like(out, 0)
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        plane, pq = t // (oh_ * ow_), t % (oh_ * ow_)
        k = _argmax(x, plane, h_, w_, pq // ow_, pq % ow_, kh, kw, sh, sw, dh, dw, pt, pl)
        out[t] = x[k] if k >= 0 else zero


@cuda.jit(cache=True)
def max_pool_grad_kernel(x, dout, out, h_, w_, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl):
    """out[plane, h, w] = sum of dout[plane, p, q] over windows (p, q) whose argmax is (h, w)."""
    zero = cast_like(out, 0)
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        plane, hw = t // (h_ * w_), t % (h_ * w_)
        h, w = hw // w_, hw % w_
        s = zero
        for i in range(kh - 1, -1, -1):  # (descending taps: ascending output rows p)
            ph = h + pt - i * dh
            if ph >= 0 and ph % sh == 0 and ph // sh < oh_:
                for j in range(kw - 1, -1, -1):
                    qw = w + pl - j * dw
                    if qw >= 0 and qw % sw == 0 and qw // sw < ow_:
                        p, q = ph // sh, qw // sw
                        if _argmax(x, plane, h_, w_, p, q, kh, kw, sh, sw, dh, dw, pt, pl) == t:
                            s += dout[(plane * oh_ + p) * ow_ + q]
        out[t] = s


@cuda.jit(cache=True)
def max_pool_grad_grad_kernel(x, g, out, h_, w_, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl):
    """out[plane, p, q] = g[argmax of window (p, q)] (g has x's shape)."""
    zero = cast_like(out, 0)
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        plane, pq = t // (oh_ * ow_), t % (oh_ * ow_)
        k = _argmax(x, plane, h_, w_, pq // ow_, pq % ow_, kh, kw, sh, sw, dh, dw, pt, pl)
        out[t] = g[k] if k >= 0 else zero


@cuda.jit(cache=True)
def max_pool_argmax_kernel(x, out, h_, w_, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl):
    """out[plane, p, q] = ih * W + iw of the argmax of window (p, q) (its index within the plane)."""
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        plane, pq = t // (oh_ * ow_), t % (oh_ * ow_)
        k = _argmax(x, plane, h_, w_, pq // ow_, pq % ow_, kh, kw, sh, sw, dh, dw, pt, pl)
        out[t] = k - plane * h_ * w_ if k >= 0 else 0


def _max_launch(kern, x, pooled, arrays, win):
    """Launch a max-pool kernel over ``arrays[-1]`` (the output); ``pooled`` has the pooled shape and
    ``win`` is (kh, kw, sh, sw, dh, dw, pt, pl) from ``max_pool_args`` (the launchers get it, then err)."""
    if arrays[-1].size:
        kern[dims(arrays[-1].size)](*[flat(a) for a in arrays], x.shape[2], x.shape[3], pooled.shape[2],
                                    pooled.shape[3], *win)


@kernel("MaxPool", "GPU", args=max_pool_args)
def max_pool(x, out, *win_err):
    same_dtype("MaxPool", x, out)
    _max_launch(max_pool_kernel, x, out, (x, out), win_err[:-1])


@kernel("MaxPoolGrad", "GPU", args=max_pool_args)
def max_pool_grad(x, dout, out, *win_err):
    same_dtype("MaxPoolGrad", x, dout, out)
    _max_launch(max_pool_grad_kernel, x, dout, (x, dout, out), win_err[:-1])


@kernel("MaxPoolGradGrad", "GPU", args=max_pool_args)
def max_pool_grad_grad(x, g, out, *win_err):
    same_dtype("MaxPoolGradGrad", x, g, out)
    _max_launch(max_pool_grad_grad_kernel, x, out, (x, g, out), win_err[:-1])


@kernel("MaxPoolArgmax", "GPU", args=max_pool_args)
def max_pool_argmax(x, out, *win_err):
    _max_launch(max_pool_argmax_kernel, x, out, (x, out), win_err[:-1])


# ---- AvgPool ----------------------------------------------------------------------------------------

@cuda.jit(device=True, inline="always")
def _avg_divisor(p, q, h_, w_, kh, kw, sh, sw, pt, pb, pl, pr, include_pad, divisor):
    """The divisor of window (p, q) (an integer; see the module docstring)."""
    if divisor > 0:
        return divisor
    r0, c0 = p * sh - pt, q * sw - pl
    if include_pad:
        return (min(r0 + kh, h_ + pb) - r0) * (min(c0 + kw, w_ + pr) - c0)
    return (min(r0 + kh, h_) - max(r0, 0)) * (min(c0 + kw, w_) - max(c0, 0))


@cuda.jit(cache=True)
def avg_pool_kernel(x, out, h_, w_, oh_, ow_, kh, kw, sh, sw, pt, pb, pl, pr, include_pad, divisor):
    """out[plane, p, q] = sum over in-plane taps (row-major) / divisor(p, q)."""
    zero = cast_like(out, 0)
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        plane, pq = t // (oh_ * ow_), t % (oh_ * ow_)
        p, q = pq // ow_, pq % ow_
        r0, c0 = p * sh - pt, q * sw - pl
        s = zero
        for i in range(max(0, -r0), min(kh, h_ - r0)):
            row = (plane * h_ + r0 + i) * w_ + c0
            for j in range(max(0, -c0), min(kw, w_ - c0)):
                s += x[row + j]
        out[t] = s / cast_like(out, _avg_divisor(p, q, h_, w_, kh, kw, sh, sw, pt, pb, pl, pr, include_pad, divisor))


@cuda.jit(cache=True)
def avg_pool_grad_kernel(dout, out, h_, w_, oh_, ow_, kh, kw, sh, sw, pt, pb, pl, pr, include_pad, divisor):
    """out[plane, h, w] = sum over windows (p, q) holding (h, w), in increasing (p, q), of
    dout[plane, p, q] / divisor(p, q)."""
    zero = cast_like(out, 0)
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        plane, hw = t // (h_ * w_), t % (h_ * w_)
        h, w = hw // w_, hw % w_
        s = zero
        for i in range(kh - 1, -1, -1):  # (descending taps: ascending output rows p)
            ph = h + pt - i
            if ph >= 0 and ph % sh == 0 and ph // sh < oh_:
                for j in range(kw - 1, -1, -1):
                    qw = w + pl - j
                    if qw >= 0 and qw % sw == 0 and qw // sw < ow_:
                        p, q = ph // sh, qw // sw
                        d = _avg_divisor(p, q, h_, w_, kh, kw, sh, sw, pt, pb, pl, pr, include_pad, divisor)
                        s += dout[(plane * oh_ + p) * ow_ + q] / cast_like(out, d)
        out[t] = s


@kernel("AvgPool", "GPU", args=avg_pool_args)
def avg_pool(x, out, kh, kw, sh, sw, pt, pb, pl, pr, include_pad, divisor, err):
    same_dtype("AvgPool", x, out)
    if out.size:
        avg_pool_kernel[dims(out.size)](flat(x), flat(out), x.shape[2], x.shape[3], out.shape[2], out.shape[3],
                                        kh, kw, sh, sw, pt, pb, pl, pr, include_pad, divisor)


@kernel("AvgPoolGrad", "GPU", args=avg_pool_args)
def avg_pool_grad(dout, out, kh, kw, sh, sw, pt, pb, pl, pr, include_pad, divisor, err):
    same_dtype("AvgPoolGrad", dout, out)
    if out.size:
        avg_pool_grad_kernel[dims(out.size)](flat(dout), flat(out), out.shape[2], out.shape[3], dout.shape[2],
                                             dout.shape[3], kh, kw, sh, sw, pt, pb, pl, pr, include_pad, divisor)


_F = "float32[::1]"
PTX = [(max_pool_kernel, f"void({_F}, {_F}, {_WIN})"),
       (max_pool_grad_kernel, f"void({_F}, {_F}, {_F}, {_WIN})"),
       (max_pool_grad_grad_kernel, f"void({_F}, {_F}, {_F}, {_WIN})"),
       (max_pool_argmax_kernel, f"void({_F}, int64[::1], {_WIN})"),
       (avg_pool_kernel, f"void({_F}, {_F}, {_AVG})"),
       (avg_pool_grad_kernel, f"void({_F}, {_F}, {_AVG})")]
