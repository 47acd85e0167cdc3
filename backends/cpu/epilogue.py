"""The CPU target's epilogue fusion: a MatMul and the elementwise ops that read only its product become one
``MatMulEpilogue`` (ops/matmul_epilogue.py), whose kernel lets BLAS write the product and then applies them in
one pass over the output while it is still in cache (kernels/linalg.py):

  forward   ReLU(Add(MatMul(x, w), bias))   -> MatMulEpilogue(x, w, bias, epilogue="bias_relu")
            Add(MatMul(x, w), bias)         -> MatMulEpilogue(x, w, bias, epilogue="bias")   (the last Dense)
  backward  ReluGrad(MatMul(dz, w), y)      -> MatMulEpilogue(dz, w, y, epilogue="relu_grad")

(``BiasAdd`` on a 2-D product is matched like ``Add``.) What it saves on an MLP step: the broadcasting bias
add (a strided kernel), the ReLU pass, the ReluGrad pass and their intermediate buffers; the mask of the
backward pass is the forward's saved ReLU output itself (``y > 0``), never recomputed or stored apart.

Why CPU-only (``CpuBackend.passes()``; not the Ascend target, which reuses the CPU's passes): Ascend's cube
MatMul computes in float16 in its own blocked layout, and the GPU has cuBLASLt's own epilogues. A product
read by anything else (or returned) is left alone, and so are 16-bit floats (the float32 compute pass has
put Casts between the MatMul and its neighbours by then) and Ascend's FRACTAL_NZ MatMul (a data_format).
"""

import numpy as np

from ..half_passes import _Rewriter

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _product(n):
    """Whether ``n`` is a plain 2-D float MatMul this pass may absorb."""
    return n.op == "MatMul" and "data_format" not in n.attrs and n.dtype in _FLOATS and len(n.shape) == 2


def _bias_of(add, mm):
    """The bias that ``add`` adds to the product ``mm`` over its columns, or None."""
    if add.dtype != mm.dtype or add.shape != mm.shape:
        return None
    if add.op == "BiasAdd" and add.inputs[0] is mm:
        other = add.inputs[1]
    elif add.op == "Add" and len(add.inputs) == 2 and mm in add.inputs and add.inputs[0] is not add.inputs[1]:
        other = add.inputs[1] if add.inputs[0] is mm else add.inputs[0]
    else:
        return None
    return other if other.shape == mm.shape[1:] and other.dtype == mm.dtype else None


def _groups(graph):
    """{id of a chain's last node: (epilogue, MatMul, third input)} for every fusable chain, and the ids of the
    chains' other nodes."""
    users = graph.users()
    returned = {o.id for o in graph.outputs} | {e.id for e in graph.effects}

    def sole_user(n):
        u = users[n.id]
        return u[0] if len(u) == 1 and n.id not in returned else None

    groups, absorbed = {}, set()
    for mm in graph.nodes:
        u = _product(mm) and sole_user(mm)
        if not u:
            continue
        bias = _bias_of(u, mm) if u.op in ("Add", "BiasAdd") else None
        if bias is not None:
            v = sole_user(u)
            if v is not None and v.op == "ReLU":
                groups[v.id] = ("bias_relu", mm, bias)
                absorbed.add(u.id)
            else:
                groups[u.id] = ("bias", mm, bias)
        elif (u.op == "ReluGrad" and u.inputs[0] is mm and u.inputs[1] is not mm
              and u.inputs[1].shape == mm.shape and u.inputs[1].dtype == mm.dtype):
            groups[u.id] = ("relu_grad", mm, u.inputs[1])
        else:
            continue
        absorbed.add(mm.id)
    return groups, absorbed


def fuse_matmul_epilogues(graph):
    """``graph`` with every MatMul -> (Add|BiasAdd) [-> ReLU] and MatMul -> ReluGrad chain as one MatMulEpilogue,
    placed where the chain's last node was (every input of the chain is defined by then)."""
    groups, absorbed = _groups(graph)
    if not groups:
        return graph

    def rewrite(rw, n):
        if n.id in absorbed:
            return None  # (read only by its own chain: nothing else is remapped to it)
        if n.id not in groups:
            return n
        epilogue, mm, extra = groups[n.id]  # (mm's inputs are remapped already: the Rewriter updates in place)
        extra = rw.replace.get(extra.id, extra)
        attrs = {"transpose_a": bool(mm.attrs.get("transpose_a", False)),
                 "transpose_b": bool(mm.attrs.get("transpose_b", False)), "epilogue": epilogue}
        return rw.add("MatMulEpilogue", [*mm.inputs, extra], attrs, n.shape, n.dtype, n)

    return _Rewriter(graph).run(rewrite)


PASSES = [("cpu_matmul_epilogue", fuse_matmul_epilogues)]
