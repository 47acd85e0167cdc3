"""CPU target: numba ``@njit`` kernels orchestrated by a generated Python step."""

from .backend import CpuBackend, CpuPlan

__all__ = ["CpuBackend", "CpuPlan"]
