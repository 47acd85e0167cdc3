"""MatMul (2-D, with transpose flags) and BatchMatMul. The kernels are in backends/<target>/kernels/linalg.py."""

import numpy as np

from ..graph.dtype import is_float
from .matmul_blocked import blocked
from .registry import OpDef, apply, as_tensor, check_same_type, register, type_name


def _check_types(a, b):
    check_same_type(a, b, "x1", "x2")
    if not is_float(a.dtype):  # (the kernels are BLAS: an int or bool matmul would fail inside numba)
        raise TypeError(f"the 'x1' and 'x2' must be floating-point Tensors, but got {type_name(a.dtype)}")


def _matmul_infer(specs, transpose_a=False, transpose_b=False):
    a, b = specs
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"the inputs must be 2-D, but got x1 shape {list(a.shape)} and x2 shape {list(b.shape)}")
    _check_types(a, b)
    m, k1 = a.shape[::-1] if transpose_a else a.shape
    k2, n = b.shape[::-1] if transpose_b else b.shape
    if k1 != k2:
        raise ValueError(f"the inner dimensions must be equal, but got x1 shape {list(a.shape)} (transpose_a="
                         f"{transpose_a}, k={k1}) and x2 shape {list(b.shape)} (transpose_b={transpose_b}, k={k2})")
    return (m, n), a.dtype


def _matmul_ref(a, b, transpose_a=False, transpose_b=False):
    return np.matmul(a.T if transpose_a else a, b.T if transpose_b else b)


def _matmul_grad(ctx, ins, out, d, transpose_a=False, transpose_b=False):
    a, b = ins
    da = db = None
    if ctx.needs[0]:
        # y = op(a) op(b): d op(a) = d op(b)^T
        da = matmul(b, d, transpose_b, True) if transpose_a else matmul(d, b, False, not transpose_b)
    if ctx.needs[1]:
        db = matmul(d, a, True, transpose_a) if transpose_b else matmul(a, d, not transpose_a, False)
    return [da, db]


# MatMul also runs on Ascend's FRACTAL_NZ layout (attr data_format="FRACTAL_NZ", set by Ascend's layout pass):
# ``blocked`` dispatches on that attr (matmul_blocked.py); ND nodes carry no data_format.
register(OpDef("MatMul", infer=blocked(_matmul_infer, "infer"), reference=blocked(_matmul_ref, "reference"),
               grad=blocked(_matmul_grad, "grad")))


def _bmm_infer(specs, transpose_a=False, transpose_b=False):
    a, b = specs
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ValueError(f"the inputs must be 3-D with the same batch size, but got x1 shape {list(a.shape)} "
                         f"and x2 shape {list(b.shape)}")
    _check_types(a, b)
    m, k1 = a.shape[:0:-1] if transpose_a else a.shape[1:]
    k2, n = b.shape[:0:-1] if transpose_b else b.shape[1:]
    if k1 != k2:
        raise ValueError(f"the inner dimensions must be equal, but got x1 shape {list(a.shape)} and "
                         f"x2 shape {list(b.shape)}")
    return (a.shape[0], m, n), a.dtype


def _bmm_ref(a, b, transpose_a=False, transpose_b=False):
    return np.matmul(a.transpose(0, 2, 1) if transpose_a else a, b.transpose(0, 2, 1) if transpose_b else b)


def _bmm_grad(ctx, ins, out, d, transpose_a=False, transpose_b=False):
    a, b = ins
    da = db = None
    if ctx.needs[0]:
        da = batch_matmul(b, d, transpose_b, True) if transpose_a else batch_matmul(d, b, False, not transpose_b)
    if ctx.needs[1]:
        db = batch_matmul(d, a, True, transpose_a) if transpose_b else batch_matmul(a, d, not transpose_a, False)
    return [da, db]


register(OpDef("BatchMatMul", infer=_bmm_infer, reference=_bmm_ref, grad=_bmm_grad))


def matmul(x, y, transpose_a=False, transpose_b=False):
    """out = op(x) @ op(y), op = transpose when the flag is set (2-D), or batched for 3-D inputs.

    x and y must have the same dtype (a TypeError otherwise, as MindSpore's matmul): no implicit promotion,
    so a float64 or int input to a float32 weight is an error, not a float64 result."""
    x, y = as_tensor(x), as_tensor(y)
    if x.ndim == 3 and y.ndim == 3:
        return batch_matmul(x, y, transpose_a, transpose_b)
    return apply("MatMul", x, y, transpose_a=bool(transpose_a), transpose_b=bool(transpose_b))


def batch_matmul(x, y, transpose_a=False, transpose_b=False):
    """out[i] = op(x[i]) @ op(y[i]) for 3-D inputs of the same dtype."""
    x, y = as_tensor(x), as_tensor(y)
    return apply("BatchMatMul", x, y, transpose_a=bool(transpose_a), transpose_b=bool(transpose_b))


__all__ = ["matmul", "batch_matmul"]
