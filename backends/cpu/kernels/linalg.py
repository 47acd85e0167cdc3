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


def _epilogue_args(node):
    return (*_transpose_flags(node), ("bias", "bias_relu", "relu_grad").index(node.attrs["epilogue"]))


@kernel("MatMulEpilogue", "CPU", args=_epilogue_args)
def matmul_epilogue_kernel(a, b, c, out, transpose_a, transpose_b, epilogue):
    # BLAS writes the product (transpose flags, no copies), then one pass over the still-cached output applies
    # what were separate kernels: + bias (0), + bias then ReLU (1), or ReluGrad's mask c > 0 (2). Each branch
    # is the scalar body of the op it replaces (ops/activation.py), so the numbers are the unfused ones.
    matmul_kernel(a, b, out, transpose_a, transpose_b)
    m, n = out.shape
    if m == 0 or n == 0:
        return
    rows = c.reshape((c.size // n, n))  # (1, n) for a bias, (m, n) for a mask: one type, one compiled kernel
    for i in range(m):
        row, other = out[i], rows[min(i, rows.shape[0] - 1)]
        if epilogue == 2:
            for j in range(n):
                if not other[j] > 0:
                    row[j] = 0
        else:
            for j in range(n):
                v = row[j] + other[j]
                if epilogue == 1 and v <= 0:
                    row[j] = 0
                else:
                    row[j] = v
