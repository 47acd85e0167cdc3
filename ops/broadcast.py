"""BroadcastTo: materialise a broadcast (used by reduction gradients and ``ops.broadcast_to``)."""

import numpy as np

from .elementwise_base import broadcast_shapes
from .reduce import unbroadcast
from .registry import OpDef, apply, as_tensor, register


def _infer(specs, shape):
    x = specs[0]
    if broadcast_shapes("BroadcastTo", [x.shape, shape]) != tuple(shape):
        raise ValueError(f"cannot broadcast shape {list(x.shape)} to {list(shape)}")
    return tuple(shape), x.dtype


register(OpDef("BroadcastTo", infer=_infer, reference=lambda x, shape: np.broadcast_to(x, shape).copy(),
               grad=lambda ctx, ins, out, d, shape: [unbroadcast(d, ins[0].shape)]))


def broadcast_to(x, shape):
    """Broadcast ``x`` to ``shape`` (numpy rules; -1 keeps x's size)."""
    x = as_tensor(x)
    shape = tuple(int(s) for s in shape)
    lead = len(shape) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(shape))
    if shape == tuple(x.shape):
        return x
    return apply("BroadcastTo", x, shape=shape)


__all__ = ["broadcast_to"]
