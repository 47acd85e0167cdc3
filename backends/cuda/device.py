"""Device memory and launch shapes of the GPU target (numba.cuda; loaded only by ``CudaBackend``).

Every generated and hand-written kernel of this target loops grid-stride (``for i in range(cuda.grid(1),
n, cuda.gridsize(1))``), so any launch shape computes the same numbers. ``dims`` picks it: a real GPU
gets enough 256-thread blocks to cover the work (capped: each thread then loops); numba's simulator
runs every CUDA thread as a Python thread (~0.5 ms each), so there it gets at most two blocks of 32.
``cast_like`` and ``same_dtype`` keep the hand-written kernels dtype-generic (one dtype per launch).
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


@cuda.jit(device=True, inline="always")
def cast_like(a, v):
    """``v`` converted to the element type of array ``a`` (a typed zero: ``cast_like(out, 0)``), so the
    kernels accumulate in their data's dtype: float64 in float64, float32 free of float64 instructions. A
    1-element local array does the conversion: numba would widen ``float32 op int64`` to float64, and a
    plain Python literal is a double. Kernels take their typed zero once, before the grid-stride loop:
    free on a GPU, while in the simulator every device-function call costs tens of microseconds."""
    t = cuda.local.array(1, a.dtype)
    t[0] = v
    return t[0]


def same_dtype(op, *arrays):
    """The kernels compute in their output's dtype: inputs of another dtype would be converted on every
    read, so refuse them (the ops' infer rules already require one dtype)."""
    if len({a.dtype for a in arrays}) > 1:
        raise NotImplementedError(f"the GPU kernel of {op} needs one dtype (got {[str(a.dtype) for a in arrays]})")


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
