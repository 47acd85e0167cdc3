"""FusedElementwise: a chain (or tree) of elementwise ops computed in one loop, made by the
elementwise-fusion pass after autodiff (so it is never differentiated).

attrs:
  * ``program``: tuple of instructions ``(op name, (refs...), scalar attr values, dtype str)``;
    a ref is ``("i", k)`` (external input k) or ``("t", j)`` (the result of instruction j).
    Every intermediate is rounded to its own dtype, so results equal the unfused graph's.
  * ``stores``: tuple of ``(j, k)``: write instruction j's result into input k in place (a fused
    Assign to a Parameter).
  * ``result``: instruction whose value is the node's output, or None when the output is the
    Parameter written by the last store (a fused Assign was the group's root).
  * ``shape``/``dtype``: the output's; every input is either that shape or a single element.
  * ``ops``/``scopes``: the member ops and their cell scopes, for dumps.
"""

import numpy as np

from .registry import OPS, OpDef, OpKind, register


def _infer(specs, program, stores, result, shape, dtype, ops, scopes=()):
    for s in specs:
        if s.shape != tuple(shape) and int(np.prod(s.shape, dtype=np.int64)) != 1:
            raise ValueError(f"a fused input of shape {list(s.shape)} is neither {list(shape)} nor one element")
    return tuple(shape), np.dtype(dtype)


def _reference(*arrays, program, stores, result, shape, dtype, ops, scopes=()):
    values = []

    def get(ref):
        return arrays[ref[1]] if ref[0] == "i" else values[ref[1]]

    for name, refs, attr_values, out_dtype in program:
        op = OPS[name]
        kw = dict(zip(op.scalar_attrs, attr_values))
        if name == "Cast":
            kw = {"dtype": np.dtype(out_dtype)}
        values.append(np.asarray(op.reference(*[get(r) for r in refs], **kw)).astype(out_dtype))
    for j, k in stores:
        np.copyto(arrays[k], np.broadcast_to(values[j], arrays[k].shape), casting="unsafe")
    if result is None:
        return arrays[stores[-1][1]]
    return np.broadcast_to(values[result], shape)


def _writes(node):
    return tuple(k for _, k in node.attrs["stores"])


def _alias(node):
    return node.attrs["stores"][-1][1] if node.attrs["result"] is None else None


register(OpDef("FusedElementwise", infer=_infer, reference=_reference, nondiff=True, impure=True,
               writes=_writes, alias=_alias, kind=OpKind.FUSED))

__all__ = []
__primitives__ = []


# ---- MultiTensorFused: one FusedElementwise program over several tensors ----------------------------
# attrs: program/stores as above (per tensor), ``arity`` inputs per tensor, ``tensors`` count, ``full``:
# per input slot, whether it is full-size (else a single element). Inputs are tensor 0's, then 1's ...

def _mt_infer(specs, program, stores, arity, tensors, full, ops, scopes=()):
    if len(specs) != arity * tensors:
        raise ValueError(f"expected {arity * tensors} inputs, got {len(specs)}")
    first = specs[:arity]
    target = first[stores[-1][1]]
    return target.shape, target.dtype


def _mt_reference(*arrays, program, stores, arity, tensors, full, ops, scopes=()):
    for t in range(tensors):
        chunk = arrays[t * arity:(t + 1) * arity]
        _reference(*chunk, program=program, stores=stores, result=None, shape=chunk[stores[-1][1]].shape,
                   dtype=chunk[stores[-1][1]].dtype, ops=ops)
    return arrays[stores[-1][1]]


def _mt_writes(node):
    a = node.attrs["arity"]
    return tuple(t * a + k for t in range(node.attrs["tensors"]) for _, k in node.attrs["stores"])


register(OpDef("MultiTensorFused", infer=_mt_infer, reference=_mt_reference, nondiff=True, impure=True,
               writes=_mt_writes, alias=lambda node: node.attrs["stores"][-1][1],
               kind=OpKind.MULTI_TENSOR))
