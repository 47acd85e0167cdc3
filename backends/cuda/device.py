"""Device memory and launch shapes of the GPU target (numba.cuda; loaded only by ``CudaBackend``).

Every generated and hand-written kernel of this target loops grid-stride (``for i in range(cuda.grid(1),
n, cuda.gridsize(1))``), so any launch shape computes the same numbers. ``dims`` picks it: a real GPU
gets enough 256-thread blocks to cover the work (capped: each thread then loops); numba's simulator
runs every CUDA thread as a Python thread (~0.5 ms each), so there it gets at most two blocks of 32.
"""

import numpy as np
from numba import config, cuda

from ..base import Storage

SIMULATED = bool(config.ENABLE_CUDASIM)
BLOCK = 32 if SIMULATED else 256
MAX_BLOCKS = 2 if SIMULATED else 4096


def dims(n):
    """(blocks, threads per block) of a grid-stride launch over ``n`` items."""
    return max(1, min(MAX_BLOCKS, -(-int(n) // BLOCK))), BLOCK


def flat(a):
    """The device array ``a`` as 1-D (a view: buffers and bound parameters are contiguous)."""
    return a.reshape(a.size) if a.ndim != 1 else a


def require_float32(op, *arrays):
    """The hand-written kernels of this target accumulate in float32 (no float64 instructions): refuse
    other dtypes instead of rounding them."""
    for a in arrays:
        if a.dtype != np.float32:
            raise NotImplementedError(f"the GPU kernel of {op} runs float32 only (got {a.dtype})")


class CudaStorage(Storage):
    """Tensors as numba device arrays: ``to_device`` copies a host array to the device once (at bind),
    ``to_host`` copies back (``Parameter.asnumpy`` and checkpoints), ``copy_in`` overwrites on device."""

    def alloc(self, shape, dtype):
        return cuda.device_array(shape, np.dtype(dtype))

    def to_device(self, array):
        array = np.asarray(array)  # (np.ascontiguousarray makes a 0-d array 1-d: keep the shape)
        return cuda.to_device(np.ascontiguousarray(array).reshape(array.shape))

    def to_host(self, handle):
        return handle.copy_to_host()

    def copy_in(self, handle, array):
        handle.copy_to_device(np.ascontiguousarray(array, dtype=handle.dtype).reshape(handle.shape))


_SCRATCH = {}


def scratch(name, shape, dtype):
    """A device work buffer (im2col columns, GEMM results) kept between calls: every launch of this
    target goes to one stream in order, so one buffer per (name, shape, dtype) is never used twice at once."""
    key = (name, tuple(shape), np.dtype(dtype).str)
    if key not in _SCRATCH:
        _SCRATCH[key] = cuda.device_array(shape, np.dtype(dtype))
    return _SCRATCH[key]
