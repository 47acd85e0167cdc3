"""CPU kernels of ops/random_ops.py: the dropout mask from Philox-4x32-10.

Each block of four mask elements is one Philox block of (block index, step counter) under the op's key,
computed by the helpers that the numpy reference runs vectorised, so the kernel draws the reference's
mask bit for bit. No block depends on another: the loop is a ``prange`` (parallel in the opt-in
parallel library for masks of at least PARALLEL_MIN elements) and gives the same mask on any number
of threads.
"""

import numpy as np

from ....ops.random_ops import dropout_mask_args, philox4x32_10, philox_uniform
from ...base import kernel
from ..kernel_library import PARALLEL_MIN

# The kernel is compiled inside the kernel library, whose header imports numba's prange; this module only
# holds its source, and as plain Python prange is range (so ``import minispore`` does not need numba).
prange = range


def dropout_mask_block(of, b, step, k0, k1, keep_prob, scale):
    """Elements 4b .. 4b+3 of the flat mask ``of`` (those that exist)."""
    m32 = np.uint64(0xFFFFFFFF)
    ub = np.uint64(b)
    words = philox4x32_10(ub & m32, ub >> np.uint64(32), step & m32, step >> np.uint64(32), k0, k1)
    i0 = 4 * b
    for j in range(min(4, of.size - i0)):
        of[i0 + j] = scale if philox_uniform(words[j]) < keep_prob else 0.0


@kernel("DropoutMask", "CPU", helpers=(philox4x32_10, philox_uniform, dropout_mask_block), args=dropout_mask_args)
def dropout_mask_kernel(counter, out, keep_prob, key0, key1, scale):
    step = np.uint64(counter.reshape(counter.size)[0])
    k0 = np.uint64(key0)
    k1 = np.uint64(key1)
    of = out.reshape(out.size)
    blocks = (of.size + 3) // 4
    if of.size >= PARALLEL_MIN:
        for b in prange(blocks):
            dropout_mask_block(of, b, step, k0, k1, keep_prob, scale)
    else:
        for b in range(blocks):
            dropout_mask_block(of, b, step, k0, k1, keep_prob, scale)
