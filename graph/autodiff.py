"""Reverse-mode autodiff over the IR.

``backward`` walks the nodes a forward function appended to the active trace, newest first, and
calls each op's gradient rule. Rules are written with ordinary ops, so every gradient is an
ordinary node that the passes and backends treat like forward nodes. Gradient nodes keep the
forward node's source line under the scope ``Gradients/<forward scope>``.
"""

from . import trace
from .opdef import OPS
from .tensor import Tensor


class GradContext:
    """What a gradient rule may ask: which inputs need a gradient."""

    __slots__ = ("needs",)

    def __init__(self, needs):
        self.needs = needs


def _accumulate(prev, g):
    """prev + g, where either may be a sparse gradient (a RowTensor: an embedding table's): sparse +
    sparse stays sparse (rows concatenated), sparse + dense is dense. Sparse gradients are whatever
    a rule returns that is not a Tensor; they provide ``+`` and ``to_dense()``."""
    if prev is None:
        return g
    if not isinstance(g, Tensor) and isinstance(prev, Tensor):
        return g + prev
    return prev + g


def backward(seeds, wrt_nodes, first_id):
    """Gradients of the traced outputs in ``seeds`` [(output Tensor, sensitivity Tensor)] w.r.t.
    ``wrt_nodes`` (the sum of each output weighted by its sensitivity is differentiated).

    Nodes created before ``first_id`` are treated as constants (they belong to the caller).
    Returns one gradient per wrt node (a Tensor, or a RowTensor where only row lookups of it were
    differentiated), or None where ``out`` does not depend on it.
    """
    tracer = trace.current()
    graph = tracer.graph
    wanted = {n.id for n in wrt_nodes}
    region = [n for n in graph.nodes if n.id >= first_id and not n.is_leaf]
    active = set(wanted)
    for n in region:
        if any(i.id in active for i in n.inputs):
            active.add(n.id)
    adjoint = {}
    for out, sens in seeds:
        if out._node is None:
            continue  # a constant output contributes no gradient
        prev = adjoint.get(out._node.id)
        adjoint[out._node.id] = sens if prev is None else prev + sens
    for n in reversed(region):
        dout = adjoint.pop(n.id, None)
        if dout is None or n.id not in active:
            continue
        op = OPS[n.op]
        if op.nondiff:
            continue
        needs = [i.id in active for i in n.inputs]
        with trace.node_origin("Gradients/" + n.scope, n.source):
            if not isinstance(dout, Tensor):  # a sparse (looked-up) intermediate: gradient rules take dense douts
                dout = dout.to_dense()
            grads = op.grad(GradContext(needs), [Tensor._from_node(i) for i in n.inputs],
                            Tensor._from_node(n), dout, **n.attrs)
            for inp, g, need in zip(n.inputs, grads, needs):
                if g is None or not need:
                    continue
                if tuple(g.shape) != inp.shape:
                    raise AssertionError(f"gradient rule of {n.op} gave shape {g.shape} for input {inp.shape}")
                adjoint[inp.id] = _accumulate(adjoint.get(inp.id), g)
    return [adjoint.get(w.id) for w in wrt_nodes]
