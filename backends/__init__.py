"""Device targets: CPU (numba njit), GPU (numba CUDA), Ascend (simulated on the CPU), and the reference
executor (the ops' numpy references). A target imports its heavy dependencies (numba.cuda) only when its
backend is created."""

from .ascend import AscendBackend
from .cpu import CpuBackend
from .cuda import CudaBackend
from .reference import ReferenceBackend
from .registry import available_targets, backend_options, backend_pass_names, create_backend, register_backend

register_backend("CPU", CpuBackend)
register_backend("GPU", CudaBackend)
register_backend("Ascend", AscendBackend)
register_backend("reference", ReferenceBackend, device=False)

__all__ = ["available_targets", "backend_options", "backend_pass_names", "create_backend", "register_backend"]
