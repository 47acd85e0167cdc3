"""Tensor indexing (``x[...]``) with ints, slices, None and Ellipsis, built on StridedSlice."""

import numpy as np

from ..graph import trace
from .geometry import slice_strides
from .registry import OpDef, apply, as_tensor, register
from .shape_base import reshape


def _slice_infer(specs, begin, end, strides):
    x = specs[0]
    shape = []
    for d, (b, e, s) in enumerate(zip(begin, end, strides)):
        n = len(range(b, e, s))
        if n < 0 or not (0 <= b <= x.shape[d] or (s < 0 and b < x.shape[d])):
            raise ValueError(f"slice [{b}:{e}:{s}] is out of range for axis {d} of shape {list(x.shape)}")
        shape.append(n)
    return tuple(shape), x.dtype


def _slice_ref(x, begin, end, strides):
    return x[tuple(slice(b, e if e >= 0 else None, s) for b, e, s in zip(begin, end, strides))]


def _slice_grad(ctx, ins, out, d, begin, end, strides):
    return [apply("StridedSliceGrad", d, shape=tuple(ins[0].shape), begin=begin, end=end, strides=strides)]


register(OpDef("StridedSlice", infer=_slice_infer, reference=_slice_ref, grad=_slice_grad))


def _slice_grad_infer(specs, shape, begin, end, strides):
    return tuple(shape), specs[0].dtype


def _slice_grad_ref(d, shape, begin, end, strides):
    out = np.zeros(shape, d.dtype)
    out[tuple(slice(b, e if e >= 0 else None, s) for b, e, s in zip(begin, end, strides))] = d
    return out


register(OpDef("StridedSliceGrad", infer=_slice_grad_infer, reference=_slice_grad_ref,
               grad=lambda ctx, ins, out, d, shape, begin, end, strides:
               [strided_slice(d, begin, end, strides)]))


def slice_args(node):
    """Kernel args of StridedSlice, a strided gather: (offset, src_strides, out shape); output element
    at index i reads x.flat[offset + sum_d i_d * src_strides[d]]."""
    a = node.attrs
    return (*slice_strides(node.inputs[0].shape, a["begin"], a["strides"]), np.array(node.shape, np.int64))


def slice_grad_args(node):
    """Kernel args of StridedSliceGrad, zeros then a strided scatter-add of d: (offset, dst_strides,
    d's shape); d's element at index i goes to out.flat[offset + sum_d i_d * dst_strides[d]]."""
    a = node.attrs
    return (*slice_strides(a["shape"], a["begin"], a["strides"]), np.array(node.inputs[0].shape, np.int64))


def strided_slice(x, begin, end, strides):
    """x[begin[d]:end[d]:strides[d]] on every axis (end -1 with a negative stride means 'to the start')."""
    x = as_tensor(x)
    return apply("StridedSlice", x, begin=tuple(int(b) for b in begin), end=tuple(int(e) for e in end),
                 strides=tuple(int(s) for s in strides))


def _where():
    # (Python's IndexError/TypeError of indexing, as numpy and MindSpore raise them, with the user's line)
    return trace.format_location(trace.user_source())


def tensor_getitem(x, index):
    """``x[index]`` for ints, slices, None and Ellipsis (basic indexing)."""
    x = as_tensor(x)
    if not isinstance(index, tuple):
        index = (index,)
    if any(i is Ellipsis for i in index):
        k = index.index(Ellipsis)
        fill = x.ndim - (len(index) - 1 - sum(i is None for i in index))
        index = index[:k] + (slice(None),) * fill + index[k + 1:]
    begin, end, strides, out_shape = [], [], [], []
    d = 0
    for item in index:
        if item is None:
            out_shape.append(("new",))
            continue
        if d >= x.ndim:
            raise IndexError(f"too many indices for a Tensor of shape {list(x.shape)}" + _where())
        n = x.shape[d]
        if isinstance(item, (int, np.integer)):
            i = int(item)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {d} with size {n}" + _where())
            i %= n
            begin.append(i), end.append(i + 1), strides.append(1)
        elif isinstance(item, slice):
            b, e, s = item.indices(n)
            begin.append(b), end.append(e), strides.append(s)
            out_shape.append(("keep", d))
        else:
            raise TypeError(f"Tensor indexing supports ints, slices, None and Ellipsis, got {type(item).__name__}"
                            + _where())
        d += 1
    for k in range(d, x.ndim):
        begin.append(0), end.append(x.shape[k]), strides.append(1)
        out_shape.append(("keep", k))
    y = x
    if (begin, end, strides) != ([0] * x.ndim, list(x.shape), [1] * x.ndim):
        y = strided_slice(x, begin, end, strides)
    shape = [1 if o[0] == "new" else y.shape[o[1]] for o in out_shape]
    return reshape(y, shape)


__all__ = ["strided_slice", "tensor_getitem"]
