"""MatMulEpilogue: a MatMul whose output pass also applies the elementwise op(s) that consumed it. It is never
traced: the CPU target's epilogue-fusion pass (backends/cpu/epilogue.py) makes it, after autodiff, from

  * ``epilogue="bias"``:      Add(MatMul(a, b), c)            c a 1-D bias over the output's columns;
  * ``epilogue="bias_relu"``: ReLU(Add(MatMul(a, b), c));
  * ``epilogue="relu_grad"``: ReluGrad(MatMul(a, b), c)       c the ReLU's output (its mask: ``c > 0``).

Each element goes through exactly the float operations of the unfused ops (the product rounded to the output
dtype, then ``+ c``, then ReLU), so a fused graph gives the unfused graph's numbers bit for bit."""

import numpy as np

from .matmul import _matmul_infer, _matmul_ref
from .registry import OpDef, register

EPILOGUES = ("bias", "bias_relu", "relu_grad")
__all__ = []  # (no functional form: only a backend pass makes this op)


def _infer(specs, transpose_a=False, transpose_b=False, epilogue="bias"):
    a, b, c = specs
    shape, dtype = _matmul_infer([a, b], transpose_a, transpose_b)
    if epilogue not in EPILOGUES:
        raise ValueError(f"For 'MatMulEpilogue', epilogue must be one of {EPILOGUES}, but got {epilogue!r}")
    want = shape[1:] if epilogue != "relu_grad" else shape
    if tuple(c.shape) != tuple(want) or c.dtype != dtype:
        raise ValueError(f"For 'MatMulEpilogue' ({epilogue}), the third input must be {dtype} of shape "
                         f"{list(want)}, but got {c.dtype} of shape {list(c.shape)}")
    return shape, dtype


def _reference(a, b, c, transpose_a=False, transpose_b=False, epilogue="bias"):
    y = _matmul_ref(a, b, transpose_a, transpose_b).astype(a.dtype)
    if epilogue == "relu_grad":
        return np.where(c > 0, y, 0).astype(y.dtype)
    y = (y + c).astype(y.dtype)
    return np.where(y <= 0, 0, y).astype(y.dtype) if epilogue == "bias_relu" else y


# nondiff: made after autodiff, only by a backend pass
register(OpDef("MatMulEpilogue", infer=_infer, reference=_reference, nondiff=True))
