"""dce, cse and constant folding keep results and shrink the graph; the verifier catches
reads of a Parameter after an Assign."""

import numpy as np
import pytest

from minispore import Parameter, Tensor, nn, ops
from minispore.graph import trace
from minispore.graph.passes import cse, dce, fold, fuse_elementwise
from minispore.graph.verify import VerifyError, verify


def _trace(fn, *shapes):
    with trace.tracing("t") as tr:
        xs = [Tensor._from_node(tr.input_node(s, np.float32, i)) for i, s in enumerate(shapes)]
        out = fn(*xs)
        tr.graph.outputs = [o._graph_node() for o in (out if isinstance(out, tuple) else (out,))]
    return tr.graph


def test_cse_merges_duplicates_and_dce_drops_dead_nodes():
    def f(x):
        _unused = x * 3.0  # noqa: F841  (dead: dce removes it)
        return (x * 2.0) + (x * 2.0)

    g = _trace(f, (3,))
    before = len(g.nodes)
    g2 = dce(cse(g))
    assert len(g2.nodes) < before
    assert sum(n.op == "Mul" for n in g2.nodes) == 1


def test_fold_computes_constant_subgraphs():
    def f(x):
        tracer = trace.current()
        two = Tensor._from_node(tracer.const_node(np.full(3, 2.0, np.float32)))
        k = Tensor._from_node(tracer.const_node(np.arange(3, dtype=np.float32)))
        return x + two * k  # two * k is traced (const nodes), then folded

    g = _trace(f, (3,))
    assert [n.op for n in g.nodes if not n.is_leaf] == ["Mul", "Add"]
    g = dce(fold(g))
    assert [n.op for n in g.nodes if not n.is_leaf] == ["Add"]
    const = [n for n in g.nodes if n.op == "const"][0]
    np.testing.assert_array_equal(const.value, [0.0, 2.0, 4.0])


def test_verifier_rejects_read_after_assign():
    p = Parameter(Tensor(np.ones(3, np.float32)), name="p")

    def f(x):
        ops.assign(p, x)
        leaf = Tensor._from_node(trace.current().param_node(p))  # the buffer itself, bypassing the value
        return leaf * 2.0

    with pytest.raises(VerifyError, match="after it was overwritten"):
        verify(_trace(f, (3,)))


def test_reading_a_parameter_after_assign_sees_the_new_value():
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.p = Parameter(Tensor(np.ones(3, np.float32)), name="p", requires_grad=False)

        def construct(self, x):
            ops.assign(self.p, x)
            return self.p * 2.0  # MindSpore semantics: the value just assigned

    net = Net()
    out = net(Tensor(np.array([1.0, 2.0, 3.0], np.float32)))
    np.testing.assert_array_equal(out.asnumpy(), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(net.p.asnumpy(), [1.0, 2.0, 3.0])


def test_assign_updates_parameter_in_place_through_compiled_cell():
    class Acc(nn.Cell):
        def __init__(self):
            super().__init__()
            self.total = Parameter(Tensor(np.zeros(2, np.float32)), name="total", requires_grad=False)

        def construct(self, x):
            new = self.total + x
            ops.assign(self.total, new)
            return new

    acc = Acc()
    acc(Tensor(np.array([1.0, 2.0], np.float32)))
    out = acc(Tensor(np.array([1.0, 2.0], np.float32)))
    np.testing.assert_array_equal(acc.total.asnumpy(), [2.0, 4.0])
    np.testing.assert_array_equal(out.asnumpy(), [2.0, 4.0])


def _fused(g):
    return [n for n in g.nodes if not n.is_leaf]


def test_fusion_joins_a_chain_and_the_assign_storing_it():
    """A chain of same-shape elementwise ops (single-element inputs allowed) and the Assign of its result
    into a Parameter become one FusedElementwise; the Assign is the root, so its store comes last."""
    p = Parameter(Tensor(np.ones(4, np.float32)), name="p")

    def f(x):
        ops.assign(p, ops.relu(x * 2.0 + 1.0))
        return x

    g = fuse_elementwise(dce(_trace(f, (4,))))
    (fused,) = _fused(g)
    assert fused.op == "FusedElementwise" and fused.attrs["ops"] == "Mul+Add+ReLU"
    assert fused.attrs["result"] is None and len(fused.attrs["stores"]) == 1


def test_fusion_stops_at_graph_outputs_and_broadcast_inputs():
    """A producer that is a graph output stays a plain node (its value is needed outside the loop), and a
    root reading a general broadcast input is left to the plain kernels."""
    def f(x, b):
        h = x * 2.0
        return h, ops.relu(h + 1.0) + b  # h is an output; the final Add broadcasts b (3,) over (2, 3)

    g = fuse_elementwise(_trace(f, (2, 3), (3,)))
    assert [n.op for n in _fused(g)] == ["Mul", "FusedElementwise", "Add"]
    assert _fused(g)[1].attrs["ops"] == "Add+ReLU"
