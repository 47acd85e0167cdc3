"""2-D convolution in NCHW: Conv2D, its gradient ops Conv2DBackpropInput (dx) and
Conv2DBackpropFilter (dw), and BiasAdd / BiasAddGrad.

Shapes: x (N, C, H, W), weight (O, C/group, kh, kw), out (N, O, OH, OW), with pads already resolved
to (top, bottom, left, right) and OH = (H + top + bottom - dh*(kh-1) - 1) // sh + 1 (OW alike):

    out[n, o, p, q] = sum_{c, i, j} x[n, g*C/group + c, p*sh - top + i*dh, q*sw - left + j*dw] * w[o, c, i, j]

with g = o // (O/group) and x read as zero outside the image.

Geometry shared with pooling, the nn layers and every target's kernels (argument resolution, output
sizes, kernel arguments) is in ``geometry.py``; the kernels are in ``backends/<target>/kernels/conv.py``.
"""

import numpy as np

from .broadcast import broadcast_to
from .conv_blocked import blocked
from .geometry import (  # noqa: F401  (same_pads: re-exported for the nn layers)
    channel_axis,
    channel_split,
    check_format,
    check_int,
    check_pad_mode,
    conv_out_size,
    int_pad4,
    int_pair,
    resolve_pads,
    same_pads,
)
from .primitive_base import Primitive
from .registry import OpDef, apply, as_tensor, check_same_type, fail, register, type_name
from .shape_base import reshape

# ---- shapes, references, gradients -------------------------------------------------------------


def _conv_shapes(x_shape, w_shape, stride, dilation, pad, group):
    """Validate a convolution's shapes and attributes; return the output shape."""
    if len(x_shape) != 4 or len(w_shape) != 4:
        raise ValueError(f"x and weight must be 4-D (NCHW and (out_channel, in_channel/group, kh, kw)), "
                         f"but got x shape {list(x_shape)} and weight shape {list(w_shape)}")
    if min(x_shape) <= 0 or min(w_shape) <= 0:
        raise ValueError(f"all dimensions must be positive, but got x shape {list(x_shape)} and weight shape "
                         f"{list(w_shape)}")
    if min(stride) < 1 or min(dilation) < 1 or min(pad) < 0 or group < 1:
        raise ValueError(f"stride and dilation must be positive, pad non-negative and group positive, but got "
                         f"stride {stride}, dilation {dilation}, pad {pad} and group {group}")
    n, c, h, w = x_shape
    o, cg, kh, kw = w_shape
    if c % group or c // group != cg:
        raise ValueError(f"x_shape[1] / group must be equal to w_shape[1], but got x shape {list(x_shape)}, "
                         f"weight shape {list(w_shape)} and group {group} (the input has {c} channels, the "
                         f"weight expects {cg * group})")
    if o % group:
        raise ValueError(f"out_channel ({o}) must be divisible by group ({group}), weight shape {list(w_shape)}")
    oh = conv_out_size(h, kh, stride[0], dilation[0], pad[0], pad[1])
    ow = conv_out_size(w, kw, stride[1], dilation[1], pad[2], pad[3])
    if oh < 1 or ow < 1:
        raise ValueError(f"the dilated kernel ({dilation[0] * (kh - 1) + 1}, {dilation[1] * (kw - 1) + 1}) is "
                         f"larger than the padded input ({h + pad[0] + pad[1]}, {w + pad[2] + pad[3]}): x shape "
                         f"{list(x_shape)}, weight shape {list(w_shape)}, pad {list(pad)}")
    return (n, o, oh, ow)


def _float_pair(a, b, what):
    """MindSpore's TypeErrors of a cube-like op: both inputs of one floating-point dtype (never promoted)."""
    a_name, b_name = what
    check_same_type(a, b, a_name, b_name)
    if a.dtype.kind != "f":
        raise TypeError(f"the '{a_name}' and '{b_name}' must be floating-point Tensors, but got {type_name(a.dtype)}")
    return a.dtype


def _conv_infer(specs, stride, dilation, pad, group):
    x, w = specs
    return _conv_shapes(x.shape, w.shape, stride, dilation, pad, group), _float_pair(x, w, ("x", "weight"))


def _dx_infer(specs, x_shape, stride, dilation, pad, group):
    d, w = specs
    want = _conv_shapes(x_shape, w.shape, stride, dilation, pad, group)
    if d.shape != want:
        raise ValueError(f"dout shape {list(d.shape)} does not match the convolution output {list(want)} of "
                         f"x shape {list(x_shape)} and weight shape {list(w.shape)}")
    return tuple(x_shape), _float_pair(d, w, ("dout", "weight"))


def _dw_infer(specs, w_shape, stride, dilation, pad, group):
    d, x = specs
    want = _conv_shapes(x.shape, w_shape, stride, dilation, pad, group)
    if d.shape != want:
        raise ValueError(f"dout shape {list(d.shape)} does not match the convolution output {list(want)} of "
                         f"x shape {list(x.shape)} and weight shape {list(w_shape)}")
    return tuple(w_shape), _float_pair(d, x, ("dout", "x"))


def _taps(shape_hw, w_shape, out_hw, stride, dilation, pad):
    """Yield (i, j, rows, cols): the slices of the padded input that kernel tap (i, j) reads."""
    kh, kw = w_shape[2], w_shape[3]
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dilation[0], i * dilation[0] + stride[0] * (out_hw[0] - 1) + 1, stride[0])
            cols = slice(j * dilation[1], j * dilation[1] + stride[1] * (out_hw[1] - 1) + 1, stride[1])
            yield i, j, rows, cols


def _pad4(x, pad):
    return np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad[0], pad[1]), (pad[2], pad[3])))


def _conv_ref(x, w, stride, dilation, pad, group):
    n, o, oh, ow = _conv_shapes(x.shape, w.shape, stride, dilation, pad, group)
    xp, cg, og = _pad4(x, pad), w.shape[1], o // group
    out = np.zeros((n, o, oh, ow))
    for g in range(group):
        xs, ws = xp[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og].astype(np.float64)
        for i, j, rows, cols in _taps(x.shape[2:], w.shape, (oh, ow), stride, dilation, pad):
            out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", xs[:, :, rows, cols], ws[:, :, i, j])
    return out.astype(x.dtype)


def _dx_ref(d, w, x_shape, stride, dilation, pad, group):
    n, c, h, wd = x_shape
    cg, og = w.shape[1], d.shape[1] // group
    dxp = np.zeros((n, c, h + pad[0] + pad[1], wd + pad[2] + pad[3]))
    for g in range(group):
        ds, ws = d[:, g * og:(g + 1) * og].astype(np.float64), w[g * og:(g + 1) * og].astype(np.float64)
        for i, j, rows, cols in _taps(x_shape[2:], w.shape, d.shape[2:], stride, dilation, pad):
            dxp[:, g * cg:(g + 1) * cg, rows, cols] += np.einsum("nohw,oc->nchw", ds, ws[:, :, i, j])
    return dxp[:, :, pad[0]:pad[0] + h, pad[2]:pad[2] + wd].astype(d.dtype)


def _dw_ref(d, x, w_shape, stride, dilation, pad, group):
    xp, cg, og = _pad4(x, pad), w_shape[1], d.shape[1] // group
    dw = np.zeros(w_shape)
    for g in range(group):
        ds, xs = d[:, g * og:(g + 1) * og].astype(np.float64), xp[:, g * cg:(g + 1) * cg]
        for i, j, rows, cols in _taps(x.shape[2:], w_shape, d.shape[2:], stride, dilation, pad):
            dw[g * og:(g + 1) * og, :, i, j] = np.einsum("nohw,nchw->oc", ds, xs[:, :, rows, cols])
    return dw.astype(d.dtype)


def _conv_grad(ctx, ins, out, d, **attrs):
    x, w = ins
    return [apply("Conv2DBackpropInput", d, w, x_shape=tuple(x.shape), **attrs) if ctx.needs[0] else None,
            apply("Conv2DBackpropFilter", d, x, w_shape=tuple(w.shape), **attrs) if ctx.needs[1] else None]


def _dx_grad(ctx, ins, out, g, x_shape, **attrs):
    # dx = A_w^T dout is linear in dout and in w: <g, A_w^T dout> = <conv(g, w), dout>.
    d, w = ins
    return [apply("Conv2D", g, w, **attrs) if ctx.needs[0] else None,
            apply("Conv2DBackpropFilter", d, g, w_shape=tuple(w.shape), **attrs) if ctx.needs[1] else None]


def _dw_grad(ctx, ins, out, g, w_shape, **attrs):
    # dw = d<dout, conv(x, w)>/dw is bilinear in (dout, x): <g, dw> = <dout, conv(x, g)>.
    d, x = ins
    return [apply("Conv2D", x, g, **attrs) if ctx.needs[0] else None,
            apply("Conv2DBackpropInput", d, g, x_shape=tuple(x.shape), **attrs) if ctx.needs[1] else None]


# Each also runs on Ascend's blocked layouts (attr data_format="NC1HWC0", set by Ascend's layout pass):
# ``blocked`` dispatches on that attr (conv_blocked.py); NCHW nodes carry no data_format.
for _op, _fns in {"Conv2D": (_conv_infer, _conv_ref, _conv_grad),
                  "Conv2DBackpropInput": (_dx_infer, _dx_ref, _dx_grad),
                  "Conv2DBackpropFilter": (_dw_infer, _dw_ref, _dw_grad)}.items():
    register(OpDef(_op, **{what: blocked(fn, _op, what) for what, fn in zip(("infer", "reference", "grad"), _fns)}))


# ---- BiasAdd -------------------------------------------------------------------------------------

def _bias_infer(specs, data_format):
    x, b = specs
    if x.ndim < 2 or b.ndim != 1:
        raise ValueError(f"input_x must be at least 2-D and bias 1-D, but got input_x shape {list(x.shape)} and "
                         f"bias shape {list(b.shape)}")
    axis = channel_axis(x.ndim, data_format)
    if b.shape[0] != x.shape[axis]:
        raise ValueError(f"bias shape {list(b.shape)} must match the channel axis {axis} of input_x shape "
                         f"{list(x.shape)} ({data_format})")
    return x.shape, _float_pair(x, b, ("input_x", "bias"))


def _bias_ref(x, b, data_format):
    outer, c, inner = channel_split(x.shape, data_format)
    return (x.reshape(outer, c, inner) + b.reshape(1, c, 1)).reshape(x.shape)


def _bias_grad(ctx, ins, out, d, data_format):
    db = apply("BiasAddGrad", d, data_format=data_format) if ctx.needs[1] else None
    return [d, db]


def _bias_grad_infer(specs, data_format):
    d = specs[0]
    if d.ndim < 2:
        raise ValueError(f"dout must have at least 2 dimensions, but got shape {list(d.shape)}")
    if d.dtype.kind != "f":
        raise TypeError(f"dout must be a floating-point Tensor, but got {type_name(d.dtype)}")
    return (d.shape[channel_axis(d.ndim, data_format)],), d.dtype


def _bias_grad_ref(d, data_format):
    outer, c, inner = channel_split(d.shape, data_format)
    return d.astype(np.float64).reshape(outer, c, inner).sum(axis=(0, 2)).astype(d.dtype)


def _bias_grad_grad(ctx, ins, out, g, data_format):
    d = ins[0]
    axis = channel_axis(d.ndim, data_format)
    keep = tuple(d.shape[k] if k == axis else 1 for k in range(d.ndim))
    return [broadcast_to(reshape(g, keep), d.shape)]


register(OpDef("BiasAdd", infer=_bias_infer, reference=_bias_ref, grad=_bias_grad))
register(OpDef("BiasAddGrad", infer=_bias_grad_infer, reference=_bias_grad_ref, grad=_bias_grad_grad))


# ---- functional forms and primitives -------------------------------------------------------------

def _conv2d(op, x, weight, stride, pad_mode, padding, dilation, groups):
    x, weight = as_tensor(x), as_tensor(weight)
    pad_mode = check_pad_mode(pad_mode, op)
    stride = int_pair(stride, "stride", op, allow_four=True)
    dilation = int_pair(dilation, "dilation", op, allow_four=True)
    groups = check_int(groups, "groups" if op == "conv2d" else "group", op)
    if x.ndim != 4 or weight.ndim != 4:
        fail(op, f"the input and the weight must be 4-D (N, C, H, W) and (C_out, C_in/groups, kh, kw), but got "
                 f"input shape {list(x.shape)} and weight shape {list(weight.shape)}")
    pad = resolve_pads(pad_mode, padding, x.shape[2:], weight.shape[2:], stride, dilation, op)
    return apply("Conv2D", x, weight, stride=stride, dilation=dilation, pad=pad, group=groups)


def conv2d(input, weight, bias=None, stride=1, pad_mode="valid", padding=0, dilation=1, groups=1):
    """2-D cross-correlation of ``input`` (N, C_in, H, W) with ``weight`` (C_out, C_in/groups, kh, kw):

    out[n, o] = bias[o] + sum_c ccor(weight[o, c], input[n, c]) over the channels of o's group.
    pad_mode 'valid': no padding; 'same': output ceil(H/stride), padding split with the odd pixel at the
    bottom/right; 'pad': ``padding`` (an int, (top/bottom, left/right) or (top, bottom, left, right)).
    OH = (H + top + bottom - dilation*(kh-1) - 1) // stride + 1.
    """
    out = _conv2d("conv2d", input, weight, stride, pad_mode, padding, dilation, groups)
    return out if bias is None else bias_add(out, bias)


def bias_add(input_x, bias):
    """out = input_x + bias broadcast along axis 1 (the channel axis of NCHW / (N, C, ...))."""
    return apply("BiasAdd", as_tensor(input_x), as_tensor(bias), data_format="NCHW")


class Conv2D(Primitive):
    """``Conv2D(out_channel, kernel_size, mode=1, pad_mode='valid', pad=0, stride=1, dilation=1, group=1,
    data_format='NCHW')(x, weight)``: 2-D cross-correlation, see ``conv2d``."""

    def __init__(self, out_channel, kernel_size, mode=1, pad_mode="valid", pad=0, stride=1, dilation=1, group=1,
                 data_format="NCHW"):
        super().__init__()
        self.out_channel = check_int(out_channel, "out_channel", self.name)
        self.kernel_size = int_pair(kernel_size, "kernel_size", self.name)
        if mode != 1:
            raise ValueError(f"For '{self.name}', the 'mode' must be 1, but got {mode!r}")
        self.mode = 1
        self.pad_mode = check_pad_mode(pad_mode, self.name)
        self.pad = int_pad4(pad, "pad", self.name)
        if self.pad_mode != "pad" and self.pad != (0, 0, 0, 0):
            raise ValueError(f"For '{self.name}', the 'pad' must be zero when 'pad_mode' is not 'pad', but got "
                             f"pad {pad!r} and pad_mode '{self.pad_mode}'")
        self.stride = int_pair(stride, "stride", self.name, allow_four=True)
        self.dilation = int_pair(dilation, "dilation", self.name, allow_four=True)
        self.group = check_int(group, "group", self.name)
        self.data_format = check_format(data_format, self.name)

    def __call__(self, x, weight):
        weight = as_tensor(weight)
        if weight.ndim == 4 and (weight.shape[0] != self.out_channel
                                 or tuple(weight.shape[2:]) != self.kernel_size):
            fail(self.name, f"the weight shape {list(weight.shape)} does not match out_channel {self.out_channel} "
                            f"and kernel_size {self.kernel_size}")
        return _conv2d(self.name, x, weight, self.stride, self.pad_mode, self.pad, self.dilation, self.group)


class BiasAdd(Primitive):
    """``BiasAdd(data_format='NCHW')(input_x, bias)``: add ``bias`` along the channel axis."""

    def __init__(self, data_format="NCHW"):
        super().__init__()
        if data_format not in ("NCHW", "NHWC", "NCDHW"):
            raise ValueError(f"For '{self.name}', the 'data_format' must be 'NCHW', 'NHWC' or 'NCDHW', but got "
                             f"{data_format!r}")
        self.data_format = data_format

    def __call__(self, input_x, bias):
        fmt = "NHWC" if self.data_format == "NHWC" else "NCHW"
        return apply("BiasAdd", as_tensor(input_x), as_tensor(bias), data_format=fmt)


__all__ = ["conv2d", "bias_add"]
__primitives__ = [Conv2D, BiasAdd]
