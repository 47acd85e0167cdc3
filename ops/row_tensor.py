"""``RowTensor``: a row-sparse gradient (MindSpore's ``RowTensor``).

An embedding lookup touches only the rows it reads, so its table's gradient is kept as the rows
present: ``indices`` (1-D int Tensor of n row numbers, repeats allowed, negative ones counting
from the end), ``values`` (n rows, shape ``(n,) + dense_shape[1:]``) and ``dense_shape``. The dense
value is the scatter-add ``dense[indices[k]] += values[k]``. Optimizers with a sparse rule
(LazyAdam, Adam(use_lazy=True), FTRL, ProximalAdagrad) update only those rows; everything else
densifies it with ``to_dense()``.

A RowTensor is not a Tensor: it is a small Python object holding two Tensors (traced ones inside a
graph). Compiled graph outputs can only be Tensors, so ``pack``/``unpack`` turn it into a marked
dict and back around a compiled call.
"""

import numbers

from ..graph import dtype as mstype
from ..graph.session import SESSION
from ..graph.tensor import Tensor
from .registry import apply

_MARK = "__minispore_row_sparse__"


class RowTensor:
    """Row-sparse tensor: ``RowTensor(indices=None, values=None, shape=None, row_tensor=None)``.

    ``dense = zeros(shape); dense[indices[k]] += values[k]``. ``row_tensor`` copies another
    RowTensor (MindSpore's RowTensor signature). ``shape``/``dense_shape`` is the dense shape.
    """

    __slots__ = ("indices", "values", "dense_shape")

    def __init__(self, indices=None, values=None, shape=None, row_tensor=None):
        if row_tensor is not None:
            if not isinstance(row_tensor, RowTensor):
                raise TypeError(f"For 'RowTensor', row_tensor must be a RowTensor, but got {type(row_tensor).__name__}")
            indices, values, shape = row_tensor.indices, row_tensor.values, row_tensor.dense_shape
        if not isinstance(indices, Tensor) or not isinstance(values, Tensor):
            raise TypeError("For 'RowTensor', indices and values must be Tensors, but got "
                            f"{type(indices).__name__} and {type(values).__name__}")
        if not isinstance(shape, (tuple, list)) or not all(
                isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 0 for s in shape):
            raise TypeError(f"For 'RowTensor', shape must be a tuple of non-negative ints, but got {shape!r}")
        shape = tuple(int(s) for s in shape)
        if indices.ndim != 1 or indices.dtype.np.kind not in "iu":
            raise ValueError(f"For 'RowTensor', indices must be a 1-D int Tensor, but got shape "
                             f"{list(indices.shape)} and dtype {indices.dtype}")
        if not values.dtype.is_floating:
            raise TypeError(f"For 'RowTensor', values must be a float Tensor, but got {values.dtype}")
        if not shape or tuple(values.shape) != (indices.shape[0],) + shape[1:]:
            raise ValueError(f"For 'RowTensor', values of shape {list(values.shape)} do not match indices of "
                             f"shape {list(indices.shape)} and dense shape {list(shape)}: values must have "
                             f"shape [len(indices)] + shape[1:]")
        self.indices = indices
        self.values = values
        self.dense_shape = shape

    @property
    def shape(self):
        return self.dense_shape

    @property
    def dtype(self):
        return self.values.dtype

    @property
    def ndim(self):
        return len(self.dense_shape)

    def to_dense(self):
        """The dense Tensor: a scatter-add of the rows (repeated indices add up)."""
        return apply("GatherGrad", self.values, self.indices, shape=self.dense_shape, axis=0)

    def asnumpy(self):
        """The dense value as a numpy array (for code written for dense gradients)."""
        return self.to_dense().asnumpy()

    def with_values(self, values):
        """The same rows with new ``values`` (same shape)."""
        return RowTensor(self.indices, values, self.dense_shape)

    # ---- arithmetic: sums stay sparse with sparse, become dense with dense ---------------------
    def __add__(self, other):
        if isinstance(other, RowTensor):
            if other.dense_shape != self.dense_shape:
                raise ValueError(f"For 'RowTensor' add, the dense shapes {list(self.dense_shape)} and "
                                 f"{list(other.dense_shape)} differ")
            ops = SESSION.ops()
            a, b = self.indices, other.indices
            if a.dtype != b.dtype:  # one int64, one int32: int64 holds both
                a, b = ops.cast(a, mstype.int64), ops.cast(b, mstype.int64)
            return RowTensor(ops.concat([a, b], 0), ops.concat([self.values, other.values], 0), self.dense_shape)
        if isinstance(other, Tensor):
            return self.to_dense() + other
        return NotImplemented

    __radd__ = __add__

    def _scaled(self, factor, divide=False):
        if isinstance(factor, RowTensor) or not isinstance(factor, (numbers.Number, Tensor)):
            return NotImplemented
        if isinstance(factor, Tensor) and factor.size != 1:
            raise ValueError(f"For 'RowTensor', only a scalar can scale the rows, but got shape {list(factor.shape)}")
        return self.with_values(self.values / factor if divide else self.values * factor)

    def __mul__(self, factor):
        return self._scaled(factor)

    __rmul__ = __mul__

    def __truediv__(self, factor):
        return self._scaled(factor, divide=True)

    def __neg__(self):
        return self.with_values(-self.values)

    def __repr__(self):
        return (f"RowTensor(dense_shape={list(self.dense_shape)}, indices={self.indices!r}, "
                f"values={self.values!r})")



def densify(g):
    """``g`` as a dense Tensor (RowTensor values are scattered; anything else is returned as is)."""
    return g.to_dense() if isinstance(g, RowTensor) else g


def contains(obj):
    """Whether nested tuples/lists/dicts ``obj`` hold a RowTensor."""
    if isinstance(obj, RowTensor):
        return True
    if isinstance(obj, (tuple, list)):
        return any(contains(o) for o in obj)
    if isinstance(obj, dict):
        return any(contains(o) for o in obj.values())
    return False


def pack(obj):
    """Replace each RowTensor in nested tuples/lists/dicts by a marked dict of Tensors, so a compiled
    call can pass it through (graph inputs and outputs are Tensors only)."""
    if not contains(obj):
        return obj  # untouched (a namedtuple stays one)
    if isinstance(obj, RowTensor):
        return {_MARK: (obj.indices, obj.values, obj.dense_shape)}
    if isinstance(obj, dict):
        return {k: pack(v) for k, v in obj.items()}
    items = [pack(o) for o in obj]
    return items if isinstance(obj, list) else tuple(items)


def unpack(obj):
    """Inverse of ``pack``."""
    if isinstance(obj, dict):
        if set(obj) == {_MARK}:
            indices, values, shape = obj[_MARK]
            return RowTensor(indices, values, tuple(shape))
        return {k: unpack(v) for k, v in obj.items()}
    if isinstance(obj, (tuple, list)):
        items = [unpack(o) for o in obj]
        return items if isinstance(obj, list) else tuple(items)
    return obj


__all__ = ["RowTensor", "densify", "contains", "pack", "unpack"]
