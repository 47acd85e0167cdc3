"""The liveness-based memory planner: buffers whose lifetimes intersect never share memory (checked
against a brute-force liveness computed independently here), offsets are aligned, reuse never makes
the arena larger than one buffer each, aliases and graph outputs extend lifetimes, and a kernel's
output never overlaps its own inputs. Also plans a real compiled LeNet-5 training step."""

import random
import time

import numpy as np
import pytest

from minispore import Tensor, nn
from minispore.backends.lower import alias_of, needs_buffer
from minispore.graph.ir import Graph, Node
from minispore.graph.passes.memory_plan import plan_memory

from golden.networks import LeNet5

# ---- synthetic graphs: ops "k" (kernel: fresh buffer), "view" (aliases input 0), "write"
# (in place into input 0); leaves "input"/"param"/"const" own their storage.


class _Builder:
    def __init__(self):
        self.g = Graph("t")

    def node(self, op, inputs=(), nbytes=64, dtype=np.float32):
        itemsize = np.dtype(dtype).itemsize
        n = Node(self.g.new_id(), op, inputs, {}, (nbytes // itemsize,), dtype)
        return self.g.add(n)


def _needs_buffer(n):
    return n.op == "k"


def _alias_of(n):
    return n.inputs[0] if n.op in ("view", "write") else None


def _root(n, alias_of):
    while alias_of(n) is not None:
        n = alias_of(n)
    return n


def _brute_lifetimes(graph, needs_buffer, alias_of):
    """Per buffer: [definition, last read of it or of anything aliasing it]; outputs to the end."""
    pos = {n.id: t for t, n in enumerate(graph.nodes)}
    life = {}
    for n in graph.nodes:
        if needs_buffer(n):
            members = {m.id for m in graph.nodes if _root(m, alias_of) is n}
            reads = [pos[c.id] for c in graph.nodes if any(i.id in members for i in c.inputs)]
            last = max([pos[n.id]] + reads)
            if any(o.id in members for o in graph.outputs):
                last = len(graph.nodes)
            life[n.id] = (pos[n.id], last)
    return life


def _check(graph, plan, needs_buffer=_needs_buffer, alias_of=_alias_of):
    life = _brute_lifetimes(graph, needs_buffer, alias_of)
    assert plan.lifetimes == life
    assert set(plan.offsets) == set(life)
    for k, off in plan.offsets.items():
        assert off % plan.alignment == 0
        assert off + plan.sizes[k] <= plan.arena_bytes
    items = [k for k in life if plan.sizes[k] > 0]
    for a_i, a in enumerate(items):
        for b in items[a_i + 1:]:
            (sa, ea), (sb, eb) = life[a], life[b]
            if sa <= eb and sb <= ea:
                oa, ob = plan.offsets[a], plan.offsets[b]
                assert oa + plan.sizes[a] <= ob or ob + plan.sizes[b] <= oa, (a, b)
    # the in-place hazard, checked directly: no kernel output overlaps the storage of its inputs
    for n in graph.nodes:
        if needs_buffer(n) and plan.sizes[n.id]:
            o, size = plan.offsets[n.id], plan.sizes[n.id]
            for i in n.inputs:
                r = _root(i, alias_of)
                if r.id in plan.offsets and plan.sizes[r.id]:
                    ri = plan.offsets[r.id]
                    assert o + size <= ri or ri + plan.sizes[r.id] <= o, (n.id, r.id)
    assert plan.overlaps() == []
    assert plan.peak_live_bytes <= plan.arena_bytes <= plan.unplanned_bytes
    assert plan.buffer_bytes == sum(plan.sizes.values())


def _random_graph(rng, n_nodes):
    b = _Builder()
    leaves = [b.node(rng.choice(["input", "param", "const"]), nbytes=rng.choice([4, 64, 256])) for _ in range(3)]
    nodes = list(leaves)

    def pick():
        # mostly recent inputs (chains, like a network) with some long-range edges (skip
        # connections, forward activations read by the backward pass)
        if rng.random() < 0.8:
            return nodes[-1 - min(int(rng.expovariate(0.3)), len(nodes) - 1)]
        return rng.choice(nodes)

    for _ in range(n_nodes):
        kind = rng.choices(["k", "view", "write"], weights=[8, 2, 1])[0]
        if kind == "k":
            ins = [pick() for _ in range(rng.randint(1, 3))]
            nbytes = rng.choice([0, 1, 3, 4, 40, 100, 256, 1000, 4096])
            nodes.append(b.node("k", ins, nbytes=nbytes, dtype=rng.choice([np.float32, np.uint8, np.float64])
                                if nbytes % 8 == 0 else np.uint8))
        elif kind == "view":
            src = pick()
            nodes.append(b.node("view", [src], nbytes=src.size * src.dtype.itemsize, dtype=src.dtype))
        else:
            dst, val = pick(), pick()
            nodes.append(b.node("write", [dst, val], nbytes=dst.size * dst.dtype.itemsize, dtype=dst.dtype))
    b.g.outputs = rng.sample(nodes[3:], k=min(3, len(nodes) - 3))
    return b.g


@pytest.mark.parametrize("alignment", [1, 16, 64])
def test_random_dags_never_overlap_live_buffers(alignment):
    rng = random.Random(1234 + alignment)
    saved = 0
    for _ in range(150):
        g = _random_graph(rng, rng.randint(1, 60))
        plan = plan_memory(g, _needs_buffer, _alias_of, alignment=alignment)
        _check(g, plan)
        saved += plan.arena_bytes < plan.unplanned_bytes
    assert saved > 100  # reuse actually happens on most graphs


def test_output_never_overlaps_an_input_read_last_by_the_same_node():
    # x -> a -> b -> c -> d, equal sizes: a dies *at* b, so b must not take a's memory (the kernel
    # writes b while reading a); a and c, b and d can share: the optimal arena is two buffers.
    b = _Builder()
    x = b.node("input")
    a = b.node("k", [x])
    bb = b.node("k", [a])
    c = b.node("k", [bb])
    d = b.node("k", [c])
    b.g.outputs = [d]
    plan = plan_memory(b.g, _needs_buffer, _alias_of)
    _check(b.g, plan)
    assert plan.lifetimes[a.id] == (1, 2)
    assert plan.offsets[a.id] != plan.offsets[bb.id]
    assert plan.offsets[bb.id] != plan.offsets[c.id]
    assert plan.arena_bytes == plan.peak_live_bytes == 128


def test_views_and_in_place_writes_extend_the_buffer_lifetime():
    b = _Builder()
    x = b.node("input")
    a = b.node("k", [x], nbytes=256)
    v = b.node("view", [a], nbytes=256)
    vv = b.node("view", [v], nbytes=256)  # a view of a view still reads a's storage
    mid = [b.node("k", [x], nbytes=256)]
    for _ in range(4):
        mid.append(b.node("k", [mid[-1]], nbytes=256))
    w = b.node("write", [vv, mid[-1]], nbytes=256)  # writes into a's storage
    late = b.node("k", [w], nbytes=256)  # reads a's storage through the in-place result
    b.g.outputs = [late]
    plan = plan_memory(b.g, _needs_buffer, _alias_of)
    _check(b.g, plan)
    pos = {n.id: t for t, n in enumerate(b.g.nodes)}
    assert plan.lifetimes[a.id] == (pos[a.id], pos[late.id])
    for m in mid:
        assert plan.offsets[m.id] != plan.offsets[a.id]
    assert v.id not in plan.offsets and w.id not in plan.offsets


def test_graph_outputs_live_to_the_end():
    b = _Builder()
    x = b.node("input")
    out = b.node("k", [x])
    out_view_src = b.node("k", [x])
    out_view = b.node("view", [out_view_src])
    chain = [b.node("k", [x])]
    for _ in range(5):
        chain.append(b.node("k", [chain[-1]]))
    b.g.outputs = [out, out_view, chain[-1]]
    plan = plan_memory(b.g, _needs_buffer, _alias_of)
    _check(b.g, plan)
    end = len(b.g.nodes)
    assert plan.lifetimes[out.id][1] == end
    assert plan.lifetimes[out_view_src.id][1] == end
    taken = {plan.offsets[out.id], plan.offsets[out_view_src.id]}
    assert not taken & {plan.offsets[c.id] for c in chain}


def test_zero_size_and_unread_buffers_and_arguments():
    b = _Builder()
    x = b.node("input")
    empty = b.node("k", [x], nbytes=0)
    dead = b.node("k", [x], nbytes=64)  # nothing reads it: live only while its kernel runs
    y = b.node("k", [empty, x], nbytes=64)
    b.g.outputs = [y]
    plan = plan_memory(b.g, _needs_buffer, _alias_of)
    _check(b.g, plan)
    assert plan.offsets[empty.id] == 0 and plan.sizes[empty.id] == 0
    assert plan.lifetimes[dead.id] == (2, 2)
    assert plan.offsets[dead.id] == plan.offsets[y.id]  # dead's memory is reused
    assert "buffers" in plan.summary() and "arena" in plan.summary()
    assert plan_memory(Graph("empty"), _needs_buffer, None).arena_bytes == 0
    with pytest.raises(ValueError, match="power of two"):
        plan_memory(b.g, _needs_buffer, _alias_of, alignment=48)
    with pytest.raises(ValueError, match="both needs a buffer and aliases"):
        plan_memory(b.g, lambda n: n.op == "k", lambda n: x if n is y else None)


def test_large_graph_is_planned_fast():
    rng = random.Random(7)
    g = _random_graph(rng, 4000)
    t0 = time.perf_counter()
    plan = plan_memory(g, _needs_buffer, _alias_of)
    elapsed = time.perf_counter() - t0
    assert elapsed < 5.0, elapsed
    assert plan.overlaps() == []
    assert plan.peak_live_bytes <= plan.arena_bytes <= plan.unplanned_bytes


# ---- a real compiled training step, planned with lowering's rules (backends/lower.py): leaves own
# their storage, a view aliases input 0, an in-place op's output is its written input.

def test_lenet5_training_step(capsys):
    net = LeNet5()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.01, momentum=0.9)
    train = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((32, 1, 32, 32)).astype(np.float32))
    y = Tensor(rng.integers(0, 10, 32).astype(np.int32))
    train(x, y)
    graph = train.compiled_graph()
    plan = plan_memory(graph, needs_buffer, alias_of)
    _check(graph, plan, needs_buffer, alias_of)
    # the same buffers the backend allocates one by one today
    assert plan.buffer_bytes == train._compile_cache.last.plan.stats()["buffer_bytes"]
    assert plan.arena_bytes < 0.6 * plan.unplanned_bytes
    with capsys.disabled():
        print(f"\nLeNet-5 train step ({len(graph.nodes)} nodes, batch 32): {plan.summary()}")
