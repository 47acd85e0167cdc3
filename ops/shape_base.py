"""Reshape (and its spellings: expand_dims, squeeze, flatten) and Transpose."""

import numpy as np

from .geometry import broadcast_strides, transpose_strides
from .registry import OpDef, OpKind, apply, as_tensor, fail, fail_type, register


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


def transpose_args(node):
    """Kernel args of Transpose, a strided copy: (src_strides, out shape), where src_strides[d] is the
    input element stride of output axis d (x's strides permuted by ``perm``)."""
    return (transpose_strides(node.inputs[0].shape, node.attrs["perm"]), np.array(node.shape, np.int64))


def broadcast_args(node):
    """Kernel args of BroadcastTo (ops/broadcast.py), the same strided copy as Transpose: (src_strides,
    out shape) with stride 0 on broadcast and leading axes."""
    return (broadcast_strides(node.inputs[0].shape, node.shape), np.array(node.shape, np.int64))


def _norm_axis(axis, ndim, name):
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        fail_type(name, f"the 'axis' must be an int, but got {type(axis).__name__}")
    if not -ndim <= axis < max(ndim, 1):
        fail(name, f"the 'axis' must be in range [{-ndim}, {ndim}), but got {axis}")
    return int(axis) % ndim if ndim else 0


def reshape(x, shape):
    """View ``x`` with a new shape; one dimension may be -1."""
    x = as_tensor(x)
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or \
            any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in shape):
        fail_type("Reshape", f"the 'shape' must be a tuple of ints, but got {shape!r}")
    shape = [int(s) for s in shape]
    if shape.count(-1) > 1:
        fail("Reshape", f"only one dimension of 'shape' may be -1, but got {shape}")
    if any(s < -1 for s in shape):
        fail("Reshape", f"the dimensions of 'shape' must be non-negative or -1, but got {shape}")
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
        if known == 0 or x.size % known:
            fail("Reshape", f"cannot reshape a Tensor of shape {list(x.shape)} ({x.size} elements) to {shape}")
        shape[shape.index(-1)] = x.size // known
    shape = tuple(shape)
    if shape == tuple(x.shape):
        return x
    return apply("Reshape", x, shape=shape)


def transpose(x, perm):
    """Permute the axes of ``x``: out.shape[i] = x.shape[perm[i]]."""
    x = as_tensor(x)
    if not isinstance(perm, (tuple, list)) or len(perm) != x.ndim or \
            any(isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not -x.ndim <= p < x.ndim
                for p in perm):
        # (checked before the modulo: an out-of-range entry would otherwise name another axis silently)
        fail("Transpose", f"the 'input_perm' must be a permutation of the {x.ndim} axes (each in range "
                          f"[{-x.ndim}, {x.ndim})) of shape {list(x.shape)}, but got {perm!r}")
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
                fail("Squeeze", f"the size of axis {a} of shape {list(x.shape)} must be 1, but got {x.shape[a]}")
    return reshape(x, [s for i, s in enumerate(x.shape) if i not in axes])


def flatten(x, start_dim=1, end_dim=-1):
    """Keep the axes before ``start_dim``, merge the rest (MindSpore's ``ops.flatten``)."""
    x = as_tensor(x)
    for name, dim in (("start_dim", start_dim), ("end_dim", end_dim)):
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            fail_type("flatten", f"the '{name}' must be an int, but got {type(dim).__name__}")
    if x.ndim == 0:
        return reshape(x, (1,))
    for name, dim in (("start_dim", start_dim), ("end_dim", end_dim)):
        if not -x.ndim <= dim < x.ndim:
            fail("flatten", f"the '{name}' must be in range [{-x.ndim}, {x.ndim}), but got {dim}")
    start = start_dim % x.ndim
    end = end_dim % x.ndim
    if start > end:
        fail("flatten", f"the 'start_dim' cannot come after 'end_dim', but got start_dim {start_dim} and "
                        f"end_dim {end_dim} for a {x.ndim}-D input")
    merged = int(np.prod(x.shape[start:end + 1], dtype=np.int64))
    return reshape(x, tuple(x.shape[:start]) + (merged,) + tuple(x.shape[end + 1:]))


__all__ = ["reshape", "transpose", "expand_dims", "squeeze", "flatten"]
