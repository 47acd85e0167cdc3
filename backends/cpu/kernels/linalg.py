"""CPU kernels of MatMul and BatchMatMul (defined in ops/matmul.py): BLAS through numba's np.dot.

MatMul is a host kernel (``jit=False``): one numpy ``np.dot`` into ``out``, which passes the transposed
operands to sgemm/dgemm as transpose flags (no copies), as numba's np.dot did. Compiling the jitted
version (np.dot inside njit) took ~1 s of CPU at a cold LeNet-5 start-up; a step calls it a few times,
where numpy's call costs a few microseconds more than numba's dispatch."""

import numpy as np

from ...base import kernel


def _transpose_flags(node):
    return (bool(node.attrs.get("transpose_a", False)), bool(node.attrs.get("transpose_b", False)))


@kernel("MatMul", "CPU", args=_transpose_flags, jit=False)
def matmul_kernel(a, b, out, transpose_a, transpose_b):
    np.dot(a.T if transpose_a else a, b.T if transpose_b else b, out=out)


@kernel("BatchMatMul", "CPU", args=_transpose_flags)
def batch_matmul_kernel(a, b, out, transpose_a, transpose_b):
    for i in range(a.shape[0]):
        if transpose_a:
            if transpose_b:
                np.dot(a[i].T, b[i].T, out[i])
            else:
                np.dot(a[i].T, b[i], out[i])
        else:
            if transpose_b:
                np.dot(a[i], b[i].T, out[i])
            else:
                np.dot(a[i], b[i], out[i])
