"""GPU kernels of MaxPool and MaxPoolGrad (ops/pool.py gives the window and argmax rules; the window
comes from ``geometry.max_pool_args``).

The argmax of a window is its first maximum in row-major tap order (taps outside the input skipped),
as on the CPU. MaxPoolGrad is written as a gather: each input element sums dout over the windows whose
argmax it is, in increasing output order (the CPU's scatter order), so no atomics are needed.
"""

from numba import cuda, float32

from ....ops.geometry import max_pool_args
from ...base import kernel
from ..device import dims, flat, require_float32

_WIN = ", ".join(["int64"] * 12)


@cuda.jit(device=True, inline="always")
def _argmax(x, plane, h_, w_, p, q, kh, kw, sh, sw, dh, dw, pt, pl):
    """Flat index (in x) of the first maximum of window (p, q) of ``plane``; -1 when no tap is inside."""
    best_k = -1
    best = float32(0)
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
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        plane, pq = t // (oh_ * ow_), t % (oh_ * ow_)
        k = _argmax(x, plane, h_, w_, pq // ow_, pq % ow_, kh, kw, sh, sw, dh, dw, pt, pl)
        out[t] = x[k] if k >= 0 else float32(0)


@cuda.jit(cache=True)
def max_pool_grad_kernel(x, dout, out, h_, w_, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl):
    """out[plane, h, w] = sum of dout[plane, p, q] over windows (p, q) whose argmax is (h, w)."""
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        plane, hw = t // (h_ * w_), t % (h_ * w_)
        h, w = hw // w_, hw % w_
        s = float32(0)
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


@kernel("MaxPool", "GPU", args=max_pool_args)
def max_pool(x, out, kh, kw, sh, sw, dh, dw, pt, pl, err):
    require_float32("MaxPool", x, out)
    if out.size:
        max_pool_kernel[dims(out.size)](flat(x), flat(out), x.shape[2], x.shape[3], out.shape[2], out.shape[3],
                                        kh, kw, sh, sw, dh, dw, pt, pl)


@kernel("MaxPoolGrad", "GPU", args=max_pool_args)
def max_pool_grad(x, dout, out, kh, kw, sh, sw, dh, dw, pt, pl, err):
    require_float32("MaxPoolGrad", x, dout, out)
    if out.size:
        max_pool_grad_kernel[dims(out.size)](flat(x), flat(dout), flat(out), x.shape[2], x.shape[3],
                                             dout.shape[2], dout.shape[3], kh, kw, sh, sw, dh, dw, pt, pl)


PTX = [(max_pool_kernel, f"void(float32[::1], float32[::1], {_WIN})"),
       (max_pool_grad_kernel, f"void(float32[::1], float32[::1], float32[::1], {_WIN})")]
