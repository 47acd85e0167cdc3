"""minispore.ops: primitives (``ops.MatMul()``, also ``ops.operations``), functional forms (``ops.matmul``,
also ``ops.functional``), composites (``ops.composite``) and gradients.

Importing this package registers every op definition. Each op module lists its functional forms in
``__all__`` and its primitive classes in ``__primitives__``; both are gathered here.
"""

from ..graph.session import SESSION

# float_status: the overflow check's internal ops; operations and composite: ``ops.operations as P``, ``as C``
from . import composite, float_status, functional, operations  # noqa: F401
from .functional import *  # noqa: F401,F403
from .grad_api import GradOperation, grad, value_and_grad  # noqa: F401
from .operations import *  # noqa: F401,F403  (every primitive class: ops.MatMul ...)
from .registry import OPS, OpError  # noqa: F401

SESSION.functional = functional  # Tensor's operators and RowTensor's arithmetic call through it
