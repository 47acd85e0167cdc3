"""GPU kernel of DropoutMask (ops/random_ops.py): the dropout mask from Philox-4x32-10, bit for bit the CPU's.

One thread per Philox block b (grid-stride): the block of counter (b & 0xffffffff, b >> 32, step & 0xffffffff,
step >> 32) under the key (seed & 0xffffffff, seed >> 32) gives mask elements 4b .. 4b+3, word j for element
4b + j, exactly as the CPU kernel and the numpy reference draw them. The round function is the very
``philox4x32_10`` of ops/random_ops.py, compiled here as a CUDA device function: it computes on uint64
values below 2**32, so each 32x32-bit product is exact in 64 bits (the high word is ``p >> 32``, the low
``p & 0xffffffff``) and no int64 promotion can occur (every constant is a ``np.uint64``).

The CPU keeps element i when u = (word >> 8) * 2**-24 < keep_prob (float64, exact). Here the same test is
done in integers, m = word >> 8 < ceil(keep_prob * 2**24) (keep_prob * 2**24 is exact in float64, and for
an integer m, m < x iff m < ceil(x)), so a float32 mask needs no float64 instruction.
"""

import math

import numpy as np
from numba import cuda

from ....ops.random_ops import dropout_mask_args, philox4x32_10
from ...base import kernel
from ..device import dims, flat

_philox = cuda.jit(device=True, inline="always")(philox4x32_10)


@cuda.jit(cache=True)
def dropout_mask_kernel(counter, out, key0, key1, threshold, scale):
    """out[4b + j] = scale if (philox4x32_10(b, step; key)[j] >> 8) < threshold else 0, step = counter[0]."""
    m32 = np.uint64(0xFFFFFFFF)
    s32 = np.uint64(32)
    s8 = np.uint64(8)
    step = np.uint64(counter[0])
    n = out.size
    for b in range(cuda.grid(1), (n + 3) // 4, cuda.gridsize(1)):
        ub = np.uint64(b)
        words = _philox(ub & m32, ub >> s32, step & m32, step >> s32, key0, key1)
        i0 = 4 * b
        for j in range(min(4, n - i0)):
            if (words[j] >> s8) < threshold:
                out[i0 + j] = scale
            else:
                out[i0 + j] = 0


def keep_threshold(keep_prob):
    """ceil(keep_prob * 2**24): the integer m = word >> 8 is kept iff m < this (iff m * 2**-24 < keep_prob)."""
    return math.ceil(float(keep_prob) * 16777216.0)


@kernel("DropoutMask", "GPU", args=dropout_mask_args)
def dropout_mask(counter, out, keep_prob, key0, key1, scale, err):
    if out.size:
        of = flat(out)
        dropout_mask_kernel[dims((out.size + 3) // 4)](
            flat(counter), of, np.uint64(key0), np.uint64(key1), np.uint64(keep_threshold(keep_prob)),
            of.dtype.type(scale))


PTX = [(dropout_mask_kernel, "void(int64[::1], float32[::1], uint64, uint64, uint64, float32)")]
