"""Floor division and floor modulo (Python's ``//`` and ``%`` on Tensors): ``ops.floor_div`` (also
``floor_divide``), ``ops.floor_mod`` (also ``remainder``) and the ``FloorDiv`` / ``FloorMod`` primitives.

Composites of existing ops: ``floor_div = floor(x / y)`` (integers divide in float64 and are cast back),
``floor_mod = x - floor_div(x, y) * y`` (the sign of ``y``, as Python and MindSpore). Their gradients
follow from the parts: ``Floor`` is not differentiable, so ``d floor_mod / dx = 1`` and
``d floor_mod / dy = -floor(x / y)``, as MindSpore's ``FloorMod`` gradient."""

from ..graph import dtype as mstype
from .arithmetic import cast, div, mul, sub
from .elementwise_base import promote
from .math import floor
from .primitive_base import simple_primitive


def floor_div(input, other):
    """out = floor(input / other), in the promoted dtype of the inputs (broadcasting)."""
    x, y = promote(input, other)
    if x.dtype.np.kind == "f":
        return floor(div(x, y))
    q = floor(div(cast(x, mstype.float64), cast(y, mstype.float64)))
    return cast(q, x.dtype)


def floor_mod(x, y):
    """out = x - floor(x / y) * y: the remainder with the sign of ``y`` (broadcasting)."""
    x, y = promote(x, y)
    return sub(x, mul(floor_div(x, y), y))


floor_divide = floor_div
remainder = floor_mod

FloorDiv = simple_primitive("FloorDiv", floor_div)
FloorMod = simple_primitive("FloorMod", floor_mod)

__all__ = ["floor_div", "floor_divide", "floor_mod", "remainder"]
__primitives__ = [FloorDiv, FloorMod]
