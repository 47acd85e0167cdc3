"""CPU target: numba ``@njit`` kernels orchestrated by a generated Python step."""

from .backend import CpuBackend, CpuPlan
from .kernels import random  # noqa: F401  (moves to backends/cpu/kernels/__init__.py at merge)

__all__ = ["CpuBackend", "CpuPlan"]
