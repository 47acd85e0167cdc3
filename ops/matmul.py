"""MatMul (2-D, with transpose flags) and BatchMatMul, and ``ops.matmul`` on any ranks with numpy's rules
(composed from them, BroadcastTo and Reshape). The kernels are in backends/<target>/kernels/linalg.py."""

import numpy as np

from ..graph.dtype import is_float
from .broadcast import broadcast_to
from .elementwise_base import broadcast_shapes
from .matmul_blocked import blocked
from .registry import OpDef, apply, as_tensor, check_same_type, register, type_name
from .shape_base import reshape, transpose


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
    """out = x @ y with numpy's ``matmul`` rules, as MindSpore's functional ``ops.matmul``:

    * 2-D x 2-D: out[i, j] = sum_k x[i, k] y[k, j] (one MatMul);
    * a 1-D x is a row (1, k) and a 1-D y a column (k, 1), the added axis removed from the result
      (1-D x 1-D is the dot product, a 0-D Tensor);
    * N-D: the last two axes are matrices, the leading (batch) axes broadcast:
      out[..., i, j] = sum_k x[..., i, k] y[..., k, j].

    ``transpose_a``/``transpose_b`` (minispore's extension, used by Dense and the gradient rules) swap
    the last two axes of a 2-D-or-more input first. x and y must have the same float dtype (a TypeError
    otherwise, as MindSpore's matmul: no implicit promotion)."""
    x, y = as_tensor(x), as_tensor(y)
    if x.ndim == 2 and y.ndim == 2:
        return apply("MatMul", x, y, transpose_a=bool(transpose_a), transpose_b=bool(transpose_b))
    if x.ndim == 3 and y.ndim == 3 and x.shape[0] == y.shape[0]:
        return batch_matmul(x, y, transpose_a, transpose_b)
    return _matmul_nd(x, y, transpose_a, transpose_b)


def _swap_last(t):
    perm = tuple(range(t.ndim - 2)) + (t.ndim - 1, t.ndim - 2)
    return transpose(t, perm)


def _matmul_nd(x, y, transpose_a, transpose_b):
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"For 'matmul', the inputs must not be scalars, but got x1 shape {list(x.shape)} and "
                         f"x2 shape {list(y.shape)}")
    row, col = x.ndim == 1, y.ndim == 1
    x = reshape(x, (1, x.shape[0])) if row else (_swap_last(x) if transpose_a else x)
    y = reshape(y, (y.shape[0], 1)) if col else (_swap_last(y) if transpose_b else y)
    (m, k1), (k2, n) = x.shape[-2:], y.shape[-2:]
    if k1 != k2:
        raise ValueError(f"For 'matmul', the inner dimensions must be equal, but got x1 shape {list(x.shape)} "
                         f"and x2 shape {list(y.shape)}")
    batch = broadcast_shapes("MatMul", [x.shape[:-2], y.shape[:-2]])
    if y.ndim == 2:  # a batch of x rows against one matrix: a single 2-D MatMul on the stacked rows
        out = apply("MatMul", reshape(x, (-1, k1)), y, transpose_a=False, transpose_b=False)
    else:
        size = int(np.prod(batch, dtype=np.int64))
        xb = reshape(broadcast_to(x, batch + (m, k1)), (size, m, k1))
        yb = reshape(broadcast_to(y, batch + (k2, n)), (size, k2, n))
        out = batch_matmul(xb, yb)
    shape = batch + ((m,) if not row else ()) + ((n,) if not col else ())
    return reshape(out, shape)


def batch_matmul(x, y, transpose_a=False, transpose_b=False):
    """out[i] = op(x[i]) @ op(y[i]) for 3-D inputs of the same dtype."""
    x, y = as_tensor(x), as_tensor(y)
    return apply("BatchMatMul", x, y, transpose_a=bool(transpose_a), transpose_b=bool(transpose_b))


def matmul_2d(x, y, transpose_a=False, transpose_b=False):
    """The ``ops.MatMul()`` primitive: op(x) @ op(y) for 2-D x and y only (MindSpore's MatMul contract)."""
    x, y = as_tensor(x), as_tensor(y)
    return apply("MatMul", x, y, transpose_a=bool(transpose_a), transpose_b=bool(transpose_b))


__all__ = ["matmul", "batch_matmul"]
