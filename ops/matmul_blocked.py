"""MatMul on Ascend's FRACTAL_NZ layout (``data_format="FRACTAL_NZ"``).

The Cube multiplies 16x16 fractals, so on an Ascend 910 a MatMul's operands and result are in FRACTAL_NZ
(``layout.py``: a matrix (H, W) is stored as W1 = ceil(W/16) column panels of H1*16 rows x 16 columns, zero
padded). Ascend's layout pass (``backends/ascend/layout.py``) gives each 2-D MatMul those formats; the op is
the same op with three more attrs: ``data_format`` and the logical shapes ``a_shape``, ``b_shape`` of its
stored operands (the padded device shapes cannot give them back). The transpose flags keep their meaning:

    C (M, N) = op(A) @ op(B),  op(X) = X^T if transpose_x else X,  every matrix in FRACTAL_NZ

The reference unpacks the operands, runs the ND reference and packs the result; the gradient is the ND rule
with every product in FRACTAL_NZ.
"""

import functools

from ..graph.opdef import Spec
from .layout import device_shape, from_format, to_format
from .registry import apply

NZ = "FRACTAL_NZ"


def _out_shape(a_shape, b_shape, transpose_a, transpose_b):
    m = a_shape[1] if transpose_a else a_shape[0]
    n = b_shape[0] if transpose_b else b_shape[1]
    return (m, n)


def _infer(nd, specs, a_shape, b_shape, transpose_a=False, transpose_b=False):
    for k, (spec, shape) in enumerate(zip(specs, (a_shape, b_shape))):
        if spec.shape != device_shape(NZ, shape):
            raise ValueError(f"input {k} must be the {NZ} shape {list(device_shape(NZ, shape))} of the logical "
                             f"shape {list(shape)}, but got {list(spec.shape)}")
    shape, dtype = nd([Spec(tuple(a_shape), specs[0].dtype), Spec(tuple(b_shape), specs[1].dtype)],
                      transpose_a=transpose_a, transpose_b=transpose_b)
    return device_shape(NZ, shape), dtype


def _reference(nd, a, b, a_shape, b_shape, transpose_a=False, transpose_b=False):
    out = nd(from_format(NZ, a, a_shape), from_format(NZ, b, b_shape), transpose_a=transpose_a,
             transpose_b=transpose_b)
    return to_format(NZ, out)


def _nz_matmul(x, y, x_shape, y_shape, tx, ty):
    return apply("MatMul", x, y, transpose_a=tx, transpose_b=ty, data_format=NZ, a_shape=tuple(x_shape),
                 b_shape=tuple(y_shape))


def _grad(nd, ctx, ins, out, d, a_shape, b_shape, transpose_a=False, transpose_b=False):
    # ops/matmul.py's rule: d op(a) = d op(b)^T, d op(b) = op(a)^T d, written for the stored operands
    a, b = ins
    d_shape = _out_shape(a_shape, b_shape, transpose_a, transpose_b)
    da = db = None
    if ctx.needs[0]:
        da = (_nz_matmul(b, d, b_shape, d_shape, transpose_b, True) if transpose_a
              else _nz_matmul(d, b, d_shape, b_shape, False, not transpose_b))
    if ctx.needs[1]:
        db = (_nz_matmul(d, a, d_shape, a_shape, True, transpose_a) if transpose_b
              else _nz_matmul(a, d, a_shape, d_shape, not transpose_a, False))
    return [da, db]


_BLOCKED_FN = {"infer": _infer, "reference": _reference, "grad": _grad}


def blocked(nd, what):
    """MatMul's ``what`` ("infer", "reference" or "grad") for both layouts: ``nd`` unless the node's attrs say
    ``data_format="FRACTAL_NZ"`` (ND nodes carry no data_format attr)."""

    @functools.wraps(nd)
    def fn(*args, data_format=None, a_shape=None, b_shape=None, **attrs):
        if data_format in (None, "ND"):
            return nd(*args, **attrs)
        if data_format != NZ:
            raise ValueError(f"For 'MatMul', data_format must be '{NZ}' (or absent: ND), but got {data_format!r}")
        return _BLOCKED_FN[what](nd, *args, a_shape=tuple(a_shape), b_shape=tuple(b_shape), **attrs)

    return fn
