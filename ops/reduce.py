"""Reductions: ReduceSum, ReduceMax, ReduceMin (ReduceMean is sum times 1/n) over any axes.

The ops reduce one contiguous run of axes, seen by the kernels as (outer, reduced, inner)
(``geometry.axes_split``); other axis sets are reduced one run at a time by the functional forms."""

import numpy as np

from ..graph.tensor import Tensor
from .geometry import axes_split
from .registry import OpDef, apply, as_tensor, fail, fail_type, register
from .shape_base import reshape


def _reduce_infer(specs, axis, keep_dims):
    x = specs[0]
    shape = [1 if i in axis else s for i, s in enumerate(x.shape)] if keep_dims else \
        [s for i, s in enumerate(x.shape) if i not in axis]
    return tuple(shape), x.dtype


def _keep_shape(x_shape, axis):
    return tuple(1 if i in axis else s for i, s in enumerate(x_shape))


def _sum_grad(ctx, ins, out, d, axis, keep_dims):
    # (BroadcastTo applied directly: ops/broadcast.py builds on this module's unbroadcast)
    kept = reshape(d, _keep_shape(ins[0].shape, axis))
    return [kept if kept.shape == ins[0].shape else apply("BroadcastTo", kept, shape=tuple(ins[0].shape))]


def _extreme_grad(ctx, ins, out, d, axis, keep_dims):
    # The gradient is shared equally among the elements equal to the extreme value.
    x = ins[0]
    keep = _keep_shape(x.shape, axis)
    mask = apply("Cast", apply("Equal", x, reshape(out, keep)), dtype=x.dtype.np)
    count = reduce_sum(mask, axis, True)
    return [mask * reshape(d, keep) / count]


def _check_contiguous(specs, axis, keep_dims):
    if axis and max(axis) - min(axis) + 1 != len(axis):
        raise ValueError(f"kernel axes must be contiguous, got {axis}")
    return _reduce_infer(specs, axis, keep_dims)


def _ref(fn):
    """The numpy reduction; 16-bit floats accumulate in float32 and the result is rounded back (MindSpore's
    float16 reductions; numpy would accumulate in float16 along some axes)."""

    def reference(x, axis, keep_dims):
        wide = x.astype(np.float32) if x.dtype.itemsize == 2 and x.dtype.kind in "fV" else x
        return np.asarray(fn(wide, axis=axis, keepdims=keep_dims)).astype(x.dtype)

    return reference


def reduce_args(node):
    """Kernel args of ReduceSum/Max/Min: (outer, reduced, inner) around the contiguous run of ``axis``."""
    return axes_split(node.inputs[0].shape, node.attrs["axis"])


register(OpDef("ReduceSum", infer=_check_contiguous, reference=_ref(np.sum), grad=_sum_grad))
register(OpDef("ReduceMax", infer=_check_contiguous, reference=_ref(np.max), grad=_extreme_grad))
register(OpDef("ReduceMin", infer=_check_contiguous, reference=_ref(np.min), grad=_extreme_grad))


def normalize_axes(axis, ndim, name):
    if axis is None or axis == () or axis == []:
        return tuple(range(ndim))
    if isinstance(axis, Tensor):
        axis = axis.asnumpy().tolist()
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            fail_type(name, f"the 'axis' must be an int or a tuple of ints, but got {axis!r}")
        if not -ndim <= a < max(ndim, 1):
            fail(name, f"the 'axis' must be in range [{-ndim}, {ndim}), but got {a} (for a {ndim}-D input)")
        out.append(int(a) % max(ndim, 1))
    return tuple(sorted(set(out)))


def _runs(axes):
    """Split sorted axes into maximal contiguous runs, last run first."""
    runs, cur = [], [axes[0]]
    for a in axes[1:]:
        if a == cur[-1] + 1:
            cur.append(a)
        else:
            runs.append(tuple(cur))
            cur = [a]
    runs.append(tuple(cur))
    return runs[::-1]


def _reduce(name, x, axis, keep_dims):
    x = as_tensor(x)
    if x.ndim == 0:
        return x
    axes = normalize_axes(axis, x.ndim, name)
    runs = _runs(axes)
    if len(runs) == 1:
        return apply(name, x, axis=runs[0], keep_dims=bool(keep_dims))
    for run in runs:  # keep dims between runs so the other axis numbers stay valid
        x = apply(name, x, axis=run, keep_dims=True)
    if not keep_dims:
        x = reshape(x, [s for i, s in enumerate(x.shape) if i not in axes])
    return x


def reduce_sum(x, axis=None, keep_dims=False):
    """Sum over ``axis`` (all axes when None)."""
    return _reduce("ReduceSum", x, axis, keep_dims)


def unbroadcast(g, shape):
    """Sum ``g`` down to ``shape`` (the inverse of broadcasting), for gradient rules."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    lead = len(g.shape) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1)
    if axes:
        g = reduce_sum(g, axes, False)
    return reshape(g, shape)


def reduce_max(x, axis=None, keep_dims=False):
    """Maximum over ``axis``; the gradient is split among tied maxima."""
    return _reduce("ReduceMax", x, axis, keep_dims)


def reduce_min(x, axis=None, keep_dims=False):
    """Minimum over ``axis``; the gradient is split among tied minima."""
    return _reduce("ReduceMin", x, axis, keep_dims)


def reduce_mean(x, axis=None, keep_dims=False):
    """Mean over ``axis``: sum / n."""
    x = as_tensor(x)
    if x.ndim == 0:
        return x
    axes = normalize_axes(axis, x.ndim, "ReduceMean")
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    return reduce_sum(x, axes, keep_dims) * (1.0 / n)


__all__ = ["reduce_sum", "reduce_max", "reduce_min", "reduce_mean", "normalize_axes"]
