"""2-D pooling in NCHW: MaxPool (with MaxPoolGrad, MaxPoolGradGrad, MaxPoolArgmax) and AvgPool (with
AvgPoolGrad).

Window (p, q) of an (H, W) plane covers rows p*sh - top + i*dh (i < kh) and columns q*sw - left + j*dw;
taps outside the plane are padding and never selected or summed. Output size per axis:
OH = (H + top + bottom - dh*(kh-1) - 1) // sh + 1, or with ceil_mode the ceiling, dropping a last
window that would start in the bottom padding (PyTorch/MindSpore rule).

* MaxPool: out = max over the window's in-plane taps; its argmax is the FIRST maximum in window order
  (row-major over (i, j)). MaxPoolGrad(x, dout) recomputes the argmax and adds dout there;
  MaxPoolGradGrad(x, g) gathers g at the argmax (its adjoint). Both are piecewise constant in x.
* AvgPool: out = sum of in-plane taps / divisor, divisor = divisor_override if > 0, else with
  count_include_pad the window clipped to the padded plane (min(start + k, H + bottom) - start per
  axis), else the number of in-plane taps ('same' mode: MindSpore/TF divide by the non-padding count).
  AvgPoolGrad spreads dout / divisor over the window: the adjoint, so each one's gradient is the other.

Output sizes, window spans and the kernels' window arguments are in ``geometry.py``; the kernels are
in ``backends/<target>/kernels/pool.py``.
"""

import numpy as np

from .geometry import (
    check_format,
    check_int,
    check_pad_mode,
    conv2d_span,
    int_pad4,
    int_pair,
    pool_out_size,
    resolve_pads,
)
from .primitive_base import Primitive
from .registry import OpDef, apply, as_tensor, fail, register, type_name
from .shape_base import reshape

# ---- shapes, references, gradients -------------------------------------------------------------


def _pool_shape(x_shape, kernel_size, strides, pad, dilation=(1, 1), ceil_mode=False):
    if len(x_shape) != 4 or min(x_shape) <= 0:
        raise ValueError(f"the input must be 4-D (N, C, H, W) with positive dimensions, but got shape "
                         f"{list(x_shape)}")
    if min(kernel_size) < 1 or min(strides) < 1 or min(dilation) < 1 or min(pad) < 0:
        raise ValueError(f"kernel_size, strides and dilation must be positive and pad non-negative, but got "
                         f"kernel_size {kernel_size}, strides {strides}, dilation {dilation}, pad {pad}")
    out = []
    for ax in range(2):
        size, k, s, d = x_shape[2 + ax], kernel_size[ax], strides[ax], dilation[ax]
        before, after = pad[2 * ax], pad[2 * ax + 1]
        o = pool_out_size(size, k, s, d, before, after, ceil_mode)
        if o < 1:
            raise ValueError(f"the window ({d * (k - 1) + 1}) is larger than the padded input "
                             f"({size + before + after}) on axis {2 + ax} of input shape {list(x_shape)}")
        for p in range(o):  # every window must see at least one input element (never only padding)
            lo, hi = conv2d_span(p * s - before, d, size, k)
            if hi <= lo:
                raise ValueError(f"window {p} on axis {2 + ax} covers only padding: input shape {list(x_shape)}, "
                                 f"kernel_size {kernel_size}, strides {strides}, pad {pad}, dilation {dilation}")
        out.append(o)
    return (x_shape[0], x_shape[1], out[0], out[1])


def _float(spec, name="x"):
    if spec.dtype.kind != "f":
        raise TypeError(f"the {name} must be a floating-point Tensor, but got {type_name(spec.dtype)}")
    return spec.dtype


def _max_infer(specs, kernel_size, strides, pad, dilation, ceil_mode):
    return _pool_shape(specs[0].shape, kernel_size, strides, pad, dilation, ceil_mode), _float(specs[0])


def _max_grad_infer(specs, kernel_size, strides, pad, dilation, ceil_mode):
    x, d = specs
    want = _pool_shape(x.shape, kernel_size, strides, pad, dilation, ceil_mode)
    if d.shape != want or d.dtype != x.dtype:
        raise ValueError(f"dout {d} must have the pooled shape {list(want)} and the dtype of x {x}")
    return x.shape, _float(x)


def _max_grad_grad_infer(specs, kernel_size, strides, pad, dilation, ceil_mode):
    x, g = specs
    if g.shape != x.shape or g.dtype != x.dtype:
        raise ValueError(f"the gradient {g} must have the shape and dtype of x {x}")
    return _pool_shape(x.shape, kernel_size, strides, pad, dilation, ceil_mode), _float(x)


def _argmax_infer(specs, kernel_size, strides, pad, dilation, ceil_mode):
    return _pool_shape(specs[0].shape, kernel_size, strides, pad, dilation, ceil_mode), np.dtype(np.int64)


def _taps(x_shape, out_shape, kernel_size, strides, pad, dilation):
    """Padded input (extended for ceil_mode) size and, per tap (i, j), the row/column slices it reads."""
    hp = max(x_shape[2] + pad[0] + pad[1], (out_shape[2] - 1) * strides[0] + dilation[0] * (kernel_size[0] - 1) + 1)
    wp = max(x_shape[3] + pad[2] + pad[3], (out_shape[3] - 1) * strides[1] + dilation[1] * (kernel_size[1] - 1) + 1)
    taps = []
    for i in range(kernel_size[0]):
        for j in range(kernel_size[1]):
            r0, c0 = i * dilation[0], j * dilation[1]
            taps.append((slice(r0, r0 + strides[0] * (out_shape[2] - 1) + 1, strides[0]),
                         slice(c0, c0 + strides[1] * (out_shape[3] - 1) + 1, strides[1])))
    return (hp, wp), taps


def _padded(x, hp_wp, pad, value):
    out = np.full(x.shape[:2] + hp_wp, value, dtype=np.float64)
    out[:, :, pad[0]:pad[0] + x.shape[2], pad[2]:pad[2] + x.shape[3]] = x
    return out


def _argmax_ref(x, kernel_size, strides, pad, dilation, ceil_mode):
    """(out shape, padded size, taps, index of the first maximum tap per window)."""
    out_shape = _pool_shape(x.shape, kernel_size, strides, pad, dilation, ceil_mode)
    hp_wp, taps = _taps(x.shape, out_shape, kernel_size, strides, pad, dilation)
    xp = _padded(x, hp_wp, pad, -np.inf)
    windows = np.stack([xp[:, :, r, c] for r, c in taps], axis=-1)
    return out_shape, hp_wp, taps, np.argmax(windows, axis=-1), windows


def _max_ref(x, **attrs):
    _, _, _, idx, windows = _argmax_ref(x, **attrs)
    return np.take_along_axis(windows, idx[..., None], -1)[..., 0].astype(x.dtype)


def _max_positions(x, attrs):
    """Row and column in x of each window's first maximum."""
    out_shape, _, taps, idx, _ = _argmax_ref(x, **attrs)
    ks, st, dl, pad = attrs["kernel_size"], attrs["strides"], attrs["dilation"], attrs["pad"]
    rows = np.arange(out_shape[2])[:, None] * st[0] - pad[0] + (idx // ks[1]) * dl[0]
    cols = np.arange(out_shape[3])[None, :] * st[1] - pad[2] + (idx % ks[1]) * dl[1]
    return rows, cols


def _max_grad_ref(x, d, **attrs):
    rows, cols = _max_positions(x, attrs)
    n, c = np.meshgrid(np.arange(x.shape[0]), np.arange(x.shape[1]), indexing="ij")
    dx = np.zeros(x.shape)
    np.add.at(dx, (n[:, :, None, None], c[:, :, None, None], rows, cols), d)
    return dx.astype(x.dtype)


def _max_grad_grad_ref(x, g, **attrs):
    rows, cols = _max_positions(x, attrs)
    n, c = np.meshgrid(np.arange(x.shape[0]), np.arange(x.shape[1]), indexing="ij")
    return g[n[:, :, None, None], c[:, :, None, None], rows, cols]


def _argmax_index_ref(x, **attrs):
    rows, cols = _max_positions(x, attrs)
    return (rows * x.shape[3] + cols).astype(np.int64)


def _max_grad(ctx, ins, out, d, **attrs):
    return [apply("MaxPoolGrad", ins[0], d, **attrs)]


def _max_grad_grad(ctx, ins, out, g, **attrs):
    # Linear in dout; piecewise constant (zero gradient) in x.
    return [None, apply("MaxPoolGradGrad", ins[0], g, **attrs)]


def _max_grad_grad_grad(ctx, ins, out, g, **attrs):
    return [None, apply("MaxPoolGrad", ins[0], g, **attrs)]


register(OpDef("MaxPool", infer=_max_infer, reference=_max_ref, grad=_max_grad))
register(OpDef("MaxPoolGrad", infer=_max_grad_infer, reference=_max_grad_ref, grad=_max_grad_grad))
register(OpDef("MaxPoolGradGrad", infer=_max_grad_grad_infer, reference=_max_grad_grad_ref,
               grad=_max_grad_grad_grad))
register(OpDef("MaxPoolArgmax", infer=_argmax_infer, reference=_argmax_index_ref, nondiff=True))


def _avg_infer(specs, kernel_size, strides, pad, ceil_mode, count_include_pad, divisor):
    return _pool_shape(specs[0].shape, kernel_size, strides, pad, (1, 1), ceil_mode), _float(specs[0])


def _avg_grad_infer(specs, x_shape, kernel_size, strides, pad, ceil_mode, count_include_pad, divisor):
    d = specs[0]
    want = _pool_shape(tuple(x_shape), kernel_size, strides, pad, (1, 1), ceil_mode)
    if d.shape != want:
        raise ValueError(f"dout shape {list(d.shape)} must be the pooled shape {list(want)} of x shape "
                         f"{list(x_shape)}")
    return tuple(x_shape), _float(d, "dout")


def _avg_divisors(x_shape, out_shape, kernel_size, strides, pad, count_include_pad, divisor):
    if divisor > 0:
        return float(divisor)
    counts = []
    for ax in range(2):
        size, k, s = x_shape[2 + ax], kernel_size[ax], strides[ax]
        start = np.arange(out_shape[2 + ax]) * s - pad[2 * ax]
        if count_include_pad:
            counts.append(np.minimum(start + k, size + pad[2 * ax + 1]) - start)
        else:
            counts.append(np.minimum(start + k, size) - np.maximum(start, 0))
    return np.outer(counts[0], counts[1]).astype(np.float64)


def _avg_ref(x, kernel_size, strides, pad, ceil_mode, count_include_pad, divisor):
    out_shape = _pool_shape(x.shape, kernel_size, strides, pad, (1, 1), ceil_mode)
    hp_wp, taps = _taps(x.shape, out_shape, kernel_size, strides, pad, (1, 1))
    xp = _padded(x, hp_wp, pad, 0.0)
    total = sum(xp[:, :, r, c] for r, c in taps)
    div = _avg_divisors(x.shape, out_shape, kernel_size, strides, pad, count_include_pad, divisor)
    return (total / div).astype(x.dtype)


def _avg_grad_ref(d, x_shape, kernel_size, strides, pad, ceil_mode, count_include_pad, divisor):
    hp_wp, taps = _taps(x_shape, d.shape, kernel_size, strides, pad, (1, 1))
    share = d / _avg_divisors(x_shape, d.shape, kernel_size, strides, pad, count_include_pad, divisor)
    dxp = np.zeros(tuple(x_shape[:2]) + hp_wp)
    for r, c in taps:
        dxp[:, :, r, c] += share
    return dxp[:, :, pad[0]:pad[0] + x_shape[2], pad[2]:pad[2] + x_shape[3]].astype(d.dtype)


def _avg_grad(ctx, ins, out, d, **attrs):
    return [apply("AvgPoolGrad", d, x_shape=tuple(ins[0].shape), **attrs)]


def _avg_grad_grad(ctx, ins, out, g, x_shape, **attrs):
    return [apply("AvgPool", g, **attrs)]


register(OpDef("AvgPool", infer=_avg_infer, reference=_avg_ref, grad=_avg_grad))
register(OpDef("AvgPoolGrad", infer=_avg_grad_infer, reference=_avg_grad_ref, grad=_avg_grad_grad))


# ---- functional forms and primitives -------------------------------------------------------------

def check_pool_input(x, op):
    """A pooling input is 3-D (C, H, W) or 4-D (N, C, H, W): an OpError at the user's line otherwise."""
    if x.ndim not in (3, 4):
        fail(op, f"the input must be 3-D (C, H, W) or 4-D (N, C, H, W), but got shape {list(x.shape)}")


def _as_4d(x, op):
    x = as_tensor(x)
    check_pool_input(x, op)
    return (reshape(x, (1,) + tuple(x.shape)), True) if x.ndim == 3 else (x, False)


def _unbatch(y, squeeze):
    return reshape(y, y.shape[1:]) if squeeze else y


def _check_half_kernel(pad, kernel, op):
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[0] // 2 or pad[2] > kernel[1] // 2 or pad[3] > kernel[1] // 2:
        fail(op, f"the padding must be at most half of the kernel size, but got padding {list(pad)} and "
                 f"kernel_size {list(kernel)}")


def max_pool(x, kernel_size, strides, pad, dilation=(1, 1), ceil_mode=False, return_indices=False, op="MaxPool"):
    """MaxPool with resolved attributes (kernel_size/strides/dilation pairs, pad (top, bottom, left, right)).
    Returns out, or (out, argmax) with argmax = row * W + column of each window's first maximum."""
    x, squeeze = _as_4d(x, op)
    attrs = dict(kernel_size=tuple(kernel_size), strides=tuple(strides), pad=tuple(pad), dilation=tuple(dilation),
                 ceil_mode=bool(ceil_mode))
    out = _unbatch(apply("MaxPool", x, **attrs), squeeze)
    if return_indices:
        return out, _unbatch(apply("MaxPoolArgmax", x, **attrs), squeeze)
    return out


def avg_pool(x, kernel_size, strides, pad, ceil_mode=False, count_include_pad=True, divisor_override=None,
             op="AvgPool"):
    """AvgPool with resolved attributes; see the module docstring for the divisor."""
    x, squeeze = _as_4d(x, op)
    divisor = 0 if divisor_override is None else check_int(divisor_override, "divisor_override", op)
    return _unbatch(apply("AvgPool", x, kernel_size=tuple(kernel_size), strides=tuple(strides), pad=tuple(pad),
                          ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad), divisor=divisor),
                    squeeze)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling: out[n, c, p, q] = max_{i, j} x[n, c, p*sh - top + i*dh, q*sw - left + j*dw] over
    the taps inside x (padding never wins). ``stride`` defaults to ``kernel_size``; ``padding`` (an int,
    (h, w) or (top, bottom, left, right)) must be at most half the kernel. With ``return_indices``, also
    returns the flat index row * W + column of each window's first maximum (int64)."""
    op = "max_pool2d"
    kernel = int_pair(kernel_size, "kernel_size", op)
    strides = kernel if stride is None else int_pair(stride, "stride", op)
    pad = int_pad4(padding, "padding", op)
    _check_half_kernel(pad, kernel, op)
    return max_pool(x, kernel, strides, pad, int_pair(dilation, "dilation", op), ceil_mode, return_indices, op)


def avg_pool2d(input_x, kernel_size=1, stride=1, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling: out = (sum of the window's taps inside x) / divisor, divisor =
    ``divisor_override``, else the window clipped to the padded input (``count_include_pad``), else the
    number of taps inside x."""
    op = "avg_pool2d"
    kernel = int_pair(kernel_size, "kernel_size", op)
    pad = int_pad4(padding, "padding", op)
    _check_half_kernel(pad, kernel, op)
    return avg_pool(input_x, kernel, int_pair(stride, "stride", op), pad, ceil_mode, count_include_pad,
                    divisor_override, op)


class _Pool(Primitive):
    def __init__(self, kernel_size=1, strides=1, pad_mode="valid", data_format="NCHW"):
        super().__init__()
        self.kernel_size = int_pair(kernel_size, "kernel_size", self.name, allow_four=True)
        self.strides = int_pair(strides, "strides", self.name, allow_four=True)
        self.pad_mode = check_pad_mode(pad_mode, self.name, ("valid", "same")).upper()
        self.data_format = check_format(data_format, self.name)

    def _pads(self, x):
        x = as_tensor(x)
        hw = x.shape[-2:] if x.ndim >= 2 else (1, 1)
        return resolve_pads(self.pad_mode.lower(), 0, hw, self.kernel_size, self.strides, (1, 1), self.name)


class MaxPool(_Pool):
    """``MaxPool(kernel_size=1, strides=1, pad_mode='valid', data_format='NCHW')(x)``: see ``max_pool2d``;
    'same' pads so the output is ceil(H / stride), the odd pixel at the bottom/right."""

    def __call__(self, x):
        return max_pool(x, self.kernel_size, self.strides, self._pads(x), op=self.name)


class AvgPool(_Pool):
    """``AvgPool(kernel_size=1, strides=1, pad_mode='valid', data_format='NCHW')(x)``: window means; with
    'same' each window is divided by its number of non-padding elements."""

    def __call__(self, x):
        return avg_pool(x, self.kernel_size, self.strides, self._pads(x), count_include_pad=False, op=self.name)


__all__ = ["max_pool2d", "avg_pool2d"]
__primitives__ = [MaxPool, AvgPool]
