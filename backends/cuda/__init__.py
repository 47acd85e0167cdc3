"""The GPU target (numba-cuda). Importing this package imports no numba.cuda: the backend loads its
device half (storage, emitter, kernels) when it is created, so the core install and the CPU/Ascend
targets never need numba-cuda."""

from .backend import CudaBackend

__all__ = ["CudaBackend"]
