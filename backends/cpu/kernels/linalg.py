"""CPU kernels of MatMul, MatMulEpilogue and BatchMatMul (ops/matmul.py, ops/matmul_epilogue.py).

A 2-D product is one BLAS call on the operands as they are (a transposed operand is passed as the F-ordered
view ``a.T`` and becomes BLAS's transpose flag: never a copy). MatMul and MatMulEpilogue make it from Python
with ``np.matmul(out=)`` (host kernels): numpy's OpenBLAS (0.3.31 here) ran this MLP's GEMMs 5-10 % faster
than SciPy's (0.3.30), which numba's np.dot calls, measured interleaved in CPU time on the 2-core EPYC;
numba adds nothing around a single BLAS call, and compiling numba's np.dot cost ~1 s of CPU at a cold start-up.
BatchMatMul loops in numba (np.dot per matrix)."""

import numpy as np

from ...base import kernel


def _transpose_flags(node):
    return (bool(node.attrs.get("transpose_a", False)), bool(node.attrs.get("transpose_b", False)))


def _epilogue_args(node):
    return (*_transpose_flags(node), ("bias", "bias_relu", "relu_grad").index(node.attrs["epilogue"]))


@kernel("MatMul", "CPU", args=_transpose_flags, jit=False)
def matmul_kernel(a, b, out, transpose_a, transpose_b):
    np.matmul(a.T if transpose_a else a, b.T if transpose_b else b, out=out)


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



def matmul_epilogue_pass(c, out, epilogue):
    # One pass over the product while it is still in cache, doing what were separate kernels: + bias (0),
    # + bias then ReLU (1), or ReluGrad's mask c > 0 (2). Each branch is the scalar body of the op it replaces
    # (ops/activation.py), so the numbers are the unfused ones.
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


@kernel("MatMulEpilogue", "CPU", helpers=(matmul_epilogue_pass,), args=_epilogue_args, jit=False)
def matmul_epilogue_kernel(a, b, c, out, transpose_a, transpose_b, epilogue, epilogue_pass):
    np.matmul(a.T if transpose_a else a, b.T if transpose_b else b, out=out)
    epilogue_pass(c, out, epilogue)
