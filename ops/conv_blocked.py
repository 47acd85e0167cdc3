"""Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter on Ascend's blocked layouts (``data_format="NC1HWC0"``).

Ascend's graph pass ``hwopt_d_insert_trans_op`` (``backends/ascend/layout.py``) gives each convolution its
device formats: feature maps (x, dout, dx) in NC1HWC0 and the weight (w, dw) in FRACTAL_Z (``layout.py``).
The ops stay the same ops with two more attrs, the logical shapes ``x_shape`` (N, Cin, H, W) and ``w_shape``
(Cout, Cin, kh, kw) that the padded device shapes cannot give back:

    Conv2D               (x: NC1HWC0, w: FRACTAL_Z)    -> out: NC1HWC0
    Conv2DBackpropInput  (dout: NC1HWC0, w: FRACTAL_Z) -> dx: NC1HWC0
    Conv2DBackpropFilter (dout: NC1HWC0, x: NC1HWC0)   -> dw: FRACTAL_Z

Each computes what the NCHW op computes on the logical tensors: the reference unpacks its inputs (padding
lanes are ignored), runs the NCHW reference and packs the result (padding lanes are zero). So a blocked op is
P o op o (U, U) with P packing and U = P^T unpacking, and the NCHW gradient rules hold unchanged, with every op
blocked. Only group = 1 is blocked (grouped convolutions keep NCHW; the grouped FRACTAL_Z shape is in
``layout.py``).

``ops/conv.py`` registers each op's functions through ``blocked(nchw_fn, OP)``: the NCHW function for NCHW
attrs, the blocked one for ``data_format="NC1HWC0"``.
"""

import functools

from ..graph.opdef import Spec
from .geometry import conv_out_size
from .layout import device_shape, from_format, to_format
from .registry import apply

BLOCKED = "NC1HWC0"

# op -> (the roles of its inputs, the role of its output)
_ROLES = {
    "Conv2D": (("x", "w"), "out"),
    "Conv2DBackpropInput": (("out", "w"), "x"),
    "Conv2DBackpropFilter": (("out", "x"), "w"),
}
_FORMAT = {"x": "NC1HWC0", "out": "NC1HWC0", "w": "FRACTAL_Z"}
# op -> (device formats of its inputs, device format of its output): what Ascend's layout pass converts to
FORMATS = {op: (tuple(_FORMAT[r] for r in ins), _FORMAT[out]) for op, (ins, out) in _ROLES.items()}
# the logical-shape attr each NCHW op takes itself
_NCHW_SHAPE_ATTR = {"Conv2D": (), "Conv2DBackpropInput": ("x_shape",), "Conv2DBackpropFilter": ("w_shape",)}


def _logical(x_shape, w_shape, stride, dilation, pad):
    """{role: logical NCHW shape} of x, w and the convolution's output."""
    n, _, h, w = x_shape
    cout, _, kh, kw = w_shape
    oh = conv_out_size(h, kh, stride[0], dilation[0], pad[0], pad[1])
    ow = conv_out_size(w, kw, stride[1], dilation[1], pad[2], pad[3])
    return {"x": tuple(x_shape), "w": tuple(w_shape), "out": (n, cout, oh, ow)}


def _split(op, attrs):
    """(logical shapes by role, the attrs the NCHW function takes)."""
    attrs = dict(attrs)
    x_shape, w_shape = attrs.pop("x_shape"), attrs.pop("w_shape")
    if attrs["group"] != 1:
        raise ValueError(f"data_format '{BLOCKED}' supports group 1 only (a grouped convolution keeps NCHW), but "
                         f"got group {attrs['group']}")
    shapes = _logical(x_shape, w_shape, attrs["stride"], attrs["dilation"], attrs["pad"])
    attrs.update({k: tuple(x_shape if k == "x_shape" else w_shape) for k in _NCHW_SHAPE_ATTR[op]})
    return shapes, attrs


def _infer(op, nchw, specs, **attrs):
    shapes, nchw_attrs = _split(op, attrs)
    ins, out = _ROLES[op]
    for k, (spec, role) in enumerate(zip(specs, ins)):
        want = device_shape(_FORMAT[role], shapes[role])
        if spec.shape != want:
            raise ValueError(f"input {k} must be the {_FORMAT[role]} shape {list(want)} of the logical shape "
                             f"{list(shapes[role])}, but got {list(spec.shape)}")
    shape, dtype = nchw([Spec(shapes[r], s.dtype) for r, s in zip(ins, specs)], **nchw_attrs)
    return device_shape(_FORMAT[out], shape), dtype


def _reference(op, nchw, *arrays, **attrs):
    shapes, nchw_attrs = _split(op, attrs)
    ins, out = _ROLES[op]
    logical = [from_format(_FORMAT[r], a, shapes[r]) for r, a in zip(ins, arrays)]
    return to_format(_FORMAT[out], nchw(*logical, **nchw_attrs))


def _grad(op, nchw, ctx, ins, out, g, **attrs):
    # The NCHW rules (ops/conv.py) with every op blocked: each op is linear in each input, and the three
    # are one bilinear form's partial adjoints, <conv(x, w), d> = <x, dx(d, w)> = <w, dw(d, x)>.
    a, b = ins
    if op == "Conv2D":  # (x, w)
        return [apply("Conv2DBackpropInput", g, b, **attrs) if ctx.needs[0] else None,
                apply("Conv2DBackpropFilter", g, a, **attrs) if ctx.needs[1] else None]
    if op == "Conv2DBackpropInput":  # (dout, w)
        return [apply("Conv2D", g, b, **attrs) if ctx.needs[0] else None,
                apply("Conv2DBackpropFilter", a, g, **attrs) if ctx.needs[1] else None]
    return [apply("Conv2D", b, g, **attrs) if ctx.needs[0] else None,  # Conv2DBackpropFilter (dout, x)
            apply("Conv2DBackpropInput", a, g, **attrs) if ctx.needs[1] else None]


_BLOCKED_FN = {"infer": _infer, "reference": _reference, "grad": _grad}


def blocked(nchw, op, what):
    """``what`` ("infer", "reference" or "grad") of ``op`` for both layouts: ``nchw`` unless the node's
    attrs say ``data_format="NC1HWC0"`` (NCHW nodes carry no data_format attr; "NCHW" is accepted too)."""

    @functools.wraps(nchw)
    def fn(*args, data_format=None, **attrs):
        if data_format in (None, "NCHW"):
            return nchw(*args, **attrs)
        if data_format != BLOCKED:
            raise ValueError(f"data_format must be '{BLOCKED}' (or absent: NCHW), but got {data_format!r}")
        if what == "grad":  # (the gradient ops are blocked too)
            attrs["data_format"] = data_format
        return _BLOCKED_FN[what](op, nchw, *args, **attrs)

    return fn
