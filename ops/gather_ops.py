"""Index ops: Gather (+ its scatter-add gradient GatherGrad) and OneHot.

Their kernels (backends/<target>/kernels/gather.py) check every index before touching memory, so a
bad index raises a ValueError instead of reading or writing out of bounds.
"""

import numpy as np

from ..graph.tensor import Tensor
from .array_ops import _axis
from .geometry import prod
from .primitives import Primitive
from .registry import OpDef, apply, as_tensor, fail, register, type_name
from .shape_base import reshape

# ---- Gather and its gradient ---------------------------------------------------------------

def _index_check(spec, name):
    if spec.dtype.kind not in "iu":
        raise TypeError(f"the indices must be an int32 or int64 Tensor, but got {type_name(spec.dtype)}")


def _gather_infer(specs, axis):
    p, i = specs
    _index_check(i, "Gather")
    if not 0 <= axis < p.ndim:
        raise ValueError(f"axis {axis} is out of range for input_params of shape {list(p.shape)}")
    return tuple(p.shape[:axis]) + tuple(i.shape) + tuple(p.shape[axis + 1:]), p.dtype


def _wrap_indices(idx, n, name):
    idx = np.asarray(idx).astype(np.int64)
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise ValueError(f"For '{name}', an index is out of range [-{n}, {n}): got values from {idx.min()} "
                         f"to {idx.max()}")
    return np.where(idx < 0, idx + n, idx)


def _gather_ref(p, i, axis):
    return np.take(p, _wrap_indices(i, p.shape[axis], "Gather"), axis=axis)


def _gather_grad(ctx, ins, out, d, axis):
    return [apply("GatherGrad", d, ins[1], shape=tuple(ins[0].shape), axis=axis), None]


register(OpDef("Gather", infer=_gather_infer, reference=_gather_ref, grad=_gather_grad))


def _gather_grad_infer(specs, shape, axis):
    d, i = specs
    _index_check(i, "GatherGrad")
    want = tuple(shape[:axis]) + tuple(i.shape) + tuple(shape[axis + 1:])
    if tuple(d.shape) != want:
        raise ValueError(f"the gradient shape {list(d.shape)} does not match params {list(shape)} gathered "
                         f"with indices {list(i.shape)} on axis {axis}")
    return tuple(shape), d.dtype


def _gather_grad_ref(d, i, shape, axis):
    n = shape[axis]
    idx = _wrap_indices(i, n, "GatherGrad").reshape(-1)
    outer, inner = prod(shape[:axis]), prod(shape[axis + 1:])
    out = np.zeros((n, outer, inner), d.dtype)  # indexed axis first, for np.add.at
    np.add.at(out, idx, d.reshape(outer, idx.size, inner).transpose(1, 0, 2))
    return out.transpose(1, 0, 2).reshape(shape)


register(OpDef("GatherGrad", infer=_gather_grad_infer, reference=_gather_grad_ref,
               grad=lambda ctx, ins, out, d, shape, axis: [apply("Gather", d, ins[1], axis=axis), None]))


def gather(input_params, input_indices, axis, batch_dims=0):
    """out = input_params gathered at ``input_indices`` along ``axis``:
    out.shape = params.shape[:axis] + indices.shape + params.shape[axis+1:].

    Indices must lie in [-n, n) for n = params.shape[axis] (negative ones count from the end, as
    MindSpore's CPU kernel does); anything else raises a ValueError when the step runs. The gradient
    w.r.t. params is a scatter-add of the output gradient (GatherGrad)."""
    p = as_tensor(input_params)
    i = as_tensor(input_indices)
    if batch_dims != 0:
        fail("Gather", f"only batch_dims=0 is supported, but got {batch_dims}")
    if p.ndim == 0:
        fail("Gather", "the 'input_params' must have at least one dimension")
    axis = _axis(int(axis) if isinstance(axis, Tensor) else axis, p.ndim, "Gather")
    return apply("Gather", p, i, axis=axis)


# ---- OneHot --------------------------------------------------------------------------------

def _one_hot_infer(specs, depth, axis, check_range=False):
    i, on, off = specs
    _index_check(i, "OneHot")
    if on.shape != () or off.shape != ():
        raise ValueError(f"on_value and off_value must be scalars, but got shapes {list(on.shape)} "
                         f"and {list(off.shape)}")
    if on.dtype != off.dtype:
        raise TypeError(f"on_value and off_value must have the same dtype, but got {on.dtype} and {off.dtype}")
    if not 0 <= axis <= i.ndim:
        raise ValueError(f"axis {axis} is out of range for indices of shape {list(i.shape)}")
    return tuple(i.shape[:axis]) + (depth,) + tuple(i.shape[axis:]), on.dtype


def _one_hot_ref(i, on, off, depth, axis, check_range=False):
    if check_range and ((i < 0) | (i >= depth)).any():
        raise ValueError(_LABEL_RANGE)
    hit = np.expand_dims(i, axis) == np.arange(depth).reshape((depth,) + (1,) * (i.ndim - axis))
    return np.where(hit, on, off)


# ``check_range`` (class labels, e.g. of a sparse cross-entropy): an index outside [0, depth) is an error, as
# in MindSpore's sparse losses, instead of a row of off_value (OneHot's own semantics).
_LABEL_RANGE = "For 'OneHot', a label is out of range [0, num_classes)"
register(OpDef("OneHot", infer=_one_hot_infer, reference=_one_hot_ref, nondiff=True))


def one_hot(indices, depth, on_value=1, off_value=0, axis=-1, check_range=False):
    """out[..., j, ...] = on_value where indices == j, else off_value; the new axis of size ``depth``
    is inserted at ``axis`` (-1: last). Indices outside [0, depth) give a row of off_value.
    The output dtype is on_value's (a Python int gives int64, a float float32)."""
    i = as_tensor(indices)
    if isinstance(depth, Tensor):
        depth = int(depth)
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 0:
        fail("OneHot", f"the 'depth' must be a non-negative int, but got {depth!r}")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -1 <= axis <= i.ndim:
        fail("OneHot", f"the 'axis' must be -1 or in range [0, {i.ndim}], but got {axis!r}")
    on = on_value if isinstance(on_value, Tensor) else Tensor(on_value)
    off = off_value if isinstance(off_value, Tensor) else Tensor(off_value, dtype=on.dtype)
    if on.ndim or off.ndim:
        on, off = reshape(on, ()), reshape(off, ())
    axis = i.ndim if axis == -1 else int(axis)
    attrs = {"check_range": True} if check_range else {}  # (the default keeps existing graphs' attrs)
    return apply("OneHot", i, on, off, depth=int(depth), axis=axis, **attrs)


# ---- primitives ----------------------------------------------------------------------------

class Gather(Primitive):
    """``Gather(batch_dims=0)(input_params, input_indices, axis)``."""

    def __init__(self, batch_dims=0):
        super().__init__()
        self.batch_dims = batch_dims

    def __call__(self, input_params, input_indices, axis):
        return gather(input_params, input_indices, axis, self.batch_dims)


class OneHot(Primitive):
    """``OneHot(axis=-1)(indices, depth, on_value, off_value)``."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis

    def __call__(self, indices, depth, on_value, off_value):
        return one_hot(indices, depth, on_value, off_value, self.axis)


__all__ = ["gather", "one_hot"]
__primitives__ = [Gather, OneHot]
