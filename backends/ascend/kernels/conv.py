"""Ascend kernels of Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter on the blocked layouts: feature maps
in NC1HWC0 (N, C1, H, W, 16), weights in FRACTAL_Z (C1*kh*kw, N1, 16, 16) (``ops/conv_blocked.py`` defines
the ops, ``ops/layout.py`` the formats). Group 1 only.

How an AI Core runs a convolution, and so how these do: img2col (the load3d unit) turns the NC1HWC0 input
into a matrix whose row is one output pixel (n, p, q) and whose column is (c1, i, j, c0): each (pixel, c1,
tap) is one contiguous run of the input's 16 lanes. The Cube multiplies it by the FRACTAL_Z weight read as a
(K, N1*16) matrix, accumulating in float32 (L0C), and the result row (n1, n0) is the pixel's NC1HWC0 output
lanes: with N1 = 1 the rows ARE the output, written by the GEMM directly.

    out  = col @ Wm            (rows: pixels; Wm[(k1, c0), (n1, n0)] = w[k1, n1, n0, c0], k1 = (c1, i, j))
    dcol = dout @ Wm^T, folded back onto the NC1HWC0 dx (col2img)
    dWm  = col^T @ dout, summed over pixel chunks in float32, written back as FRACTAL_Z

Padding lanes: the Cube multiplies the input-channel padding too (a 1-channel input is 16 lanes wide), but
its products are +0 and change no sum, so the unfold keeps only the Cin real lanes of each run (K = Cin*kh*kw
columns: c1 block b starts at column b*kh*kw*16, its taps are ``lanes`` = min(16, Cin - 16b) wide): 16x less
work for LeNet's first layer, the same numbers. Output-channel padding stays in the GEMM (its Wm columns are
0), so a result row is a whole NC1HWC0 lane run. Inputs' padding lanes are never read (elementwise ops moved
onto NC1HWC0 by ``hwopt_d_eliminate_redundant_op`` may leave f(0) there), and outputs' are written 0.

Pixels are processed in chunks whose GEMMs stay under OpenBLAS's small-matrix limit (see
``backends/cpu/kernels/conv.py``). Plain top-level functions: the backend jits their source (``np``, ``math``
and the listed helpers only).
"""

import numpy as np

from ....ops import geometry
from ...base import kernel

_CHUNK = 1 << 16  # elements of the unfolded matrix per chunk (cache-sized)
_SMALL_GEMM = 1_000_000  # multiply-adds per GEMM: OpenBLAS's single-threaded small-matrix path


def blocked_conv_args(node):
    """(sh, sw, dh, dw, pad top, pad left, kh, kw, Cin, Cout, chunk, small GEMM): the window from
    ``ops/geometry.conv_args``, the logical weight from the node's ``w_shape``."""
    cout, cin, kh, kw = node.attrs["w_shape"]
    return geometry.conv_args(node)[:6] + (kh, kw, cin, cout, _CHUNK, _SMALL_GEMM)


def blocked_chunk_rows(k_, co, chunk, small):
    """Output pixels per chunk: the unfolded (rows, K) within ``chunk`` elements, rows*K*Co within ``small``."""
    return max(1, min(chunk // k_, small // (k_ * co)))


def blocked_column(k1, khkw, cin):
    """(first column, lanes) of FRACTAL_Z row block k1 = (c1, tap) in the unfolded matrix: block c1 starts at
    c1*kh*kw*16 and each of its taps is lanes = min(16, Cin - 16*c1) columns wide."""
    c1, tap = k1 // khkw, k1 % khkw
    lanes = min(16, cin - c1 * 16)
    return c1 * khkw * 16 + tap * lanes, lanes


def blocked_weight_matrix(w, wm, khkw, cin, cout):
    """wm[column(k1) + c0, n1*16 + n0] = w[k1, n1, n0, c0] for the real input lanes c0 < lanes, 0 for output
    channels past Cout: the FRACTAL_Z weight as the GEMM's (Cin*kh*kw, N1*16) operand."""
    for k1 in range(w.shape[0]):
        col, lanes = blocked_column(k1, khkw, cin)
        for c0 in range(lanes):
            for n1 in range(w.shape[1]):
                for n0 in range(16):
                    if n1 * 16 + n0 < cout:
                        wm[col + c0, n1 * 16 + n0] = w[k1, n1, n0, c0]
                    else:
                        wm[col + c0, n1 * 16 + n0] = 0


def blocked_unfold(x, col, r0, m, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl, cin):
    """img2col: col[r, column(c1, i, j) + c0] = x[n, c1, p*sh - pt + i*dh, q*sw - pl + j*dw, c0] for pixel
    r0 + r = (n*OH + p)*OW + q and the real lanes c0 < lanes (``blocked_column``); 0 outside x."""
    c1s, h_, w_ = x.shape[1], x.shape[2], x.shape[3]
    for r in range(m):
        rr = r0 + r
        n, p, q = rr // (oh_ * ow_), (rr // ow_) % oh_, rr % ow_
        for c1 in range(c1s):
            lanes = min(16, cin - c1 * 16)
            for i in range(kh):
                ih = p * sh - pt + i * dh
                for j in range(kw):
                    iw = q * sw - pl + j * dw
                    base = c1 * kh * kw * 16 + (i * kw + j) * lanes
                    if ih >= 0 and ih < h_ and iw >= 0 and iw < w_:
                        for c0 in range(lanes):
                            col[r, base + c0] = x[n, c1, ih, iw, c0]
                    else:
                        for c0 in range(lanes):
                            col[r, base + c0] = 0


def blocked_fold(dcol, dx, r0, m, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl, cin):
    """col2img, the adjoint of ``blocked_unfold``: dx[n, c1, ih, iw, c0] += dcol[r, column(c1, i, j) + c0]."""
    c1s, h_, w_ = dx.shape[1], dx.shape[2], dx.shape[3]
    for r in range(m):
        rr = r0 + r
        n, p, q = rr // (oh_ * ow_), (rr // ow_) % oh_, rr % ow_
        for c1 in range(c1s):
            lanes = min(16, cin - c1 * 16)
            for i in range(kh):
                ih = p * sh - pt + i * dh
                if ih < 0 or ih >= h_:
                    continue
                for j in range(kw):
                    iw = q * sw - pl + j * dw
                    if iw >= 0 and iw < w_:
                        base = c1 * kh * kw * 16 + (i * kw + j) * lanes
                        for c0 in range(lanes):
                            dx[n, c1, ih, iw, c0] += dcol[r, base + c0]


def blocked_gather_rows(d, mat, r0, m):
    """mat[r, n1*16 + n0] = d[n, n1, p, q, n0] for pixel r0 + r (an NC1HWC0 tensor as GEMM rows)."""
    oh_, ow_ = d.shape[2], d.shape[3]
    for r in range(m):
        rr = r0 + r
        n, p, q = rr // (oh_ * ow_), (rr // ow_) % oh_, rr % ow_
        for n1 in range(d.shape[1]):
            for n0 in range(16):
                mat[r, n1 * 16 + n0] = d[n, n1, p, q, n0]


def blocked_scatter_rows(mat, d, r0, m):
    """The inverse of ``blocked_gather_rows``: d[n, n1, p, q, n0] = mat[r, n1*16 + n0]."""
    oh_, ow_ = d.shape[2], d.shape[3]
    for r in range(m):
        rr = r0 + r
        n, p, q = rr // (oh_ * ow_), (rr // ow_) % oh_, rr % ow_
        for n1 in range(d.shape[1]):
            for n0 in range(16):
                d[n, n1, p, q, n0] = mat[r, n1 * 16 + n0]


_HELPERS = (blocked_chunk_rows, blocked_column, blocked_weight_matrix, blocked_unfold, blocked_fold,
            blocked_gather_rows, blocked_scatter_rows)


@kernel("Conv2D", "Ascend", helpers=_HELPERS, args=blocked_conv_args)
def conv2d_nc1hwc0_kernel(x, w, out, sh, sw, dh, dw, pt, pl, kh, kw, cin, cout, chunk, small):
    n1, oh_, ow_ = out.shape[1], out.shape[2], out.shape[3]
    k_, co, m_ = cin * kh * kw, n1 * 16, out.shape[0] * oh_ * ow_
    wm = np.empty((k_, co), x.dtype)
    blocked_weight_matrix(w, wm, kh * kw, cin, cout)
    rows = blocked_chunk_rows(k_, co, chunk, small)
    colbuf = np.empty(rows * k_, x.dtype)
    resbuf = np.empty(rows * co, x.dtype)
    o2 = out.reshape((out.size // 16, 16))
    for r0 in range(0, m_, rows):
        m = min(rows, m_ - r0)
        col = colbuf[:m * k_].reshape((m, k_))
        blocked_unfold(x, col, r0, m, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl, cin)
        if n1 == 1:  # the pixels' rows are the output's (n, p, q, c0) rows
            np.dot(col, wm, o2[r0:r0 + m])
        else:
            res = resbuf[:m * co].reshape((m, co))
            np.dot(col, wm, res)
            blocked_scatter_rows(res, out, r0, m)


@kernel("Conv2DBackpropInput", "Ascend", helpers=_HELPERS, args=blocked_conv_args)
def conv2d_backprop_input_nc1hwc0_kernel(dout, w, out, sh, sw, dh, dw, pt, pl, kh, kw, cin, cout, chunk, small):
    n1, oh_, ow_ = dout.shape[1], dout.shape[2], dout.shape[3]
    k_, co, m_ = cin * kh * kw, n1 * 16, dout.shape[0] * oh_ * ow_
    wm = np.empty((k_, co), dout.dtype)
    blocked_weight_matrix(w, wm, kh * kw, cin, cout)
    wt = np.ascontiguousarray(wm.T)
    flat = out.reshape(out.size)
    for t in range(flat.size):
        flat[t] = 0
    rows = blocked_chunk_rows(k_, co, chunk, small)
    dcolbuf = np.empty(rows * k_, dout.dtype)
    dmatbuf = np.empty(rows * co, dout.dtype)
    d2 = dout.reshape((dout.size // 16, 16))
    for r0 in range(0, m_, rows):
        m = min(rows, m_ - r0)
        dcol = dcolbuf[:m * k_].reshape((m, k_))
        if n1 == 1:
            np.dot(d2[r0:r0 + m], wt, dcol)
        else:
            dmat = dmatbuf[:m * co].reshape((m, co))
            blocked_gather_rows(dout, dmat, r0, m)
            np.dot(dmat, wt, dcol)
        blocked_fold(dcol, out, r0, m, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl, cin)


@kernel("Conv2DBackpropFilter", "Ascend", helpers=_HELPERS, args=blocked_conv_args)
def conv2d_backprop_filter_nc1hwc0_kernel(dout, x, out, sh, sw, dh, dw, pt, pl, kh, kw, cin, cout, chunk, small):
    n1, oh_, ow_ = dout.shape[1], dout.shape[2], dout.shape[3]
    k_, co, m_ = cin * kh * kw, n1 * 16, dout.shape[0] * oh_ * ow_
    acc = np.zeros((k_, co), x.dtype)  # float32 accumulation over the chunks (L0C)
    part = np.empty((k_, co), x.dtype)
    rows = blocked_chunk_rows(k_, co, chunk, small)
    colbuf = np.empty(rows * k_, x.dtype)
    dmatbuf = np.empty(rows * co, x.dtype)
    d2 = dout.reshape((dout.size // 16, 16))
    for r0 in range(0, m_, rows):
        m = min(rows, m_ - r0)
        col = colbuf[:m * k_].reshape((m, k_))
        blocked_unfold(x, col, r0, m, oh_, ow_, kh, kw, sh, sw, dh, dw, pt, pl, cin)
        if n1 == 1:
            np.dot(col.T, d2[r0:r0 + m], part)
        else:
            dmat = dmatbuf[:m * co].reshape((m, co))
            blocked_gather_rows(dout, dmat, r0, m)
            np.dot(col.T, dmat, part)
        for k in range(k_):
            for o in range(co):
                acc[k, o] += part[k, o]
    for k1 in range(out.shape[0]):
        col0, lanes = blocked_column(k1, kh * kw, cin)
        for n1_ in range(out.shape[1]):
            for n0 in range(16):
                for c0 in range(16):
                    if c0 < lanes and n1_ * 16 + n0 < cout:
                        out[k1, n1_, n0, c0] = acc[col0 + c0, n1_ * 16 + n0]
                    else:
                        out[k1, n1_, n0, c0] = 0
