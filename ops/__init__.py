"""minispore.ops: primitives (``ops.MatMul()``), functional forms (``ops.matmul``) and gradients.

Importing this package registers every op definition. Each op module lists its functional forms in
``__all__`` and its primitive classes in ``__primitives__``; both are gathered here.
"""

from ..graph.session import SESSION
from . import float_status, functional  # noqa: F401  (float_status: the overflow check's internal ops)
from .functional import *  # noqa: F401,F403
from .grad_api import GradOperation, grad, value_and_grad  # noqa: F401
from .primitives import *  # noqa: F401,F403
from .registry import OPS, OpError  # noqa: F401

SESSION.functional = functional  # Tensor's operators and RowTensor's arithmetic call through it

for _mod in functional.MODULES:
    for _cls in getattr(_mod, "__primitives__", ()):
        globals()[_cls.__name__] = _cls
del _mod
