"""Shared machinery for elementwise ops: broadcasting shape inference, dtype promotion and the
``unbroadcast`` used by their gradient rules. Each elementwise op is one ``elementwise(...)`` call
with a scalar body (compiled by every backend inside its map template) and a numpy reference. The
``unbroadcast`` their gradient rules use is a sum, in ``reduce.py``."""

import numpy as np

from ..graph.tensor import Tensor
from .registry import OpDef, Spec, apply, as_tensor, cell_precision_reads, register, type_name


def broadcast_shapes(name, shapes):
    out = []
    for dims in zip(*[(1,) * (max(map(len, shapes)) - len(s)) + tuple(s) for s in shapes]):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            shown = " and ".join(f"{list(s)}" for s in shapes)
            raise ValueError(f"the shapes of the inputs cannot broadcast: got {shown}")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def same_dtype_infer(name, out_dtype=None, float_only=False):
    def infer(specs, **attrs):
        dtypes = {s.dtype for s in specs}
        if len(dtypes) > 1:
            raise TypeError(f"the inputs must have the same dtype, but got {[type_name(s.dtype) for s in specs]}")
        dt = specs[0].dtype
        if float_only and dt.kind != "f":
            raise TypeError(f"the input must be a floating-point Tensor, but got {type_name(dt)}")
        shape = broadcast_shapes(name, [s.shape for s in specs]) if len(specs) > 1 else specs[0].shape
        return shape, np.dtype(out_dtype) if out_dtype is not None else dt

    return infer


def elementwise(name, scalar, reference, grad=None, nondiff=False, out_dtype=None, float_only=False,
                scalar_attrs=(), infer=None):
    """Register an elementwise op from its scalar body and numpy reference."""
    return register(OpDef(
        name=name,
        infer=infer or same_dtype_infer(name, out_dtype, float_only),
        reference=reference,
        grad=grad,
        nondiff=nondiff,
        scalar=scalar,
        scalar_attrs=tuple(scalar_attrs),
    ))


def promote(*xs):
    """MindSpore's implicit promotion: Python numbers take the Tensor dtype; mixed Tensor dtypes
    are cast to the wider one (ints to floats). Inside a mixed-precision Cell its float Parameters count
    as its compute dtype (``Cell.to_float``)."""
    xs = cell_precision_reads(xs)
    tensors = [x for x in xs if isinstance(x, Tensor)]
    if not tensors:
        return [as_tensor(x) for x in xs]
    dts = [Spec(t.shape, t.dtype.np).dtype for t in tensors]
    target = dts[0]
    for d in dts[1:]:
        target = np.promote_types(target, d)
    if any(isinstance(x, float) for x in xs) and target.kind in "iub":
        target = np.dtype(np.float32)
    out = []
    for x in xs:
        if isinstance(x, Tensor):
            out.append(x if x.dtype.np == target else apply("Cast", x, dtype=target))
        else:
            out.append(as_tensor(x, target))
    return out
