"""Elementwise arithmetic and comparisons: Add, Sub, Mul, RealDiv, Neg, Maximum, Minimum, Cast,
Select and the comparison ops. Each op is defined once here (scalar body, numpy reference,
gradient) and wrapped by its functional form."""

import numpy as np

from ..graph import dtype as mstype
from ..graph.tensor import Tensor
from .elementwise_base import broadcast_shapes, elementwise, promote
from .memory import check_alloc
from .reduce import unbroadcast
from .registry import OpDef, apply, as_tensor, fail, register, type_name


def _add(x, y):
    return x + y


def _sub(x, y):
    return x - y


def _mul(x, y):
    return x * y


def _div(x, y):
    return x / y


def _neg(x):
    return -x


def _maximum(x, y):
    return x if x >= y else y


def _minimum(x, y):
    return x if x <= y else y


def _identity(x):
    return x


def _select(c, x, y):
    return x if c else y


def _greater(x, y):
    return x > y


def _greater_equal(x, y):
    return x >= y


def _less(x, y):
    return x < y


def _less_equal(x, y):
    return x <= y


def _equal(x, y):
    return x == y


def _not_equal(x, y):
    return x != y


def _logical_and(x, y):
    return x and y


def _logical_or(x, y):
    return x or y


def _logical_not(x):
    return not x


elementwise("Add", _add, np.add,
            grad=lambda ctx, ins, out, d: [unbroadcast(d, ins[0].shape), unbroadcast(d, ins[1].shape)])
elementwise("Sub", _sub, np.subtract,
            grad=lambda ctx, ins, out, d: [unbroadcast(d, ins[0].shape), unbroadcast(-d, ins[1].shape)])
elementwise("Mul", _mul, np.multiply,
            grad=lambda ctx, ins, out, d: [unbroadcast(d * ins[1], ins[0].shape) if ctx.needs[0] else None,
                                           unbroadcast(d * ins[0], ins[1].shape) if ctx.needs[1] else None])
elementwise("RealDiv", _div, np.divide,
            grad=lambda ctx, ins, out, d: [unbroadcast(d / ins[1], ins[0].shape) if ctx.needs[0] else None,
                                           unbroadcast(-d * out / ins[1], ins[1].shape) if ctx.needs[1] else None])
elementwise("Neg", _neg, np.negative, grad=lambda ctx, ins, out, d: [-d])


def _minmax_grad(first_wins):
    """MindSpore's MaximumGrad/MinimumGrad: dout goes to the input that wins (``first_wins(x, y)`` true:
    x), and where x == y it is split in half between them (measured on MindSpore 2.10's CPU kernel)."""

    def grad(ctx, ins, out, d):
        x, y = ins
        zero = zeros_like(d)
        half = d * 0.5
        dx = select(first_wins(x, y), d, select(equal(x, y), half, zero))
        dy = select(first_wins(y, x), d, select(equal(x, y), half, zero))
        return [unbroadcast(dx, x.shape), unbroadcast(dy, y.shape)]

    return grad


elementwise("Maximum", _maximum, np.maximum, grad=_minmax_grad(lambda x, y: greater(x, y)))
elementwise("Minimum", _minimum, np.minimum, grad=_minmax_grad(lambda x, y: less(x, y)))

for _name, _fn, _ref in [("Greater", _greater, np.greater), ("GreaterEqual", _greater_equal, np.greater_equal),
                         ("Less", _less, np.less), ("LessEqual", _less_equal, np.less_equal),
                         ("Equal", _equal, np.equal), ("NotEqual", _not_equal, np.not_equal)]:
    elementwise(_name, _fn, _ref, nondiff=True, out_dtype=np.bool_)


def _bool_infer(specs):
    for s in specs:
        if s.dtype != np.bool_:
            raise TypeError(f"the inputs must be bool Tensors, but got {type_name(s.dtype)}")
    return broadcast_shapes("", [s.shape for s in specs]), np.dtype(np.bool_)


elementwise("LogicalAnd", _logical_and, np.logical_and, nondiff=True, infer=_bool_infer)
elementwise("LogicalOr", _logical_or, np.logical_or, nondiff=True, infer=_bool_infer)
elementwise("LogicalNot", _logical_not, np.logical_not, nondiff=True, infer=_bool_infer)


def _cast_infer(specs, dtype):
    return specs[0].shape, np.dtype(dtype)


def _cast_grad(ctx, ins, out, d, dtype):
    if ins[0].dtype.np.kind != "f":
        return [None]
    return [cast(d, ins[0].dtype)]


register(OpDef("Cast", infer=_cast_infer, reference=lambda x, dtype: x.astype(dtype), grad=_cast_grad,
               scalar=_identity))


def _select_infer(specs):
    c, x, y = specs
    if c.dtype != np.bool_:
        raise TypeError(f"the condition must be a bool Tensor, but got {type_name(c.dtype)}")
    if x.dtype != y.dtype:
        raise TypeError(f"x and y must have the same dtype, but got {type_name(x.dtype)} and {type_name(y.dtype)}")
    return broadcast_shapes("Select", [c.shape, x.shape, y.shape]), x.dtype


def _select_grad(ctx, ins, out, d):
    c, x, y = ins
    zero = zeros_like(d)
    return [None, unbroadcast(select(c, d, zero), x.shape) if ctx.needs[1] else None,
            unbroadcast(select(c, zero, d), y.shape) if ctx.needs[2] else None]


register(OpDef("Select", infer=_select_infer, reference=np.where, grad=_select_grad, scalar=_select))


# ---- functional forms ------------------------------------------------------------------------

def add(x, y):
    """out = x + y (broadcasting)."""
    return apply("Add", *promote(x, y))


def sub(x, y):
    """out = x - y (broadcasting)."""
    return apply("Sub", *promote(x, y))


def mul(x, y):
    """out = x * y (broadcasting)."""
    return apply("Mul", *promote(x, y))


def div(x, y):
    """out = x / y (true division; integer inputs are promoted to float32)."""
    x, y = promote(x, y)
    if x.dtype.np.kind != "f":
        x, y = cast(x, mstype.float32), cast(y, mstype.float32)
    return apply("RealDiv", x, y)


def neg(x):
    """out = -x."""
    return apply("Neg", as_tensor(x))


def maximum(x, y):
    """out = max(x, y) elementwise; the gradient goes to x where x > y, to y where y > x, and half to
    each where x == y (MindSpore's MaximumGrad)."""
    return apply("Maximum", *promote(x, y))


def minimum(x, y):
    """out = min(x, y) elementwise; the gradient goes to x where x < y, to y where y < x, and half to
    each where x == y (MindSpore's MinimumGrad)."""
    return apply("Minimum", *promote(x, y))


def greater(x, y):
    return apply("Greater", *promote(x, y))


def greater_equal(x, y):
    return apply("GreaterEqual", *promote(x, y))


def less(x, y):
    return apply("Less", *promote(x, y))


def less_equal(x, y):
    return apply("LessEqual", *promote(x, y))


def equal(x, y):
    return apply("Equal", *promote(x, y))


def not_equal(x, y):
    return apply("NotEqual", *promote(x, y))


def logical_and(x, y):
    return apply("LogicalAnd", as_tensor(x), as_tensor(y))


def logical_or(x, y):
    return apply("LogicalOr", as_tensor(x), as_tensor(y))


def logical_not(x):
    return apply("LogicalNot", as_tensor(x))


def cast(x, dtype):
    """Convert ``x`` to ``dtype`` (a minispore dtype or numpy dtype)."""
    x = as_tensor(x)
    np_dtype = mstype.to_np(dtype)
    if x.dtype.np == np_dtype:
        return x
    return apply("Cast", x, dtype=np_dtype)


def select(cond, x, y):
    """out[i] = x[i] if cond[i] else y[i] (broadcasting); MindSpore's ``ops.select``."""
    cond = as_tensor(cond)
    x, y = promote(x, y)
    return apply("Select", cond, x, y)


where = select


def zeros_like(x):
    """A Tensor of zeros with x's shape and dtype."""
    return fill(x.dtype, x.shape, 0)


def ones_like(x):
    return fill(x.dtype, x.shape, 1)


def fill(dtype, shape, value):
    """A Tensor of ``shape`` filled with ``value`` (a constant; folded into the graph)."""
    np_dtype = mstype.to_np(dtype)
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or \
            any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in shape):
        fail("Fill", f"the 'shape' must be a tuple of non-negative ints, but got {shape!r}")
    shape = tuple(int(s) for s in shape)
    check_alloc("Fill", shape, np_dtype)  # made now, while tracing: refuse a size the host can never hold
    return Tensor(np.full(shape, value, dtype=np_dtype))


def zeros(shape, dtype=mstype.float32):
    return fill(dtype, shape, 0)


def ones(shape, dtype=mstype.float32):
    return fill(dtype, shape, 1)


__all__ = ["add", "sub", "mul", "div", "neg", "maximum", "minimum", "greater", "greater_equal", "less",
           "less_equal", "equal", "not_equal", "logical_and", "logical_or", "logical_not", "cast", "select",
           "where", "zeros_like", "ones_like", "fill", "zeros", "ones"]
