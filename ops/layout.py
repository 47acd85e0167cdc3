"""Ascend's device data formats and the ``TransData`` op that converts between them.

An Ascend AI Core's Cube multiplies 16x16 fractal tiles (``kCubeSize = 16``), so the operands of convolutions
and matrix products are stored blocked by 16 on the device, zero-padded to whole blocks. The formats, as
MindSpore's ``mindspore/ccsrc/common/trans.cc`` (mindspore-ai/mindspore: ``Nc1hwc0DeviceShape``,
``FracZDeviceShape``, ``FracZDeviceShapeWithGroups``, ``FracNZDeviceShape``; data: ``NchwToNc1hwc0``,
``NchwToFracZ``, ``NchwFracZTransWithGroups``, ``NchwToFracNz`` and their inverses) and CANN's ``aclFormat``
pages define them (C0 = 16, CANN's value for float16/float32; int8 would use 32):

  NCHW / ND    the host's layout (MindSpore's DefaultFormat)
  NC1HWC0      feature map (N, C, H, W) -> [N, C1, H, W, C0], C1 = ceil(C/16):
                 y[n, c1, h, w, c0] = x[n, c1*16 + c0, h, w]   (0 for c1*16 + c0 >= C)
               CANN: pad C with zeros, then reshape(N, C1, C0, H, W).transpose(0, 1, 3, 4, 2)
  FRACTAL_Z    conv weight (Cout, Cin, kh, kw) -> [C1*kh*kw, N1, N0, C0], C1 = ceil(Cin/16), N1 = ceil(Cout/16):
                 y[(c1*kh + i)*kw + j, n1, n0, c0] = w[n1*16 + n0, c1*16 + c0, i, j]   (0 outside w)
               With groups > 1 (``NchwFracZTransWithGroups``): e = min(lcm(lcm(Cin, 16)/Cin, lcm(Cout_g, 16)/Cout_g),
               groups) groups share one diagonal block (Cin = channels per group, Cout_g = Cout/groups):
               [ceil(groups/e)*ceil(e*Cin/16)*kh*kw, ceil(e*Cout_g/16), 16 (kNiSize), 16]
  FRACTAL_NZ   matrix (..., H, W) -> [..., W1, H1, H0, W0], W1 = ceil(W/16), H1 = ceil(H/16):
                 y[..., w1, h1, h0, w0] = x[..., h1*16 + h0, w1*16 + w0]   (0 outside x)
               (a 1-D shape of length 1 or a multiple of 16 stays as it is). CANN's ATB TransdataOperation
               page writes the same layout with H1 and H0 merged, [b, n1, m1m0, n0]: ND (8, 100, 30) ->
               (8, 2, 112, 16), which is MindSpore's (8, 2, 7, 16, 16); minispore keeps MindSpore's split axes.

``TransData(x, src_format, dst_format, shape, groups)`` converts between the host layout and one device
format; ``shape`` is the logical (host) shape, which the device shape alone cannot give back (the padding).
Its gradient is the inverse TransData, so padding lanes get zero gradient. It only moves data: any dtype.
"""

import math

import numpy as np

from .registry import OpDef, apply, register

C0 = 16  # kCubeSize: the Cube's block edge for float16/float32
HOST_FORMATS = ("NCHW", "ND")  # MindSpore's DefaultFormat, spelt for feature maps / matrices
DEVICE_FORMATS = ("NC1HWC0", "FRACTAL_Z", "FRACTAL_NZ")
_HOST_OF = {"NC1HWC0": "NCHW", "FRACTAL_Z": "NCHW", "FRACTAL_NZ": "ND"}  # the host format each converts from


def _ceil(a, b):
    return -(-a // b)


def _lcm(a, b):
    return a * b // math.gcd(a, b)


# ---- device shapes -------------------------------------------------------------------------------

def nc1hwc0_shape(shape):
    """(N, C, H, W) -> (N, ceil(C/16), H, W, 16)."""
    n, c, h, w = _four(shape, "NC1HWC0")
    return (n, _ceil(c, C0), h, w, C0)


def fractal_z_params(shape, groups=1):
    """(e_mult, C1, N1, G) of FRACTAL_Z for a weight (Cout, Cin/groups, kh, kw), as ``FracZDeviceShapeWithGroups``:
    ``e_mult`` groups share a diagonal block, C1 = ceil(e_mult*Cin/16) input blocks and N1 = ceil(e_mult*Cout_g/16)
    output blocks per block-group, G = ceil(groups/e_mult) block-groups. groups = 1 gives (1, ceil(Cin/16),
    ceil(Cout/16), 1)."""
    cout, cin, _, _ = _four(shape, "FRACTAL_Z")
    if groups < 1 or cout % groups:
        raise ValueError(f"FRACTAL_Z needs a positive groups dividing the output channels, but got weight shape "
                         f"{list(shape)} and groups {groups}")
    cout_g = cout // groups
    e_mult = min(_lcm(_lcm(cin, C0) // cin, _lcm(cout_g, C0) // cout_g), groups)
    return e_mult, _ceil(e_mult * cin, C0), _ceil(e_mult * cout_g, C0), _ceil(groups, e_mult)


def fractal_z_shape(shape, groups=1):
    """(Cout, Cin/groups, kh, kw) -> (G*C1*kh*kw, N1, 16, 16) (``fractal_z_params``); groups = 1:
    (ceil(Cin/16)*kh*kw, ceil(Cout/16), 16, 16)."""
    _, c1, n1, g = fractal_z_params(shape, groups)
    return (g * c1 * shape[2] * shape[3], n1, C0, C0)


def fractal_nz_shape(shape):
    """(..., H, W) -> (..., ceil(W/16), ceil(H/16), 16, 16); a 1-D shape of length 1 or a multiple of 16 stays."""
    shape = tuple(shape)
    if len(shape) == 1 and (shape[0] == 1 or shape[0] % C0 == 0):
        return shape
    if len(shape) < 2:
        raise ValueError(f"format FRACTAL_NZ does not support a shape with {len(shape)} dims: {list(shape)}")
    h, w = shape[-2:]
    return shape[:-2] + (_ceil(w, C0), _ceil(h, C0), C0, C0)


def device_shape(fmt, shape, groups=1):
    """The shape a logical (host) ``shape`` has in format ``fmt``."""
    if fmt in HOST_FORMATS:
        return tuple(shape)
    if fmt == "NC1HWC0":
        return nc1hwc0_shape(shape)
    if fmt == "FRACTAL_Z":
        return fractal_z_shape(shape, groups)
    if fmt == "FRACTAL_NZ":
        return fractal_nz_shape(shape)
    raise ValueError(f"unknown format {fmt!r}; formats: {list(HOST_FORMATS + DEVICE_FORMATS)}")


def _four(shape, fmt):
    if len(shape) != 4:
        raise ValueError(f"format {fmt} needs a 4-D (NCHW) shape, but got {list(shape)}")
    return tuple(int(s) for s in shape)


# ---- data: host -> device (zero padding) and device -> host (padding dropped) -----------------------

def to_nc1hwc0(x):
    """CANN's rule: pad C to C1*16 with zeros, reshape(N, C1, C0, H, W).transpose(0, 1, 3, 4, 2)."""
    n, c, h, w = x.shape
    c1 = _ceil(c, C0)
    padded = np.zeros((n, c1 * C0, h, w), x.dtype)
    padded[:, :c] = x
    return np.ascontiguousarray(padded.reshape(n, c1, C0, h, w).transpose(0, 1, 3, 4, 2))


def from_nc1hwc0(y, shape):
    n, c, h, w = shape
    return np.ascontiguousarray(y.transpose(0, 1, 4, 2, 3).reshape(n, -1, h, w)[:, :c])


def _fractal_z_index(shape, groups):
    """(device flat index, host flat index) of every weight element, as ``NchwFracZTransWithGroups``:
    group g, input channel c, output channel n of the group land at dst_ci = (g % e)*Cin + c,
    dst_co = (g % e)*Cout_g + n of block-group g // e."""
    cout, cin, kh, kw = shape
    e_mult, c1, n1, _ = fractal_z_params(shape, groups)
    cout_g, cout_opt = cout // groups, n1 * C0
    g, c, i, j, n = np.meshgrid(np.arange(groups), np.arange(cin), np.arange(kh), np.arange(kw), np.arange(cout_g),
                                indexing="ij")
    e = g % e_mult
    dst_ci, dst_co = e * cin + c, e * cout_g + n
    dev = (((((g // e_mult) * c1 + dst_ci // C0) * kh + i) * kw + j) * cout_opt + dst_co) * C0 + dst_ci % C0
    host = (((g * cout_g + n) * cin + c) * kh + i) * kw + j
    return dev.ravel(), host.ravel()


def to_fractal_z(w, groups=1):
    """groups = 1: pad Cout and Cin to whole blocks, reshape (N1, N0, C1, C0, kh, kw), transpose to
    (C1, kh, kw, N1, N0, C0); groups > 1: ``NchwFracZTransWithGroups``'s index map."""
    shape = fractal_z_shape(w.shape, groups)
    if groups == 1:
        cout, cin, kh, kw = w.shape
        n1, c1 = shape[1], _ceil(cin, C0)
        padded = np.zeros((n1 * C0, c1 * C0, kh, kw), w.dtype)
        padded[:cout, :cin] = w
        blocks = padded.reshape(n1, C0, c1, C0, kh, kw).transpose(2, 4, 5, 0, 1, 3)
        return np.ascontiguousarray(blocks).reshape(shape)
    out = np.zeros(int(np.prod(shape)), w.dtype)
    dev, host = _fractal_z_index(w.shape, groups)
    out[dev] = w.reshape(-1)[host]
    return out.reshape(shape)


def from_fractal_z(y, shape, groups=1):
    shape = tuple(shape)
    out = np.empty(int(np.prod(shape)), y.dtype)
    dev, host = _fractal_z_index(shape, groups)
    out[host] = y.reshape(-1)[dev]
    return out.reshape(shape)


def to_fractal_nz(x):
    """Pad H and W to whole blocks; (..., H1, H0, W1, W0) -> (..., W1, H1, H0, W0)."""
    shape = fractal_nz_shape(x.shape)
    if shape == x.shape:
        return x.copy()
    lead, (h, w) = x.shape[:-2], x.shape[-2:]
    w1, h1 = shape[-4], shape[-3]
    padded = np.zeros(lead + (h1 * C0, w1 * C0), x.dtype)
    padded[..., :h, :w] = x
    blocks = padded.reshape(-1, h1 * C0, w1, C0).transpose(0, 2, 1, 3)
    return np.ascontiguousarray(blocks).reshape(shape)


def from_fractal_nz(y, shape):
    shape = tuple(shape)
    if fractal_nz_shape(shape) == shape:
        return y.copy()
    w1, h1 = y.shape[-4], y.shape[-3]
    rows = y.reshape(-1, w1, h1 * C0, C0).transpose(0, 2, 1, 3).reshape(-1, h1 * C0, w1 * C0)
    return np.ascontiguousarray(rows[:, :shape[-2], :shape[-1]]).reshape(shape)


def to_format(fmt, x, groups=1):
    """Host array ``x`` in device format ``fmt``."""
    if fmt in HOST_FORMATS:
        return x
    if fmt == "NC1HWC0":
        return to_nc1hwc0(x)
    if fmt == "FRACTAL_Z":
        return to_fractal_z(x, groups)
    return to_fractal_nz(x)


def from_format(fmt, y, shape, groups=1):
    """Device array ``y`` in format ``fmt`` back as the host array of logical ``shape``."""
    if fmt in HOST_FORMATS:
        return y
    if fmt == "NC1HWC0":
        return from_nc1hwc0(y, shape)
    if fmt == "FRACTAL_Z":
        return from_fractal_z(y, shape, groups)
    return from_fractal_nz(y, shape)


# ---- TransData -------------------------------------------------------------------------------------

def check_pair(src_format, dst_format):
    """TransData converts between a device format and its host format, either way."""
    device = dst_format if src_format in HOST_FORMATS else src_format
    host = src_format if src_format in HOST_FORMATS else dst_format
    if device not in DEVICE_FORMATS or _HOST_OF[device] != host:
        pairs = ", ".join(f"{_HOST_OF[d]}<->{d}" for d in DEVICE_FORMATS)
        raise ValueError(f"cannot convert {src_format} to {dst_format}; conversions: {pairs}")
    return device


def _trans_infer(specs, src_format, dst_format, shape, groups=1):
    (x,) = specs
    check_pair(src_format, dst_format)
    want = device_shape(src_format, shape, groups)
    if x.shape != want:
        raise ValueError(f"the input shape {list(x.shape)} is not the {src_format} shape {list(want)} of the "
                         f"logical shape {list(shape)}")
    return device_shape(dst_format, shape, groups), x.dtype


def _trans_ref(x, src_format, dst_format, shape, groups=1):
    return to_format(dst_format, from_format(src_format, x, shape, groups), groups)


def _trans_grad(ctx, ins, out, dout, src_format, dst_format, shape, groups=1):
    # TransData is a permutation padded with zeros: its adjoint drops the padding again, so the gradient
    # is the inverse conversion (padding lanes of the input get zero gradient).
    return [apply("TransData", dout, src_format=dst_format, dst_format=src_format, shape=shape, groups=groups)]


register(OpDef("TransData", infer=_trans_infer, reference=_trans_ref, grad=_trans_grad))

__all__ = []
__primitives__ = []
