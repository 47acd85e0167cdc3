"""Array ops: Concat, Argmax/Argmin, and the functional forms built on them and on
StridedSlice/BroadcastTo: split, slice, tile, stack. (Gather, GatherGrad and OneHot live in
gather_ops.py.)
"""

import numpy as np

from ..graph import dtype as mstype
from ..graph.tensor import Tensor
from .broadcast import broadcast_to
from .geometry import axis_split, prod
from .indexing import strided_slice
from .primitives import Primitive
from .registry import OpDef, apply, as_tensor, fail, fail_type, register, type_name
from .shape_base import expand_dims, reshape


def _axis(axis, ndim, name, what="axis"):
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        fail_type(name, f"the '{what}' must be an int, but got {type(axis).__name__}")
    if not -ndim <= axis < max(ndim, 1):
        fail(name, f"the '{what}' must be in range [{-ndim}, {ndim}), but got {axis}")
    return int(axis) % max(ndim, 1)


def _tensor_list(tensors, name):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) or not tensors:
        fail_type(name, "the input must be a non-empty tuple or list of Tensors")
    for t in tensors:
        if not isinstance(t, Tensor):
            fail_type(name, f"every element must be a Tensor, but got {type(t).__name__}")
    return list(tensors)


# ---- Concat (two inputs per node; N inputs are joined as a balanced tree of them) ----------------

def concat_args(node):
    """Kernel args of Concat: (outer, ia, ib), each input seen as (outer, i*) with its concatenated axis
    and every later axis flattened into i*; out is (outer, ia + ib)."""
    axis = node.attrs["axis"]
    a, b = node.inputs
    return (prod(a.shape[:axis]), prod(a.shape[axis:]), prod(b.shape[axis:]))


def _concat_infer(specs, axis):
    if len(specs) != 2:
        raise ValueError(f"a Concat node joins exactly two inputs, got {len(specs)}")
    a, b = specs
    if a.dtype != b.dtype:
        raise TypeError(f"all inputs must have the same dtype, but got {type_name(a.dtype)} and {type_name(b.dtype)}")
    if a.ndim != b.ndim or not 0 <= axis < a.ndim or \
            any(x != y for d, (x, y) in enumerate(zip(a.shape, b.shape)) if d != axis):
        raise ValueError(f"the input shapes {list(a.shape)} and {list(b.shape)} must be equal except on axis {axis}")
    shape = list(a.shape)
    shape[axis] += b.shape[axis]
    return tuple(shape), a.dtype


def _concat_grad(ctx, ins, out, d, axis):
    a, b = ins
    n = len(a.shape)
    na = a.shape[axis]
    full = list(out.shape)
    ga = strided_slice(d, [0] * n, [na if k == axis else full[k] for k in range(n)], [1] * n) if ctx.needs[0] else None
    gb = strided_slice(d, [na if k == axis else 0 for k in range(n)], full, [1] * n) if ctx.needs[1] else None
    return [ga, gb]


register(OpDef("Concat", infer=_concat_infer, reference=lambda a, b, axis: np.concatenate([a, b], axis),
               grad=_concat_grad))


def concat(tensors, axis=0):
    """Join ``tensors`` along ``axis``: out.shape[axis] = sum of the inputs' shape[axis].

    All inputs must have the same dtype and rank and equal sizes on the other axes. N inputs are
    joined pairwise as a balanced tree, so each element is copied about log2(N) times.
    """
    tensors = _tensor_list(tensors, "Concat")
    ndim = tensors[0].ndim
    if ndim == 0:
        fail("Concat", "the inputs must have at least one dimension")
    axis = _axis(axis, ndim, "Concat")
    for t in tensors[1:]:
        if t.ndim != ndim:
            fail("Concat", f"all inputs must have the same rank, but got shapes {[list(x.shape) for x in tensors]}")
    while len(tensors) > 1:
        paired = [apply("Concat", tensors[i], tensors[i + 1], axis=axis) for i in range(0, len(tensors) - 1, 2)]
        tensors = paired + tensors[len(paired) * 2:]
    return tensors[0]


cat = concat


def stack(tensors, axis=0):
    """Stack same-shaped ``tensors`` on a new axis ``axis``: out.shape = shape[:axis] + (N,) + shape[axis:]."""
    tensors = _tensor_list(tensors, "Stack")
    shape = tuple(tensors[0].shape)
    for t in tensors:
        if tuple(t.shape) != shape:
            fail("Stack", f"all inputs must have the same shape, but got {[list(x.shape) for x in tensors]}")
    axis = _axis(axis, len(shape) + 1, "Stack")
    return concat([expand_dims(t, axis) for t in tensors], axis)


# ---- slicing --------------------------------------------------------------------------------

def _slice_axis(x, axis, start, stop):
    n = x.ndim
    begin = [start if k == axis else 0 for k in range(n)]
    end = [stop if k == axis else x.shape[k] for k in range(n)]
    return strided_slice(x, begin, end, [1] * n)


def split(tensor, split_size_or_sections, axis=0):
    """Split ``tensor`` along ``axis`` (MindSpore 2.x): an int gives chunks of that size (the last one
    may be smaller); a list/tuple gives each chunk's size (they must add up to the axis size)."""
    x = as_tensor(tensor)
    axis = _axis(axis, x.ndim, "split")
    n = x.shape[axis]
    s = split_size_or_sections
    if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
        if s <= 0:
            fail("split", f"the 'split_size_or_sections' must be positive, but got {s}")
        sizes = [min(int(s), n - k) for k in range(0, n, int(s))] or [0]
    elif isinstance(s, (list, tuple)) and all(isinstance(v, (int, np.integer)) and v >= 0 for v in s):
        sizes = [int(v) for v in s]
        if sum(sizes) != n:
            fail("split", f"the sections {list(s)} must add up to the size {n} of axis {axis}")
    else:
        fail_type("split", f"the 'split_size_or_sections' must be a positive int or a list of non-negative ints, "
                           f"but got {s!r}")
    out, start = [], 0
    for size in sizes:
        out.append(_slice_axis(x, axis, start, start + size))
        start += size
    return tuple(out)


def slice(input_x, begin, size):  # noqa: A001  (MindSpore's name)
    """out = input_x[begin[0]:begin[0]+size[0], ...]; a size of -1 takes the rest of that axis."""
    x = as_tensor(input_x)
    begin, size = list(begin), list(size)
    if len(begin) != x.ndim or len(size) != x.ndim:
        fail("Slice", f"the 'begin' {begin} and 'size' {size} must both have {x.ndim} elements for an input of "
                      f"shape {list(x.shape)}")
    end = []
    for d, (b, s) in enumerate(zip(begin, size)):
        s = x.shape[d] - b if s == -1 else s
        if b < 0 or s < 0 or b + s > x.shape[d]:
            fail("Slice", f"'begin' {begin} + 'size' {size} is out of range for shape {list(x.shape)}")
        end.append(b + s)
    return strided_slice(x, begin, end, [1] * x.ndim)


def tile(input, dims):  # noqa: A002
    """Repeat ``input`` ``dims[i]`` times along axis i (numpy's tile): missing leading dims count as 1.

    Built as reshape -> broadcast -> reshape, so the gradient (a sum over the copies) comes from
    BroadcastTo's rule."""
    x = as_tensor(input)
    dims = tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
    if not all(isinstance(m, (int, np.integer)) and not isinstance(m, bool) and m >= 0 for m in dims):
        fail("Tile", f"the 'dims' must be non-negative ints, but got {dims}")
    nd = max(len(dims), x.ndim)
    mult = (1,) * (nd - len(dims)) + tuple(int(m) for m in dims)
    shape = (1,) * (nd - x.ndim) + tuple(x.shape)
    inter, big = [], []
    for m, s in zip(mult, shape):
        if m != 1:
            inter.append(1), big.append(m)
        inter.append(s), big.append(s)
    y = broadcast_to(reshape(x, inter), big)
    return reshape(y, tuple(m * s for m, s in zip(mult, shape)))


# ---- Argmax / Argmin -----------------------------------------------------------------------

def _arg_infer(specs, axis, output_type):
    x = specs[0]
    if not 0 <= axis < x.ndim or x.shape[axis] == 0:
        raise ValueError(f"axis {axis} must name a non-empty axis of the input of shape {list(x.shape)}")
    if np.dtype(output_type) not in (np.dtype(np.int32), np.dtype(np.int64)):
        raise TypeError(f"output_type must be int32 or int64, but got {output_type}")
    return tuple(s for d, s in enumerate(x.shape) if d != axis), np.dtype(output_type)


def arg_extreme_args(want_max):
    """The kernel args function of Argmax (``want_max``) / Argmin: node -> (outer, n, inner, want_max),
    the input seen as (outer, n, inner) around ``axis``."""
    return lambda node: axis_split(node.inputs[0].shape, node.attrs["axis"]) + (want_max,)


register(OpDef("Argmax", infer=_arg_infer, nondiff=True,
               reference=lambda x, axis, output_type: np.argmax(x, axis).astype(output_type)))
register(OpDef("Argmin", infer=_arg_infer, nondiff=True,
               reference=lambda x, axis, output_type: np.argmin(x, axis).astype(output_type)))


def _arg(op, x, axis, keepdims, output_type):
    x = as_tensor(x)
    if x.ndim == 0:
        return Tensor(np.zeros((), output_type))
    if axis is None:
        out = apply(op, reshape(x, (x.size,)), axis=0, output_type=np.dtype(output_type))
        return reshape(out, (1,) * x.ndim) if keepdims else out
    axis = _axis(axis, x.ndim, op)
    out = apply(op, x, axis=axis, output_type=np.dtype(output_type))
    return expand_dims(out, axis) if keepdims else out


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A002
    """Index (int64) of the maximum along ``dim`` (over the flattened input when None); ties give the
    first index. ``axis``/``keepdims`` are accepted as aliases."""
    dim = axis if axis is not None else dim
    keepdim = keepdims if keepdims is not None else keepdim
    return _arg("Argmax", input, dim, keepdim, np.int64)


def argmin(input, axis=None, keepdims=False):  # noqa: A002
    """Index (int32, as MindSpore's ops.argmin) of the minimum along ``axis`` (flattened when None)."""
    return _arg("Argmin", input, axis, keepdims, np.int32)


# ---- primitives ----------------------------------------------------------------------------

def _axis_primitive(name, fn, doc):
    def __init__(self, axis=0):
        Primitive.__init__(self)
        self.axis = axis

    def __call__(self, input_x):
        return fn(input_x, self.axis)

    return type(name, (Primitive,), {"__init__": __init__, "__call__": __call__, "__doc__": doc})


Concat = _axis_primitive("Concat", concat, "``Concat(axis=0)(tensors)``: join a tuple of Tensors along ``axis``.")
Stack = _axis_primitive("Stack", stack, "``Stack(axis=0)(tensors)``: stack same-shaped Tensors on a new axis.")


class Split(Primitive):
    """``Split(axis=0, output_num=1)(x)``: ``output_num`` equal parts along ``axis``."""

    def __init__(self, axis=0, output_num=1):
        super().__init__()
        if isinstance(output_num, bool) or not isinstance(output_num, int) or output_num < 1:
            fail("Split", f"the 'output_num' must be a positive int, but got {output_num!r}")
        self.axis, self.output_num = axis, output_num

    def __call__(self, x):
        x = as_tensor(x)
        axis = _axis(self.axis, x.ndim, "Split")
        if x.shape[axis] % self.output_num:
            fail("Split", f"the size {x.shape[axis]} of axis {axis} must be divisible by 'output_num' "
                          f"{self.output_num}")
        return split(x, x.shape[axis] // self.output_num, axis) if x.shape[axis] else (x,) * self.output_num


class Slice(Primitive):
    """``Slice()(x, begin, size)``."""

    def __call__(self, x, begin, size):
        return slice(x, begin, size)


class Tile(Primitive):
    """``Tile()(x, multiples)``."""

    def __call__(self, x, multiples):
        return tile(x, multiples)


class Argmax(Primitive):
    """``Argmax(axis=-1, output_type=mstype.int32)(x)``."""

    def __init__(self, axis=-1, output_type=mstype.int32):
        super().__init__()
        if isinstance(axis, bool) or not isinstance(axis, int):
            fail_type("Argmax", f"the 'axis' must be an int, but got {type(axis).__name__}")
        self.axis, self.output_type = axis, output_type

    def __call__(self, x):
        return _arg("Argmax", x, self.axis, False, mstype.to_np(self.output_type))


class Argmin(Argmax):
    """``Argmin(axis=-1, output_type=mstype.int32)(x)``."""

    def __call__(self, x):
        return _arg("Argmin", x, self.axis, False, mstype.to_np(self.output_type))


__all__ = ["concat", "cat", "stack", "split", "slice", "tile", "argmax", "argmin"]
__primitives__ = [Concat, Stack, Split, Slice, Tile, Argmax, Argmin]
