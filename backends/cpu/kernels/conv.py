"""CPU kernels of Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter, BiasAdd and BiasAddGrad (the ops
are defined in ``ops/conv.py``, whose docstring gives the shapes and formulas; their window arguments
come from ``ops/geometry.py``).

Conv2D and Conv2DBackpropFilter are host kernels (``jit=False``): plain numpy, not compiled by numba. All
their work is an unfold (im2col) and BLAS GEMMs; numpy does the unfold as one strided copy of a
window view in C, and its matmul calls the same sgemm numba's ``np.dot`` does. Numba added nothing to
the step's speed but cost about 70% of a cold start-up (compiling the jitted versions of the three
conv kernels and their ten helpers took ~23 s of CPU on LeNet-5, the rest of the library ~8 s).

Layout: ``_windows`` views the (zero-padded) input as (N, C, kh, kw, OH, OW), element
x[n, c, p*sh + i*dh, q*sw + j*dw]; reshaped (copied) to (N, K, OH*OW), K = C/group*kh*kw, it is each
sample's col matrix. Forward: out[n] = w @ col[n] (one small GEMM per sample, written straight into
``out``: no transposing copy, and each GEMM stays under OpenBLAS's small-matrix limit). Filter
gradient: one GEMM dout (og, N*P) @ col^T (N*P, K) over the batch.

Conv2DBackpropInput is a host kernel too, except for its fold (col2im, jitted helpers passed in by the
step): numpy would run the fold as kh*kw strided adds over OW-float rows, 3x slower on LeNet's conv2. It
computes col (K, nb*OH*pitch) = w^T @ dout for a chunk of samples and, for stride 1, uses a "wide" layout
with pitch Wp = OW + dw*(kw-1), whose Wp - OW junk columns per output row are zero in the dout operand.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ....ops import geometry
from ....ops.geometry import conv2d_span
from ...base import kernel


def _extent(o, k, s, d):
    """Input rows (or columns) a window sweep reads: (o-1)*s + (k-1)*d + 1."""
    return (o - 1) * s + (k - 1) * d + 1


def _padded(x, hp, wp, pt, pl):
    """x placed at (pt, pl) in zeros of (N, C, hp, wp); x itself when no padding is needed (a window
    view ignores rows and columns past hp, wp)."""
    if pt == 0 and pl == 0 and x.shape[2] >= hp and x.shape[3] >= wp:
        return x
    xp = np.zeros(x.shape[:2] + (hp, wp), x.dtype)
    h, w = min(x.shape[2], hp - pt), min(x.shape[3], wp - pl)
    if h > 0 and w > 0:
        xp[:, :, pt:pt + h, pl:pl + w] = x[:, :, :h, :w]
    return xp


def _windows(xp, kh, kw, sh, sw, dh, dw, oh, ow):
    """Read-only view (N, C, kh, kw, OH, OW) of xp: [n, c, i, j, p, q] = xp[n, c, p*sh + i*dh, q*sw + j*dw]."""
    s = xp.strides
    return as_strided(xp, xp.shape[:2] + (kh, kw, oh, ow), (s[0], s[1], s[2] * dh, s[3] * dw, s[2] * sh, s[3] * sw),
                      writeable=False)


def _cols(x, w_shape, oh, ow, sh, sw, dh, dw, pt, pl):
    """The window view of x for a conv with weight shape ``w_shape`` (zero padding applied)."""
    kh, kw = w_shape[2], w_shape[3]
    xp = _padded(x, _extent(oh, kh, sh, dh), _extent(ow, kw, sw, dw), pt, pl)
    return _windows(xp, kh, kw, sh, sw, dh, dw, oh, ow)


@kernel("Conv2D", "CPU", args=geometry.conv_args, jit=False)
def conv2d_kernel(x, w, out, sh, sw, dh, dw, pt, pl, group):
    n_, o_, oh, ow = out.shape
    cg, og = w.shape[1], o_ // group
    win = _cols(x, w.shape, oh, ow, sh, sw, dh, dw, pt, pl)
    w2 = w.reshape(o_, -1)
    o3 = out.reshape(n_, o_, oh * ow)
    for g in range(group):
        col = win[:, g * cg:(g + 1) * cg].reshape(n_, -1, oh * ow)
        np.matmul(w2[g * og:(g + 1) * og], col, out=o3[:, g * og:(g + 1) * og])


@kernel("Conv2DBackpropFilter", "CPU", args=geometry.conv_args, jit=False)
def conv2d_backprop_filter_kernel(dout, x, out, sh, sw, dh, dw, pt, pl, group):
    n_, o_, oh, ow = dout.shape
    cg, og = out.shape[1], o_ // group
    win = _cols(x, out.shape, oh, ow, sh, sw, dh, dw, pt, pl)
    w2 = out.reshape(o_, -1)
    for g in range(group):
        # col (K, N*P) and dout (og, N*P) in the same (n, p) order: dw = dout @ col^T, one GEMM (per-sample
        # GEMMs summed over the batch were slower)
        col = win[:, g * cg:(g + 1) * cg].transpose(1, 2, 3, 0, 4, 5).reshape(w2.shape[1], -1)
        d = dout[:, g * og:(g + 1) * og].transpose(1, 0, 2, 3).reshape(og, -1)
        np.dot(d, col.T, out=w2[g * og:(g + 1) * og])


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


# ---- Conv2DBackpropInput: a host kernel (GEMMs in numpy) around one small jitted fold ----------------

# Only the fold is compiled. The GEMMs are one stacked np.matmul per group (one small sgemm per sample,
# each under OpenBLAS's small-matrix limit, written straight into col's (K, N, P) layout: no copies), the
# dout operand one strided copy: a handful of numpy calls per step (chunking them by samples made ~100
# calls and the step ~6% slower). Each col element is the same og-term dot product as in the jitted
# kernel this replaces (np.dot in njit, six helpers: ~6 s of CPU to compile at a cold LeNet-5 start-up).
_DX_HELPERS = (conv2d_span, conv2d_col2im, conv2d_col2im_wide)


def _dx_plan(out_shape, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl):
    """(row pitch of col, padded): stride 1 folds through the "wide" layout, whose pitch Wp = OW + dw*(kw-1)
    makes each (c, i, j) row of col one contiguous run of dx; ``padded`` when that needs a padded scratch."""
    if sh != 1 or sw != 1:
        return ow_, False
    hp, wp = oh_ + dh * (kh - 1), ow_ + dw * (kw - 1)
    return wp, not (pt == 0 and pl == 0 and hp == out_shape[2] and wp == out_shape[3])


@kernel("Conv2DBackpropInput", "CPU", helpers=_DX_HELPERS, args=geometry.conv_args, jit=False)
def conv2d_backprop_input_kernel(dout, w, out, sh, sw, dh, dw, pt, pl, group, span, col2im, col2im_wide):
    n_, o_, oh_, ow_ = dout.shape
    cg, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    og, k_ = o_ // group, cg * kh * kw
    pitch, padded = _dx_plan(out.shape, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl)
    p_ = oh_ * pitch
    w2 = w.reshape(o_, k_)
    col = np.empty((k_, n_, p_), dout.dtype)
    if pitch != ow_:  # the operand with the wide layout's junk columns (zero, so they fold nothing)
        wide = np.zeros((n_, o_, oh_, pitch), dout.dtype)
        wide[..., :ow_] = dout
        d3 = wide.reshape(n_, o_, p_)
    else:
        d3 = dout.reshape(n_, o_, p_)
    xp = np.zeros((n_, cg, oh_ + dh * (kh - 1), pitch), out.dtype) if padded else None
    out[...] = 0
    for g in range(group):
        np.matmul(w2[g * og:(g + 1) * og].T, d3[:, g * og:(g + 1) * og], out=col.transpose(1, 0, 2))
        c2 = col.reshape(k_, n_ * p_)
        if pitch == ow_:
            col2im(c2, out, 0, n_, g * cg, cg, kh, kw, sh, sw, dh, dw, pt, pl, oh_, ow_)
        elif not padded:
            col2im_wide(c2, out, 0, n_, g * cg, cg, kh, kw, dh, dw, oh_, ow_)
        else:  # fold into the padded scratch, then keep its interior
            if g:
                xp[...] = 0
            col2im_wide(c2, xp, 0, n_, 0, cg, kh, kw, dh, dw, oh_, ow_)
            t, left = max(pt, 0), max(pl, 0)
            out[:, g * cg:(g + 1) * cg] = xp[:, :, t:t + out.shape[2], left:left + out.shape[3]]


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
