"""CPU kernels of Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter, BiasAdd and BiasAddGrad (the ops
are defined in ``ops/conv.py``, whose docstring gives the shapes and formulas; their window arguments
come from ``ops/geometry.py``). Plain top-level functions: the CPU backend jits their source, so they
may use only ``np``, ``math`` and their listed helpers.

How they work, and why they look the way they do: a chunk of samples is unfolded (im2col) into a scratch
matrix col (K, nb*OH*pitch), K = C/group*kh*kw, and one BLAS GEMM per chunk and group gives
out = w @ col, dcol = w^T @ dout (folded back by col2im) and dw^T = col @ dout^T.
  * Stride 1 uses a "wide" layout with pitch Wp = OW + dw*(kw-1): row (c, i, j) of a sample is ONE
    contiguous run of the (padded) image, so the unfold is a few long copies; the Wp - OW junk columns
    per output row cost (Wp - OW)/OW extra GEMM work but are dropped on the way out (and are zero in the
    dout operand of dx/dw). A padded conv first copies the chunk into a zero-padded scratch.
  * Strided convs use pitch OW, one short row copy per output row, padding handled by bounds.
  Short rows are the expensive case: LLVM vectorises copies 64 floats at a time, so a 10-float row runs
  scalar; the wide layout made LeNet's unfold 3x faster. Index expressions are written so LLVM can prove
  them non-negative (loop variables plus ``max(.., 0)`` bases, no views inside loops): otherwise numba's
  negative-index wraparound blocks vectorisation (4-6x slower).
"""

import numpy as np

from ....ops import geometry
from ....ops.geometry import conv2d_span
from ...base import kernel

# Samples per im2col chunk: the col matrix holds at most _CHUNK elements (cache-sized), and each GEMM at
# most _SMALL_GEMM multiply-adds, OpenBLAS's small-matrix limit: below it sgemm runs a single-threaded
# kernel that was ~110 GFLOP/s here, above it a threaded path that on a busy 2-core machine sometimes
# took 8 ms instead of 30 us.
_CHUNK = 1 << 16
_SMALL_GEMM = 1_000_000


def conv2d_im2col(x, col, n0, nb, c0, cg, kh, kw, sh, sw, dh, dw, pt, pl, oh_, ow_):
    """col[(c, i, j), (n, p, q)] = x[n0 + n, c0 + c, p*sh - pt + i*dh, q*sw - pl + j*dw] (0 outside x)."""
    h_, sw = x.shape[2], max(sw, 1)
    col4 = col.reshape((cg * kh * kw, nb, oh_, ow_))
    for c in range(cg):
        for i in range(kh):
            for j in range(kw):
                r = (c * kh + i) * kw + j
                off = j * dw - pl
                lo, hi = conv2d_span(off, sw, x.shape[3], ow_)
                lo, cnt = max(lo, 0), hi - lo  # max(): lets LLVM prove the indices non-negative
                a = max(lo * sw + off, 0)
                for n in range(nb):
                    for p in range(oh_):
                        ih = p * sh - pt + i * dh
                        if ih < 0 or ih >= h_:
                            for q in range(ow_):
                                col4[r, n, p, q] = 0
                            continue
                        for q in range(lo):
                            col4[r, n, p, q] = 0
                        if sw == 1:
                            for q in range(cnt):
                                col4[r, n, p, q + lo] = x[n0 + n, c0 + c, ih, q + a]
                        else:
                            for q in range(cnt):
                                col4[r, n, p, q + lo] = x[n0 + n, c0 + c, ih, q * sw + a]
                        for q in range(hi, ow_):
                            col4[r, n, p, q] = 0


def conv2d_col2im(col, dx, n0, nb, c0, cg, kh, kw, sh, sw, dh, dw, pt, pl, oh_, ow_):
    """The adjoint of conv2d_im2col: dx[n0 + n, c0 + c, ih, iw] += col[(c, i, j), (n, p, q)]."""
    h_, sw = dx.shape[2], max(sw, 1)
    col4 = col.reshape((cg * kh * kw, nb, oh_, ow_))
    for c in range(cg):
        for i in range(kh):
            for j in range(kw):
                r = (c * kh + i) * kw + j
                off = j * dw - pl
                lo, hi = conv2d_span(off, sw, dx.shape[3], ow_)
                lo, cnt = max(lo, 0), hi - lo  # max(): lets LLVM prove the indices non-negative
                a = max(lo * sw + off, 0)
                for n in range(nb):
                    for p in range(oh_):
                        ih = p * sh - pt + i * dh
                        if ih < 0 or ih >= h_:
                            continue
                        if sw == 1:
                            for q in range(cnt):
                                dx[n0 + n, c0 + c, ih, q + a] += col4[r, n, p, q + lo]
                        else:
                            for q in range(cnt):
                                dx[n0 + n, c0 + c, ih, q * sw + a] += col4[r, n, p, q + lo]


def conv2d_im2col_wide(src, col, n0, nb, c0, cg, kh, kw, dh, dw, oh_, ow_):
    """Stride-1 unfold with row pitch Wp = src.shape[3]: col[(c, i, j), n, t] = src[n0 + n, c0 + c] read
    flat from i*dh*Wp + j*dw + t, for t < (OH-1)*Wp + OW (then 0). One long contiguous run per
    (c, i, j, n) instead of OH short rows; the columns t = p*Wp + q with q >= OW are junk."""
    wp = src.shape[3]
    run = (oh_ - 1) * wp + ow_
    s3 = src.reshape((src.shape[0], src.shape[1], src.shape[2] * wp))
    c3 = col.reshape((cg * kh * kw, nb, oh_ * wp))
    for c in range(cg):
        for i in range(kh):
            for j in range(kw):
                r = (c * kh + i) * kw + j
                a = max(i * dh * wp + j * dw, 0)
                for n in range(nb):
                    for t in range(run):
                        c3[r, n, t] = s3[n0 + n, c0 + c, a + t]
                    for t in range(run, oh_ * wp):
                        c3[r, n, t] = 0


def conv2d_col2im_wide(col, dst, n0, nb, c0, cg, kh, kw, dh, dw, oh_, ow_):
    """The adjoint of conv2d_im2col_wide (junk columns of col must be 0): dst[...] += col[...]."""
    wp = dst.shape[3]
    run = (oh_ - 1) * wp + ow_
    d3 = dst.reshape((dst.shape[0], dst.shape[1], dst.shape[2] * wp))
    c3 = col.reshape((cg * kh * kw, nb, oh_ * wp))
    for c in range(cg):
        for i in range(kh):
            for j in range(kw):
                r = (c * kh + i) * kw + j
                a = max(i * dh * wp + j * dw, 0)
                for n in range(nb):
                    for t in range(run):
                        d3[n0 + n, c0 + c, a + t] += c3[r, n, t]


def conv2d_padded(x, xp, n0, m, c0, pt, pl):
    """xp[n, c] = x[n0 + n, c0 + c] placed at (pt, pl) in zeros: the source of a padded wide unfold."""
    pt, pl = max(pt, 0), max(pl, 0)
    xf = xp.reshape(xp.size)
    for t in range(xf.size):
        xf[t] = 0
    for n in range(m):
        for c in range(xp.shape[1]):
            for i in range(x.shape[2]):
                for j in range(x.shape[3]):
                    xp[n, c, pt + i, pl + j] = x[n0 + n, c0 + c, i, j]


def conv2d_unfold(x, col, xp, n0, m, c0, cg, kh, kw, sh, sw, dh, dw, pt, pl, oh_, ow_):
    """col for samples n0.. and channels c0..: row layout (pitch OW) for strided convs, else the wide
    layout (pitch Wp) read from x, or from xp (zero-padded copy of the chunk) when the conv pads."""
    if sh != 1 or sw != 1:
        conv2d_im2col(x, col, n0, m, c0, cg, kh, kw, sh, sw, dh, dw, pt, pl, oh_, ow_)
    elif xp.size == 0:
        conv2d_im2col_wide(x, col, n0, m, c0, cg, kh, kw, dh, dw, oh_, ow_)
    else:
        conv2d_padded(x, xp, n0, m, c0, pt, pl)
        conv2d_im2col_wide(xp, col, 0, m, 0, cg, kh, kw, dh, dw, oh_, ow_)


def conv2d_layout(x_shape, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl, nb, cg, dtype):
    """(row pitch of col, xp): the padded-chunk scratch, empty unless a stride-1 conv pads."""
    if sh != 1 or sw != 1:
        return ow_, np.empty((0, 0, 0, 0), dtype)
    hp, wp = oh_ + dh * (kh - 1), ow_ + dw * (kw - 1)
    if pt == 0 and pl == 0 and hp == x_shape[2] and wp == x_shape[3]:
        return wp, np.empty((0, 0, 0, 0), dtype)
    return wp, np.empty((nb, cg, hp, wp), dtype)


def conv2d_batch(n_, og, k_, p_, chunk, small):
    """Samples per chunk: col (k_, nb*p_) within ``chunk`` elements, og*k_*nb*p_ within ``small``."""
    return min(n_, max(1, min(chunk // (k_ * p_), small // (og * k_ * p_))))


def conv2d_gather(d, dst, n0, m, o0, og, pitch, transposed):
    """One group of a chunk of dout as a GEMM operand with col's row pitch (junk columns 0):
    dst[o, n, p, q] = d[n0 + n, o0 + o, p, q], or laid out (n, p, q, o) when ``transposed``."""
    oh_, ow_ = d.shape[2], d.shape[3]
    t4 = dst.reshape((og, m, oh_, pitch))
    tt = dst.reshape((m, oh_, pitch, og))
    for n in range(m):
        for o in range(og):
            for p in range(oh_):
                if transposed:
                    for q in range(ow_):
                        tt[n, p, q, o] = d[n0 + n, o0 + o, p, q]
                    for q in range(ow_, pitch):
                        tt[n, p, q, o] = 0
                else:
                    for q in range(ow_):
                        t4[o, n, p, q] = d[n0 + n, o0 + o, p, q]
                    for q in range(ow_, pitch):
                        t4[o, n, p, q] = 0


# ---- the kernels: (sh, sw, dh, dw, pad top, pad left, group) from ops/geometry, then the chunk limits ----

_HELPERS = (conv2d_span, conv2d_im2col, conv2d_col2im, conv2d_im2col_wide, conv2d_col2im_wide,
            conv2d_padded, conv2d_unfold, conv2d_layout, conv2d_batch, conv2d_gather)


def _conv_args(node):
    return geometry.conv_args(node) + (_CHUNK, _SMALL_GEMM)


@kernel("Conv2D", "CPU", helpers=_HELPERS, args=_conv_args)
def conv2d_kernel(x, w, out, sh, sw, dh, dw, pt, pl, group, chunk, small):
    n_, o_, oh_, ow_ = out.shape[0], out.shape[1], out.shape[2], out.shape[3]
    cg, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    og, k_ = o_ // group, cg * kh * kw
    pitch = conv2d_layout(x.shape, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl, 1, cg, x.dtype)[0]
    nb = conv2d_batch(n_, og, k_, oh_ * pitch, chunk, small)
    xp = conv2d_layout(x.shape, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl, nb, cg, x.dtype)[1]
    colbuf = np.empty(k_ * nb * oh_ * pitch, x.dtype)
    tmpbuf = np.empty(og * nb * oh_ * pitch, x.dtype)
    w2 = w.reshape((o_, k_))
    o3 = out.reshape((n_, o_, oh_ * ow_))
    for n0 in range(0, n_, nb):
        m = min(nb, n_ - n0)
        col = colbuf[:k_ * m * oh_ * pitch].reshape((k_, m * oh_ * pitch))
        tmp = tmpbuf[:og * m * oh_ * pitch].reshape((og, m * oh_ * pitch))
        t4 = tmp.reshape((og, m, oh_, pitch))
        for g in range(group):
            conv2d_unfold(x, col, xp, n0, m, g * cg, cg, kh, kw, sh, sw, dh, dw, pt, pl, oh_, ow_)
            if m == 1 and pitch == ow_:  # one sample, no junk columns: the GEMM writes its block directly
                np.dot(w2[g * og:(g + 1) * og], col, o3[n0, g * og:(g + 1) * og])
                continue
            np.dot(w2[g * og:(g + 1) * og], col, tmp)
            for n in range(m):
                for o in range(og):
                    for p in range(oh_):
                        for q in range(ow_):
                            out[n0 + n, g * og + o, p, q] = t4[o, n, p, q]


@kernel("Conv2DBackpropInput", "CPU", helpers=_HELPERS, args=_conv_args)
def conv2d_backprop_input_kernel(dout, w, out, sh, sw, dh, dw, pt, pl, group, chunk, small):
    n_, o_, oh_, ow_ = dout.shape[0], dout.shape[1], dout.shape[2], dout.shape[3]
    cg, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    og, k_ = o_ // group, cg * kh * kw
    pitch = conv2d_layout(out.shape, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl, 1, cg, out.dtype)[0]
    nb = conv2d_batch(n_, og, k_, oh_ * pitch, chunk, small)
    xp = conv2d_layout(out.shape, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl, nb, cg, out.dtype)[1]
    colbuf = np.empty(k_ * nb * oh_ * pitch, dout.dtype)
    tmpbuf = np.empty(og * nb * oh_ * pitch, dout.dtype)
    w2 = w.reshape((o_, k_))
    d3 = dout.reshape((n_, o_, oh_ * ow_))
    flat = out.reshape(out.size)
    for t in range(flat.size):
        flat[t] = 0
    for n0 in range(0, n_, nb):
        m = min(nb, n_ - n0)
        col = colbuf[:k_ * m * oh_ * pitch].reshape((k_, m * oh_ * pitch))
        tmp = tmpbuf[:og * m * oh_ * pitch].reshape((og, m * oh_ * pitch))
        for g in range(group):
            if m == 1 and pitch == ow_:  # one sample, no junk columns: its dout block is the operand
                np.dot(w2[g * og:(g + 1) * og].T, d3[n0, g * og:(g + 1) * og], col)
            else:
                conv2d_gather(dout, tmp, n0, m, g * og, og, pitch, False)
                np.dot(w2[g * og:(g + 1) * og].T, tmp, col)
            if pitch == ow_:
                conv2d_col2im(col, out, n0, m, g * cg, cg, kh, kw, sh, sw, dh, dw, pt, pl, oh_, ow_)
            elif xp.size == 0:
                conv2d_col2im_wide(col, out, n0, m, g * cg, cg, kh, kw, dh, dw, oh_, ow_)
            else:  # fold into the padded scratch, then keep its interior
                xp[:] = 0
                conv2d_col2im_wide(col, xp, 0, m, 0, cg, kh, kw, dh, dw, oh_, ow_)
                for n in range(m):
                    for c in range(cg):
                        for i in range(out.shape[2]):
                            for j in range(out.shape[3]):
                                out[n0 + n, g * cg + c, i, j] = xp[n, c, max(pt, 0) + i, max(pl, 0) + j]


@kernel("Conv2DBackpropFilter", "CPU", helpers=_HELPERS, args=_conv_args)
def conv2d_backprop_filter_kernel(dout, x, out, sh, sw, dh, dw, pt, pl, group, chunk, small):
    # dw^T (K, og) = col (K, cols) @ dout^T (cols, og), summed over chunks. From 16 output channels on,
    # dout is gathered transposed so BLAS sees NN operands (its NT small-matrix kernel was 1.3x slower on
    # LeNet's conv2); with fewer, the transposing gather's narrow scattered writes cost more (conv1: 1.3x).
    n_, o_, oh_, ow_ = dout.shape[0], dout.shape[1], dout.shape[2], dout.shape[3]
    cg, kh, kw = out.shape[1], out.shape[2], out.shape[3]
    og, k_ = o_ // group, cg * kh * kw
    pitch = conv2d_layout(x.shape, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl, 1, cg, x.dtype)[0]
    nb = conv2d_batch(n_, og, k_, oh_ * pitch, chunk, small)
    xp = conv2d_layout(x.shape, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl, nb, cg, x.dtype)[1]
    colbuf = np.empty(k_ * nb * oh_ * pitch, x.dtype)
    tmpbuf = np.empty(og * nb * oh_ * pitch, x.dtype)
    acc = np.empty((k_, og), x.dtype)
    w2 = out.reshape((o_, k_))
    for o in range(o_):
        for k in range(k_):
            w2[o, k] = 0
    for n0 in range(0, n_, nb):
        m = min(nb, n_ - n0)
        cols = m * oh_ * pitch
        col = colbuf[:k_ * cols].reshape((k_, cols))
        for g in range(group):
            conv2d_unfold(x, col, xp, n0, m, g * cg, cg, kh, kw, sh, sw, dh, dw, pt, pl, oh_, ow_)
            conv2d_gather(dout, tmpbuf[:og * cols], n0, m, g * og, og, pitch, og >= 16)
            if og >= 16:
                np.dot(col, tmpbuf[:og * cols].reshape((cols, og)), acc)
            else:
                np.dot(col, tmpbuf[:og * cols].reshape((og, cols)).T, acc)
            for o in range(og):
                for k in range(k_):
                    w2[g * og + o, k] += acc[k, o]


# ---- BiasAdd / BiasAddGrad: the input seen as (outer, C, inner) around its channel axis -----------

def _bias_args(node):
    return geometry.channel_split(node.inputs[0].shape, node.attrs["data_format"])


@kernel("BiasAdd", "CPU", args=_bias_args)
def bias_add_kernel(x, b, out, outer, c_, inner):
    x3 = x.reshape((outer, c_, inner))
    o3 = out.reshape((outer, c_, inner))
    for a in range(outer):
        for c in range(c_):
            bc = b[c]
            for k in range(inner):
                o3[a, c, k] = x3[a, c, k] + bc


@kernel("BiasAddGrad", "CPU", args=_bias_args)
def bias_add_grad_kernel(d, out, outer, c_, inner):
    # Two BLAS matrix-vector products (ones^T D, then S 1): vectorised, and summed in blocks.
    s = np.empty((1, c_ * inner), d.dtype)
    np.dot(np.ones((1, outer), d.dtype), d.reshape((outer, c_ * inner)), s)
    np.dot(s.reshape((c_, inner)), np.ones((inner, 1), d.dtype), out.reshape((c_, 1)))
