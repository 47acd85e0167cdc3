"""CPU kernels of MatMul and BatchMatMul (defined in ops/matmul.py): BLAS through numba's np.dot."""

import numpy as np

from ...base import kernel


def _transpose_flags(node):
    return (bool(node.attrs.get("transpose_a", False)), bool(node.attrs.get("transpose_b", False)))


@kernel("MatMul", "CPU", args=_transpose_flags)
def matmul_kernel(a, b, out, transpose_a, transpose_b):
    # Separate branches so each np.dot sees exact (C or F) layouts and calls BLAS directly.
    if transpose_a:
        if transpose_b:
            np.dot(a.T, b.T, out)
        else:
            np.dot(a.T, b, out)
    else:
        if transpose_b:
            np.dot(a, b.T, out)
        else:
            np.dot(a, b, out)


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
