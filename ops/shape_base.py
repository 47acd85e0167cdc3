"""Reshape (and its spellings: expand_dims, squeeze, flatten) and Transpose."""

import numpy as np

from .registry import OpDef, OpKind, apply, as_tensor, register


def _reshape_infer(specs, shape):
    x = specs[0]
    size = int(np.prod(x.shape, dtype=np.int64))
    if int(np.prod(shape, dtype=np.int64)) != size or any(s < 0 for s in shape):
        raise ValueError(f"the product of the input shape {list(x.shape)} must equal the product of the "
                         f"target shape {list(shape)}")
    return tuple(shape), x.dtype


register(OpDef("Reshape", infer=_reshape_infer, reference=lambda x, shape: x.reshape(shape),
               grad=lambda ctx, ins, out, d, shape: [reshape(d, ins[0].shape)], kind=OpKind.VIEW))


def _transpose_infer(specs, perm):
    x = specs[0]
    if sorted(perm) != list(range(x.ndim)):
        raise ValueError(f"perm {list(perm)} is not a permutation of the {x.ndim} axes of shape {list(x.shape)}")
    return tuple(x.shape[p] for p in perm), x.dtype


register(OpDef("Transpose", infer=_transpose_infer, reference=lambda x, perm: np.transpose(x, perm),
               grad=lambda ctx, ins, out, d, perm: [transpose(d, tuple(int(i) for i in np.argsort(perm)))]))


def _norm_axis(axis, ndim, name):
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"For '{name}', axis {axis} is out of range for a {ndim}-D input")
    return axis % ndim if ndim else 0


def reshape(x, shape):
    """View ``x`` with a new shape; one dimension may be -1."""
    x = as_tensor(x)
    if isinstance(shape, int):
        shape = (shape,)
    shape = [int(s) for s in shape]
    if shape.count(-1) > 1:
        raise ValueError(f"For 'Reshape', only one dimension may be -1, got {shape}")
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
        if known == 0 or x.size % known:
            raise ValueError(f"For 'Reshape', cannot reshape a Tensor of shape {list(x.shape)} to {shape}")
        shape[shape.index(-1)] = x.size // known
    shape = tuple(shape)
    if shape == tuple(x.shape):
        return x
    return apply("Reshape", x, shape=shape)


def transpose(x, perm):
    """Permute the axes of ``x``: out.shape[i] = x.shape[perm[i]]."""
    x = as_tensor(x)
    perm = tuple(int(p) % max(x.ndim, 1) for p in perm)
    if perm == tuple(range(x.ndim)):
        return x
    return apply("Transpose", x, perm=perm)


def expand_dims(x, axis):
    """Insert a size-1 axis at ``axis``."""
    x = as_tensor(x)
    axis = _norm_axis(axis, x.ndim + 1, "ExpandDims")
    shape = list(x.shape)
    shape.insert(axis, 1)
    return reshape(x, shape)


def squeeze(x, axis=None):
    """Remove size-1 axes (all of them, or those in ``axis``)."""
    x = as_tensor(x)
    if axis is None:
        axes = [i for i, s in enumerate(x.shape) if s == 1]
    else:
        axes = [_norm_axis(a, x.ndim, "Squeeze") for a in ((axis,) if isinstance(axis, int) else axis)]
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(f"For 'Squeeze', axis {a} of shape {list(x.shape)} is not of size 1")
    return reshape(x, [s for i, s in enumerate(x.shape) if i not in axes])


def flatten(x, start_dim=1, end_dim=-1):
    """Keep the axes before ``start_dim``, merge the rest (MindSpore's ``ops.flatten``)."""
    x = as_tensor(x)
    if x.ndim == 0:
        return reshape(x, (1,))
    start = start_dim % x.ndim
    end = end_dim % x.ndim
    merged = int(np.prod(x.shape[start:end + 1], dtype=np.int64))
    return reshape(x, tuple(x.shape[:start]) + (merged,) + tuple(x.shape[end + 1:]))


__all__ = ["reshape", "transpose", "expand_dims", "squeeze", "flatten"]
