"""``minispore.ops.operations`` (``from minispore.ops import operations as P``): MindSpore's primitive
classes (``P.MatMul()``, ``P.ReduceSum(keep_dims=True)``, ``P.Softmax()`` ...), gathered from the op
modules that define them (each lists its classes in ``__primitives__``) and from primitives.py.
``minispore.ops`` re-exports all of them."""

from . import functional as _functional
from . import primitives as _primitives
from .primitive_base import Primitive

__all__ = ["Primitive"]
for _mod in [_primitives] + list(_functional.MODULES):
    _classes = getattr(_mod, "__primitives__", None)
    if _classes is None:  # primitives.py: every public Primitive subclass it defines
        _classes = [v for k, v in vars(_mod).items() if not k.startswith("_") and isinstance(v, type)
                    and issubclass(v, Primitive) and v is not Primitive]
    for _cls in _classes:
        if _cls.__name__ not in globals():
            __all__.append(_cls.__name__)
        globals()[_cls.__name__] = _cls
del _mod, _classes, _cls
