"""Op test cases for ops/random_ops.py. The mask is a deterministic function of its counter input
and seed attribute (Philox-4x32-10, four elements per block), so the kernel must reproduce the numpy
reference bit for bit: sizes that are not a multiple of four, 64-bit seeds and counters above 2**32."""

import numpy as np

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)

CASES = {
    "DropoutMask": [dict(inputs=[np.array(3, np.int64)],
                         attrs=dict(shape=(4, 5), keep_prob=0.7, seed=123, scale=1 / 0.7, dtype=F32)),
                    dict(inputs=[np.array(0, np.int64)],
                         attrs=dict(shape=(64,), keep_prob=0.5, seed=2**31 - 1, scale=1.0, dtype=F64)),
                    dict(inputs=[np.array(2**33 + 5, np.int64)],
                         attrs=dict(shape=(3, 7, 5), keep_prob=0.9, seed=2**64 - 2, scale=1 / 0.9, dtype=F32)),
                    dict(inputs=[np.array(1, np.int64)],
                         attrs=dict(shape=(1,), keep_prob=1.0, seed=0, scale=1.0, dtype=F32))],
}
