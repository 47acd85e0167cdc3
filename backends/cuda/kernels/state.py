"""GPU kernel of Assign (ops/state.py): an in-place copy into the Parameter's device array, which is
also the node's value (no ``out``)."""

from numba import cuda

from ...base import kernel
from ..device import dims, flat


@cuda.jit(cache=True)
def copy_kernel(dst, src):
    """dst[i] = src[i] over flat arrays of one size."""
    for i in range(cuda.grid(1), dst.size, cuda.gridsize(1)):
        dst[i] = src[i]


@cuda.jit(cache=True)
def fill_kernel(dst, value):
    """dst[i] = value (cast to dst's dtype)."""
    for i in range(cuda.grid(1), dst.size, cuda.gridsize(1)):
        dst[i] = value


@kernel("Assign", "GPU")
def assign(param, value, err):
    copy_kernel[dims(param.size)](flat(param), flat(value))


PTX = [(copy_kernel, "void(float32[::1], float32[::1])"), (fill_kernel, "void(float32[::1], float32)")]
