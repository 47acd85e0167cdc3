"""CPU kernels of MaxPool / MaxPoolGrad / MaxPoolGradGrad / MaxPoolArgmax and AvgPool / AvgPoolGrad
(defined in ``ops/pool.py``, whose docstring gives the window, argmax and divisor rules; their window
arguments come from ``ops/geometry.py``). Plain top-level functions: the CPU backend jits their
source, so they may use only ``np``, ``math`` and the helpers listed with them (``conv2d_span``, the
taps of a window inside the input, is shared geometry from ``ops/geometry.py``). MaxPool and MaxPoolGrad
are host kernels choosing between two jitted helpers: windows that tile the input, or any geometry."""

import numpy as np

from ....ops.geometry import avg_pool_args, conv2d_span, max_pool_args
from ...base import kernel


def pool_spans(n_out, s, d, before, size, k):
    """lo[p], hi[p]: the taps [lo, hi) of window p that fall inside [0, size). Computed once per call
    so the per-window loops do no integer division (which made them 5x slower)."""
    lo = np.empty(n_out, np.int64)
    hi = np.empty(n_out, np.int64)
    for p in range(n_out):
        lo[p], hi[p] = conv2d_span(p * s - before, d, size, k)
    return lo, hi


def max_pool_index(x, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl):
    """idx[n*C + c, p*OW + q] = ih*W + iw of the first maximum of window (p, q) of plane x[n, c]."""
    ilo, ihi = pool_spans(oh_, sh, dh, pt, x.shape[2], kh)
    jlo, jhi = pool_spans(ow_, sw, dw, pl, x.shape[3], kw)
    w_ = x.shape[3]
    x2 = x.reshape((x.shape[0] * x.shape[1], x.shape[2] * w_))
    idx = np.empty((x2.shape[0], oh_ * ow_), np.int64)
    for nc in range(x2.shape[0]):
        for p in range(oh_):
            r0 = p * sh - pt
            for q in range(ow_):
                c0 = q * sw - pl
                best_k = (r0 + ilo[p] * dh) * w_ + c0 + jlo[q] * dw
                best = x2[nc, best_k]
                for i in range(ilo[p], ihi[p]):
                    row = (r0 + i * dh) * w_ + c0
                    for j in range(jlo[q], jhi[q]):
                        v = x2[nc, row + j * dw]
                        if v > best:
                            best, best_k = v, row + j * dw
                idx[nc, p * ow_ + q] = best_k
    return idx


def max_pool_windows(x, out, kh, kw, sh, sw, dh, dw, pt, pl):
    """MaxPool through the first-maximum index of every window (any stride, dilation and padding)."""
    idx = max_pool_index(x, out.shape[2], out.shape[3], kh, kw, sh, sw, dh, dw, pt, pl)
    x2 = x.reshape((idx.shape[0], x.shape[2] * x.shape[3]))
    o2 = out.reshape(idx.shape)
    for nc in range(idx.shape[0]):
        for t in range(idx.shape[1]):
            o2[nc, t] = x2[nc, idx[nc, t]]


def max_pool_grad_windows(x, dout, out, kh, kw, sh, sw, dh, dw, pt, pl):
    """MaxPoolGrad: dout added at the first maximum of its window (any stride, dilation and padding)."""
    idx = max_pool_index(x, dout.shape[2], dout.shape[3], kh, kw, sh, sw, dh, dw, pt, pl)
    d2 = dout.reshape(idx.shape)
    o2 = out.reshape((idx.shape[0], out.shape[2] * out.shape[3]))
    for nc in range(idx.shape[0]):
        for t in range(o2.shape[1]):
            o2[nc, t] = 0
        for t in range(idx.shape[1]):
            o2[nc, idx[nc, t]] += d2[nc, t]


# ---- windows that tile the input: stride = kernel, no dilation, no padding inside the input ---------------

def max_pool_tiles(x, out, kh, kw):
    """MaxPool over tiling windows: per output row, each tap (i, j) is one strided pass over the row's windows
    that keeps the larger value. A later tap wins only when strictly greater, as in max_pool_index (the first
    maximum; a NaN first tap stays), and the passes have no branches, so LLVM vectorises them: 3-5x faster
    than max_pool_windows on LeNet-5's pools."""
    n_, h_, w_ = x.shape[0] * x.shape[1], x.shape[2], x.shape[3]
    oh_, ow_ = out.shape[2], out.shape[3]
    x3 = x.reshape((n_, h_, w_))
    o3 = out.reshape((n_, oh_, ow_))
    for nc in range(n_):
        for p in range(oh_):
            o = o3[nc, p]
            first = x3[nc, p * kh]
            for q in range(ow_):
                o[q] = first[q * kw]
            for i in range(kh):
                row = x3[nc, p * kh + i]
                for j in range(kw):
                    if i + j > 0:
                        for q in range(ow_):
                            v = row[q * kw + j]
                            o[q] = v if v > o[q] else o[q]


def max_pool_grad_tiles(x, dout, out, kh, kw):
    """MaxPoolGrad over tiling windows: each window's dout goes to its first maximum (the same scan and rule as
    max_pool_index); no position is in two windows, so it is written, not added, after zeroing."""
    n_, h_, w_ = x.shape[0] * x.shape[1], x.shape[2], x.shape[3]
    oh_, ow_ = dout.shape[2], dout.shape[3]
    x3 = x.reshape((n_, h_, w_))
    d3 = dout.reshape((n_, oh_, ow_))
    o3 = out.reshape((n_, h_, w_))
    for nc in range(n_):
        for r in range(h_):
            for c in range(w_):
                o3[nc, r, c] = 0
        for p in range(oh_):
            for q in range(ow_):
                bi, bj = p * kh, q * kw
                best = x3[nc, bi, bj]
                for i in range(p * kh, p * kh + kh):
                    for j in range(q * kw, q * kw + kw):
                        if x3[nc, i, j] > best:
                            best, bi, bj = x3[nc, i, j], i, j
                o3[nc, bi, bj] = d3[nc, p, q]


def _tiling(x, pooled, kh, kw, sh, sw, dh, dw, pt, pl):
    """Whether the windows tile x: stride = kernel, no dilation, no padding inside the input."""
    return (sh == kh and sw == kw and dh == 1 and dw == 1 and pt == 0 and pl == 0 and pooled[2] * kh <= x.shape[2]
            and pooled[3] * kw <= x.shape[3])


# MaxPool and MaxPoolGrad are host kernels that call the jitted helper their geometry needs: numba compiles a
# helper at its first call, so a network whose pools all tile (LeNet-5) never compiles the window-index path
# (max_pool_index and its helpers: ~2 s of a cold start-up).
_MAX_HELPERS = (conv2d_span, pool_spans, max_pool_index)


@kernel("MaxPool", "CPU", helpers=_MAX_HELPERS + (max_pool_windows, max_pool_tiles), args=max_pool_args, jit=False)
def max_pool_kernel(x, out, kh, kw, sh, sw, dh, dw, pt, pl, _span, _spans, _index, windows, tiles):
    if _tiling(x, out.shape, kh, kw, sh, sw, dh, dw, pt, pl):
        tiles(x, out, kh, kw)
    else:
        windows(x, out, kh, kw, sh, sw, dh, dw, pt, pl)


@kernel("MaxPoolGrad", "CPU", helpers=_MAX_HELPERS + (max_pool_grad_windows, max_pool_grad_tiles), args=max_pool_args,
        jit=False)
def max_pool_grad_kernel(x, dout, out, kh, kw, sh, sw, dh, dw, pt, pl, _span, _spans, _index, grad_windows,
                         grad_tiles):
    if _tiling(x, dout.shape, kh, kw, sh, sw, dh, dw, pt, pl):
        grad_tiles(x, dout, out, kh, kw)
    else:
        grad_windows(x, dout, out, kh, kw, sh, sw, dh, dw, pt, pl)


@kernel("MaxPoolGradGrad", "CPU", helpers=_MAX_HELPERS, args=max_pool_args)
def max_pool_grad_grad_kernel(x, g, out, kh, kw, sh, sw, dh, dw, pt, pl):
    idx = max_pool_index(x, out.shape[2], out.shape[3], kh, kw, sh, sw, dh, dw, pt, pl)
    g2 = g.reshape((idx.shape[0], g.shape[2] * g.shape[3]))
    o2 = out.reshape(idx.shape)
    for nc in range(idx.shape[0]):
        for t in range(idx.shape[1]):
            o2[nc, t] = g2[nc, idx[nc, t]]


@kernel("MaxPoolArgmax", "CPU", helpers=_MAX_HELPERS, args=max_pool_args)
def max_pool_argmax_kernel(x, out, kh, kw, sh, sw, dh, dw, pt, pl):
    idx = max_pool_index(x, out.shape[2], out.shape[3], kh, kw, sh, sw, dh, dw, pt, pl)
    o2 = out.reshape(idx.shape)
    for nc in range(idx.shape[0]):
        for t in range(idx.shape[1]):
            o2[nc, t] = idx[nc, t]


def avg_pool_scales(oh_, ow_, kh, kw, sh, sw, pt, pb, pl, pr, h_, w_, include_pad, divisor):
    """1 / divisor of every window, plus the tap spans: multiplying by a table is cheaper than dividing."""
    ilo, ihi = pool_spans(oh_, sh, 1, pt, h_, kh)
    jlo, jhi = pool_spans(ow_, sw, 1, pl, w_, kw)
    scale = np.empty((oh_, ow_), np.float64)
    for p in range(oh_):
        fh = (min(p * sh - pt + kh, h_ + pb) - (p * sh - pt)) if include_pad else ihi[p] - ilo[p]
        for q in range(ow_):
            fw = (min(q * sw - pl + kw, w_ + pr) - (q * sw - pl)) if include_pad else jhi[q] - jlo[q]
            scale[p, q] = 1.0 / (divisor if divisor > 0 else fh * fw)
    return ilo, ihi, jlo, jhi, scale


_AVG_HELPERS = (conv2d_span, pool_spans, avg_pool_scales)


@kernel("AvgPool", "CPU", helpers=_AVG_HELPERS, args=avg_pool_args)
def avg_pool_kernel(x, out, kh, kw, sh, sw, pt, pb, pl, pr, include_pad, divisor):
    ilo, ihi, jlo, jhi, scale = avg_pool_scales(out.shape[2], out.shape[3], kh, kw, sh, sw, pt, pb, pl, pr,
                                                x.shape[2], x.shape[3], include_pad, divisor)
    for n in range(out.shape[0]):
        for c in range(out.shape[1]):
            for p in range(out.shape[2]):
                r0 = p * sh - pt
                for q in range(out.shape[3]):
                    c0 = q * sw - pl
                    s = 0.0
                    for i in range(ilo[p], ihi[p]):
                        for j in range(jlo[q], jhi[q]):
                            s += x[n, c, r0 + i, c0 + j]
                    out[n, c, p, q] = s * scale[p, q]


@kernel("AvgPoolGrad", "CPU", helpers=_AVG_HELPERS, args=avg_pool_args)
def avg_pool_grad_kernel(dout, out, kh, kw, sh, sw, pt, pb, pl, pr, include_pad, divisor):
    ilo, ihi, jlo, jhi, scale = avg_pool_scales(dout.shape[2], dout.shape[3], kh, kw, sh, sw, pt, pb, pl, pr,
                                                out.shape[2], out.shape[3], include_pad, divisor)
    flat = out.reshape(out.size)
    for t in range(flat.size):
        flat[t] = 0
    for n in range(dout.shape[0]):
        for c in range(dout.shape[1]):
            for p in range(dout.shape[2]):
                r0 = p * sh - pt
                for q in range(dout.shape[3]):
                    c0 = q * sw - pl
                    v = dout[n, c, p, q] * scale[p, q]
                    for i in range(ilo[p], ihi[p]):
                        for j in range(jlo[q], jhi[q]):
                            out[n, c, r0 + i, c0 + j] += v
