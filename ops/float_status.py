"""The overflow check's ops: the verdict of ``amp.all_finite`` and what a target whose float unit saturates
needs to keep a float-status register (Ascend 910, ``backends/ascend/saturation.py``). Target-neutral: on
the CPU they compute exactly what ``all_finite`` always computed.

The check works on an *overflow sentinel*: for a float tensor x, sum(x * 0) (or sum(x - x)) is 0 when
every element is finite and NaN as soon as one is inf or NaN (inf * 0 and inf - inf are NaN, and NaN
survives every addition), so the sentinels of several tensors add up to one sentinel of them all.

  * ``AllFinite(s)``: the verdict, isfinite(s) for a sentinel s of shape (): True when no checked element
    was inf or NaN. ``amp.all_finite`` ends in this one node, so a target can find where the step reads
    overflow and add what its float-status register saw (the Ascend pass adds the sentinels of its
    saturated values: ``isfinite(s + s_1 + ... + s_k)``).
  * ``ClearFloatStatus(x, after)``: returns x (a view: nothing runs); marks that the float-status register
    is cleared once ``after`` has been computed, and that what reads x runs after the clear (MindSpore's
    ``start_overflow_check(pre_cond=after, compute_input=x)``, which calls ``NPUClearFloatStatusV2``).
    The loss-scale cell clears after the forward loss, so only the backward's overflow counts.
  * ``Saturate(x, limit)``: saturation mode's result, clamp(x, -limit, limit) with NaN -> 0 (limit: the
    dtype's largest finite value, 65504 for float16). Inserted by a target pass after autodiff.
"""

import math

import numpy as np

from .registry import OpDef, OpKind, apply, register

FLOAT16_MAX = float(np.finfo(np.float16).max)  # 65504.0


def _all_finite_infer(specs):
    s = specs[0]
    if s.dtype.kind != "f" or s.shape != ():
        raise TypeError(f"the overflow sentinel must be a float scalar, but got {s}")
    return (), np.dtype(np.bool_)


def _all_finite(s):
    return math.isfinite(s)


register(OpDef("AllFinite", infer=_all_finite_infer, reference=np.isfinite, nondiff=True, scalar=_all_finite))


def _clear_infer(specs):
    return specs[0].shape, specs[0].dtype


# A view of x: free on every target; its place in graph order (after ``after``) is the clear.
register(OpDef("ClearFloatStatus", infer=_clear_infer, reference=lambda x, after: x,
               grad=lambda ctx, ins, out, d: [d, None], kind=OpKind.VIEW))


def _saturate_infer(specs, limit):
    if specs[0].dtype.kind != "f":
        raise TypeError(f"the input must be a float Tensor, but got {specs[0].dtype}")
    return specs[0].shape, specs[0].dtype


def _saturate(x, limit):
    if x != x:  # NaN
        return 0.0
    return max(-limit, min(x, limit))


def _saturate_reference(x, limit):
    return np.clip(np.nan_to_num(x, nan=0.0, posinf=limit, neginf=-limit), -limit, limit).astype(x.dtype)


register(OpDef("Saturate", infer=_saturate_infer, reference=_saturate_reference, nondiff=True, scalar=_saturate,
               scalar_attrs=("limit",)))


def overflow_verdict(sentinel):
    """``AllFinite(sentinel)``: the bool scalar Tensor 'nothing overflowed' (see the module docstring)."""
    return apply("AllFinite", sentinel)


def clear_float_status(compute_input, pre_cond):
    """``compute_input``, read after the float-status register is cleared, which happens once ``pre_cond``
    has been computed."""
    return apply("ClearFloatStatus", compute_input, pre_cond)


__all__ = []
__primitives__ = []
