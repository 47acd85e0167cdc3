"""IR verifier: topological order, re-inferred shapes/dtypes, and that nothing reads a Parameter
(directly or through a view) after an Assign has overwritten it."""

from .opdef import OPS, Spec, output_alias, written_inputs


class VerifyError(AssertionError):
    pass


def verify(graph):
    seen = set()
    alias = {}  # node id -> id of the buffer it views (params, views of params)
    assigned = {}  # buffer id -> position of the Assign that overwrote it
    for pos, n in enumerate(graph.nodes):
        for i in n.inputs:
            if i.id not in seen:
                raise VerifyError(f"%{n.id} {n.op} uses %{i.id} before it is defined")
        seen.add(n.id)
        if n.is_leaf:
            alias[n.id] = n.id
            continue
        op = OPS[n.op]
        shape, dtype = op.infer([Spec(i.shape, i.dtype) for i in n.inputs], **n.attrs)
        if tuple(shape) != n.shape or dtype != n.dtype:
            raise VerifyError(f"%{n.id} {n.op} records {n.shape} {n.dtype} but infers {shape} {dtype}")
        roots = [alias.get(i.id, i.id) for i in n.inputs]
        written = written_inputs(n)
        for k, (r, i) in enumerate(zip(roots, n.inputs)):
            if r in assigned and k not in written:
                raise VerifyError(f"%{n.id} {n.op} reads %{i.id} after it was overwritten by an Assign")
        for k in written:
            assigned[roots[k]] = pos
        target = output_alias(n)
        alias[n.id] = roots[target] if target is not None else roots[0] if op.view else n.id
    for o in graph.outputs:
        if o.id not in seen:
            raise VerifyError(f"output %{o.id} is not in the graph")
