"""Kernel geometry that every device target shares, so each computes it the same way:

* argument resolution for convolution, pooling and the nn layers: int / pair / 4-pad checks with
  MindSpore's messages, ``pad_mode`` ('valid' / 'same' / 'pad') and ``data_format``;
* conv / pool windows: output sizes, the taps of a window inside the input (``conv2d_span``, a plain
  function that kernels may call: the CPU backend pastes its source into its kernel library), and
  the window arguments of the conv and pool kernels;
* strides: C-contiguous strides, broadcast strides, the offset and strides of a slice;
* the (outer, n, inner) views that kernels take of an input around an axis or a run of axes.

Kernel arguments are computed here from a graph node (``node.inputs[i].shape``, ``node.shape``,
``node.attrs``); the kernels themselves live in ``backends/<target>/kernels/``.
"""

import numpy as np

from ..graph import trace
from ..graph.opdef import OpError


def _error(message):
    # Argument checks run when a layer is built and when a functional form is traced: either way the
    # message ends with the user's line (an OpError is a ValueError).
    return OpError(message + trace.format_location(trace.user_source()))


def check_int(value, name, op, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise _error(f"For '{op}', the '{name}' must be a {kind} int, but got {value!r}")
    return int(value)


def int_pair(value, name, op, allow_four=False, minimum=1):
    """An int or a tuple of 2 ints (or 4, MindSpore's (1, 1, h, w) form) -> (h, w)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    if isinstance(value, list):
        value = tuple(value)
    ok_len = (2, 4) if allow_four else (2,)
    if not isinstance(value, tuple) or len(value) not in ok_len:
        forms = "an int or a tuple of 2" + (" or 4" if allow_four else "") + " ints"
        raise _error(f"For '{op}', the '{name}' must be {forms}, but got {value!r}")
    if len(value) == 4:
        value = value[2:]
    return tuple(check_int(v, name, op, minimum) for v in value)


def int_pad4(value, name, op):
    """An int, (top/bottom, left/right) or (top, bottom, left, right) of non-negative ints -> 4-tuple."""
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,) * 4
    elif isinstance(value, tuple) and len(value) == 2:
        value = (value[0], value[0], value[1], value[1])
    if not isinstance(value, tuple) or len(value) != 4:
        raise _error(f"For '{op}', the '{name}' must be an int or a tuple of 2 or 4 non-negative ints, "
                     f"but got {value!r}")
    return tuple(check_int(v, name, op, 0) for v in value)


def check_pad_mode(pad_mode, op, allowed=("valid", "same", "pad")):
    if not isinstance(pad_mode, str) or pad_mode.lower() not in allowed:
        raise _error(f"For '{op}', the 'pad_mode' must be str and must be in {list(allowed)}, "
                     f"but got {pad_mode!r}")
    return pad_mode.lower()


def same_pads(size, k, s, d):
    """MindSpore's 'same' padding of one axis: output ceil(size/s), the odd pixel goes after."""
    out = -(-size // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def resolve_pads(pad_mode, padding, hw, kernel, stride, dilation, op):
    """(top, bottom, left, right) for pad_mode 'valid' / 'same' / 'pad'."""
    if pad_mode != "pad":
        if int_pad4(padding, "padding", op) != (0, 0, 0, 0):
            raise _error(f"For '{op}', the 'padding' must be zero when 'pad_mode' is not 'pad', but got "
                         f"padding {padding!r} and pad_mode '{pad_mode}'")
        if pad_mode == "valid":
            return (0, 0, 0, 0)
        return same_pads(hw[0], kernel[0], stride[0], dilation[0]) + same_pads(hw[1], kernel[1], stride[1],
                                                                                dilation[1])
    return int_pad4(padding, "padding", op)


def check_format(data_format, op):
    if data_format not in ("NCHW", "NHWC"):
        raise _error(f"For '{op}', the 'data_format' must be 'NCHW' or 'NHWC', but got {data_format!r}")
    if data_format == "NHWC":
        raise _error(f"For '{op}', the 'NHWC' format is only supported in GPU target, but got the "
                     f"'data_format' is NHWC and the platform is CPU")
    return data_format


# ---- conv / pool windows -----------------------------------------------------------------------

def conv_out_size(size, k, s, d, before, after):
    """Output length of one spatial axis: (size + before + after - d*(k-1) - 1) // s + 1."""
    return (size + before + after - d * (k - 1) - 1) // s + 1


def pool_out_size(size, k, s, d, before, after, ceil_mode):
    span = size + before + after - d * (k - 1) - 1
    if span < 0:
        return 0
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + before:  # the last window may not start in the bottom padding
        out -= 1
    return out


def conv2d_span(off, s, size, n_out):
    """Output positions q in [lo, hi) whose input position q*s + off lies in [0, size)."""
    lo = 0
    if off < 0:
        lo = min((s - 1 - off) // s, n_out)
    hi = min((size - off + s - 1) // s, n_out)
    return lo, max(hi, lo)


def conv_args(node):
    """Window of a Conv2D / Conv2DBackpropInput / Conv2DBackpropFilter node:
    (sh, sw, dh, dw, pad top, pad left, group)."""
    a = node.attrs
    return (*a["stride"], *a["dilation"], a["pad"][0], a["pad"][2], a["group"])


def max_pool_args(node):
    """Window of a MaxPool-family node: (kh, kw, sh, sw, dh, dw, pad top, pad left)."""
    a = node.attrs
    return (*a["kernel_size"], *a["strides"], *a["dilation"], a["pad"][0], a["pad"][2])


def avg_pool_args(node):
    """Window and divisor of an AvgPool / AvgPoolGrad node:
    (kh, kw, sh, sw, pad top, bottom, left, right, count_include_pad, divisor)."""
    a = node.attrs
    return (*a["kernel_size"], *a["strides"], *a["pad"], bool(a["count_include_pad"]), int(a["divisor"]))


# ---- strides ---------------------------------------------------------------------------------

def contiguous_strides(shape):
    """Element strides of a C-contiguous array of ``shape`` (int64 array)."""
    st = np.ones(len(shape), np.int64)
    for d in range(len(shape) - 2, -1, -1):
        st[d] = st[d + 1] * shape[d + 1]
    return st


def broadcast_strides(in_shape, out_shape):
    """Element strides into a C-contiguous ``in_shape`` array for each axis of ``out_shape`` it is
    broadcast to (numpy rules): 0 on broadcast and leading axes."""
    lead = len(out_shape) - len(in_shape)
    st = np.zeros(len(out_shape), np.int64)
    own = contiguous_strides(in_shape)
    for d, s in enumerate(in_shape):
        st[d + lead] = 0 if (s == 1 and out_shape[d + lead] != 1) else own[d]
    return st


def transpose_strides(in_shape, perm):
    """Element strides into a C-contiguous ``in_shape`` array for each axis of its transpose by ``perm``."""
    st = contiguous_strides(in_shape)
    return np.array([st[p] for p in perm], np.int64)


def slice_strides(shape, begin, steps):
    """(flat offset, element strides) of the slice starting at ``begin`` with ``steps`` per axis of a
    C-contiguous array of ``shape``."""
    st = contiguous_strides(shape)
    begin = np.array(begin, np.int64)
    steps = np.array(steps, np.int64)
    return int((begin * st).sum()), st * steps


# ---- (outer, n, inner) views ---------------------------------------------------------------------

def prod(shape):
    return int(np.prod(shape, dtype=np.int64))


def axis_split(shape, axis):
    """(outer, n, inner): ``shape`` seen as 3-D around ``axis`` (n = shape[axis])."""
    return prod(shape[:axis]), int(shape[axis]), prod(shape[axis + 1:])


def axes_split(shape, axes):
    """(outer, reduced, inner): ``shape`` seen as 3-D around the contiguous run of ``axes``."""
    lo, hi = min(axes), max(axes) + 1
    return prod(shape[:lo]), prod(shape[lo:hi]), prod(shape[hi:])


def channel_axis(ndim, data_format):
    return ndim - 1 if data_format == "NHWC" else 1


def channel_split(shape, data_format):
    """(outer, C, inner): the input seen as 3-D with the channel axis in the middle."""
    return axis_split(shape, channel_axis(len(shape), data_format))
