"""GPU kernels of Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter (ops/conv.py gives shapes and
formulas; the window comes from ``geometry.conv_args``) as im2col + GEMM, one group at a time:

  col[(c, i, j), (n, p, q)] = x[n, c0 + c, p*sh - pt + i*dh, q*sw - pl + j*dw]   (0 outside x)
  Conv2D:               out_g (og, N*P) = w_g (og, K) @ col (K, N*P)
  Conv2DBackpropInput:  dcol (K, N*P) = w_g^T @ dout_g, folded back by col2im
  Conv2DBackpropFilter: dw_g (og, K) = dout_g (og, N*P) @ col^T

with K = C/group*kh*kw, P = OH*OW. col2im is written as a gather (each dx element sums the columns that
read it), so no atomics are needed and every element is written once. The column and GEMM buffers are
device scratch reused between calls (``device.scratch``). Dtype-generic: buffers, sums and zeros take the
arrays' dtype (float64 cases run in float64; the float32 kernels hold no float64 instruction).
"""

from numba import cuda

from ....ops.geometry import conv_args
from ...base import kernel
from ..device import cast_like, dims, flat, same_dtype, scratch
from .linalg import gemm

_F = "float32[::1]"
_GEOM = ", ".join(["int64"] * 16)


@cuda.jit(cache=True)
def im2col_kernel(x, col, nb, c_, h_, w_, c0, cg, kh, kw, oh_, ow_, sh, sw, dh, dw, pt, pl):
    """col[(c, i, j), (n, p, q)] from x (N, C, H, W), channels c0 .. c0 + cg (flat arrays)."""
    cols = nb * oh_ * ow_
    for t in range(cuda.grid(1), col.size, cuda.gridsize(1)):
        r, s = t // cols, t % cols
        c, ij = r // (kh * kw), r % (kh * kw)
        n, pq = s // (oh_ * ow_), s % (oh_ * ow_)
        ih = (pq // ow_) * sh - pt + (ij // kw) * dh
        iw = (pq % ow_) * sw - pl + (ij % kw) * dw
        if 0 <= ih < h_ and 0 <= iw < w_:
            col[t] = x[((n * c_ + c0 + c) * h_ + ih) * w_ + iw]
        else:
            col[t] = 0  # (stored as col's dtype)


@cuda.jit(cache=True)
def col2im_kernel(col, dx, nb, c_, h_, w_, c0, cg, kh, kw, oh_, ow_, sh, sw, dh, dw, pt, pl):
    """dx[n, c0 + c, h, w] = sum over taps (i, j) whose output (p, q) reads it of col[(c, i, j), (n, p, q)]."""
    cols = nb * oh_ * ow_
    zero = cast_like(dx, 0)
    for t in range(cuda.grid(1), nb * cg * h_ * w_, cuda.gridsize(1)):
        n, r = t // (cg * h_ * w_), t % (cg * h_ * w_)
        c, hw = r // (h_ * w_), r % (h_ * w_)
        h, w = hw // w_, hw % w_
        s = zero
        for i in range(kh):
            ph = h + pt - i * dh
            if ph >= 0 and ph % sh == 0 and ph // sh < oh_:
                for j in range(kw):
                    qw = w + pl - j * dw
                    if qw >= 0 and qw % sw == 0 and qw // sw < ow_:
                        s += col[((c * kh + i) * kw + j) * cols + (n * oh_ + ph // sh) * ow_ + qw // sw]
        dx[((n * c_ + c0 + c) * h_ + h) * w_ + w] = s


@cuda.jit(cache=True)
def rows_kernel(nchw, rows, nb, o_, o0, og, p_, to_rows):
    """rows[o, n*P + p] = nchw[n, o0 + o, p] (``to_rows``), or the reverse copy into nchw."""
    for t in range(cuda.grid(1), og * nb * p_, cuda.gridsize(1)):
        o, s = t // (nb * p_), t % (nb * p_)
        k = ((s // p_) * o_ + o0 + o) * p_ + s % p_
        if to_rows:
            rows[t] = nchw[k]
        else:
            nchw[k] = rows[t]


def _geometry(x_shape, w_shape, d_shape, sh, sw, dh, dw, pt, pl, group):
    n_, c_, h_, w_ = x_shape
    og, (kh, kw), (oh_, ow_) = w_shape[0] // group, w_shape[2:], d_shape[2:]
    cg = c_ // group
    return dict(n_=n_, c_=c_, h_=h_, w_=w_, og=og, cg=cg, kh=kh, kw=kw, oh_=oh_, ow_=ow_, k_=cg * kh * kw,
                win=(sh, sw, dh, dw, pt, pl))


def _col(kern, a, col, g, c0):
    kern[dims(col.size if kern is im2col_kernel else g["n_"] * g["cg"] * g["h_"] * g["w_"])](
        flat(a), flat(col), g["n_"], g["c_"], g["h_"], g["w_"], c0, g["cg"], g["kh"], g["kw"], g["oh_"], g["ow_"],
        *g["win"])


def _rows(nchw, rows, g, o0, to_rows):
    p_ = g["oh_"] * g["ow_"]
    rows_kernel[dims(rows.size)](flat(nchw), flat(rows), g["n_"], nchw.shape[1], o0, g["og"], p_, to_rows)


def _buffers(g, x_dtype):
    cols = g["n_"] * g["oh_"] * g["ow_"]
    return (scratch("conv_col", (1, g["k_"], cols), x_dtype), scratch("conv_rows", (1, g["og"], cols), x_dtype))


@kernel("Conv2D", "GPU", args=conv_args)
def conv2d(x, w, out, sh, sw, dh, dw, pt, pl, group, err):
    same_dtype("Conv2D", x, w, out)
    g = _geometry(x.shape, w.shape, out.shape, sh, sw, dh, dw, pt, pl, group)
    col, rows = _buffers(g, x.dtype)
    w2 = w.reshape((w.shape[0], g["k_"]))
    for k in range(group):
        _col(im2col_kernel, x, col, g, k * g["cg"])
        gemm(w2[k * g["og"]:(k + 1) * g["og"]].reshape((1, g["og"], g["k_"])), col, rows)
        _rows(out, rows, g, k * g["og"], False)


@kernel("Conv2DBackpropInput", "GPU", args=conv_args)
def conv2d_backprop_input(dout, w, out, sh, sw, dh, dw, pt, pl, group, err):
    same_dtype("Conv2DBackpropInput", dout, w, out)
    g = _geometry(out.shape, w.shape, dout.shape, sh, sw, dh, dw, pt, pl, group)
    col, rows = _buffers(g, dout.dtype)
    w2 = w.reshape((w.shape[0], g["k_"]))
    for k in range(group):
        _rows(dout, rows, g, k * g["og"], True)
        gemm(w2[k * g["og"]:(k + 1) * g["og"]].reshape((1, g["og"], g["k_"])), rows, col, ta=True)
        _col(col2im_kernel, col, out, g, k * g["cg"])


@kernel("Conv2DBackpropFilter", "GPU", args=conv_args)
def conv2d_backprop_filter(dout, x, out, sh, sw, dh, dw, pt, pl, group, err):
    same_dtype("Conv2DBackpropFilter", dout, x, out)
    g = _geometry(x.shape, out.shape, dout.shape, sh, sw, dh, dw, pt, pl, group)
    col, rows = _buffers(g, x.dtype)
    w2 = out.reshape((out.shape[0], g["k_"]))
    for k in range(group):
        _col(im2col_kernel, x, col, g, k * g["cg"])
        _rows(dout, rows, g, k * g["og"], True)
        gemm(rows, col, w2[k * g["og"]:(k + 1) * g["og"]].reshape((1, g["og"], g["k_"])), tb=True)


PTX = [(im2col_kernel, f"void({_F}, {_F}, {_GEOM})"),
       (col2im_kernel, f"void({_F}, {_F}, {_GEOM})"),
       (rows_kernel, f"void({_F}, {_F}, int64, int64, int64, int64, int64, boolean)")]
