"""``minispore.ops.composite`` (``from minispore.ops import composite as C``): MindSpore's composite
operations that minispore has, re-exported: ``C.GradOperation``, ``C.grad``, ``C.value_and_grad``,
``C.ones_like``, ``C.zeros_like``, ``C.matmul`` (numpy's broadcasting rules)."""
# ruff: noqa: F401

from .arithmetic import ones_like, zeros_like
from .grad_api import GradOperation, grad, value_and_grad
from .matmul import matmul

__all__ = ["GradOperation", "grad", "value_and_grad", "ones_like", "zeros_like", "matmul"]
