"""MindSpore's primitive classes (``ops.MatMul()``, ``ops.ReduceSum(keep_dims=False)`` ...): each
holds its attributes and calls the op's functional form."""

from . import functional as F
from .matmul import matmul_2d
from .primitive_base import Primitive, simple_primitive

_simple = simple_primitive


Add = _simple("Add", F.add)
Sub = _simple("Sub", F.sub)
Mul = _simple("Mul", F.mul)
Div = _simple("Div", F.div)
RealDiv = _simple("RealDiv", F.div)
Neg = _simple("Neg", F.neg)
Maximum = _simple("Maximum", F.maximum)
Minimum = _simple("Minimum", F.minimum)
Greater = _simple("Greater", F.greater)
GreaterEqual = _simple("GreaterEqual", F.greater_equal)
Less = _simple("Less", F.less)
LessEqual = _simple("LessEqual", F.less_equal)
Equal = _simple("Equal", F.equal)
NotEqual = _simple("NotEqual", F.not_equal)
LogicalAnd = _simple("LogicalAnd", F.logical_and)
LogicalOr = _simple("LogicalOr", F.logical_or)
LogicalNot = _simple("LogicalNot", F.logical_not)
Select = _simple("Select", F.select)
Reshape = _simple("Reshape", F.reshape)
Transpose = _simple("Transpose", F.transpose)
ExpandDims = _simple("ExpandDims", F.expand_dims)
Assign = _simple("Assign", F.assign)
Depend = _simple("Depend", F.depend)
ZerosLike = _simple("ZerosLike", F.zeros_like)
OnesLike = _simple("OnesLike", F.ones_like)


class Cast(Primitive):
    """``Cast()(x, dtype)``: convert x to dtype."""

    def __call__(self, x, dtype):
        return F.cast(x, dtype)


class Fill(Primitive):
    def __call__(self, dtype, shape, value):
        return F.fill(dtype, shape, value)


class Squeeze(Primitive):
    def __init__(self, axis=()):
        super().__init__()
        self.axis = axis

    def __call__(self, x):
        return F.squeeze(x, self.axis if self.axis != () else None)


class Flatten(Primitive):
    """Flatten all axes but the first."""

    def __call__(self, x):
        return F.flatten(x)


class BroadcastTo(Primitive):
    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def __call__(self, x):
        return F.broadcast_to(x, self.shape)


class MatMul(Primitive):
    """``MatMul(transpose_a=False, transpose_b=False)(x, y)`` = op(x) @ op(y)."""

    def __init__(self, transpose_a=False, transpose_b=False):
        super().__init__()
        self.transpose_a = bool(transpose_a)
        self.transpose_b = bool(transpose_b)

    def __call__(self, x, y):
        return matmul_2d(x, y, self.transpose_a, self.transpose_b)


class BatchMatMul(MatMul):
    def __call__(self, x, y):
        return F.batch_matmul(x, y, self.transpose_a, self.transpose_b)


class _Reduce(Primitive):
    _fn = None

    def __init__(self, keep_dims=False):
        super().__init__()
        if not isinstance(keep_dims, bool):
            raise TypeError(f"For '{self.name}', keep_dims must be a bool, but got {type(keep_dims).__name__}")
        self.keep_dims = keep_dims

    def __call__(self, x, axis=()):
        return type(self)._fn(x, axis if axis != () else None, self.keep_dims)


class ReduceSum(_Reduce):
    """``ReduceSum(keep_dims=False)(x, axis=())``: sum over axis (all when empty)."""

    _fn = staticmethod(F.reduce_sum)


class ReduceMean(_Reduce):
    _fn = staticmethod(F.reduce_mean)


class ReduceMax(_Reduce):
    _fn = staticmethod(F.reduce_max)


class ReduceMin(_Reduce):
    _fn = staticmethod(F.reduce_min)

