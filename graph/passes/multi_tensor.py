"""Multi-tensor fusion: the per-parameter fused updates that share one program (the same optimizer
rule over every parameter of a group) become ONE ``MultiTensorFused`` node, so the backend runs the
whole group's update as one kernel over all its tensors.

Candidates are FusedElementwise nodes that only store into Parameters (no result used elsewhere),
with identical programs, store patterns, input dtypes and full/single-element input layout. The
group runs at its last member's position, so a member joins only if nothing outside the group
overwrites one of its inputs in between.
"""

from ..ir import Node
from .regroup import replace_groups, storage_writers


def _key(n):
    size = n.size
    layout = tuple((i.dtype.name, i.size == size) for i in n.inputs)
    return (n.attrs["program"], n.attrs["stores"], layout)


def _buckets(graph):
    """Candidates (fused updates that only store: no result, no users, not a graph output), bucketed by
    ``_key`` in graph order."""
    users = graph.users()
    output_ids = {o.id for o in graph.outputs}
    buckets = {}
    for n in graph.nodes:
        if (n.op == "FusedElementwise" and n.attrs["result"] is None and not users[n.id]
                and n.id not in output_ids):
            buckets.setdefault(_key(n), []).append(n)
    return buckets


def _movable(members, pos, storage, writers):
    """The members that can all run at the last one's position: repeatedly drop every member whose input
    a node outside the remaining group overwrites before that position, until none does."""
    while len(members) > 1:
        last = max(pos[m.id] for m in members)
        ids = {m.id for m in members}
        unsafe = [m for m in members if any(
            w.id not in ids and pos[m.id] < pos[w.id] < last
            for i in m.inputs for w in writers.get(storage[i.id], ()))]
        if not unsafe:
            break
        members = [m for m in members if m not in unsafe]
    return members


def _build(members, graph):
    """The MultiTensorFused node running ``members`` (in graph order): their inputs, concatenated."""
    first = members[0]
    inputs = [i for m in members for i in m.inputs]
    attrs = {"program": first.attrs["program"], "stores": first.attrs["stores"], "arity": len(first.inputs),
             "tensors": len(members), "full": tuple(i.size == first.size for i in first.inputs),
             "ops": first.attrs["ops"], "scopes": tuple(sorted({s for m in members for s in m.attrs["scopes"]}))}
    return Node(graph.new_id(), "MultiTensorFused", inputs, attrs, first.shape, first.dtype, first.scope,
                first.source)


def multi_tensor(graph):
    pos = {n.id: i for i, n in enumerate(graph.nodes)}
    storage, writers = storage_writers(graph)
    replacement, placed = {}, {}
    for members in _buckets(graph).values():
        members = _movable(members, pos, storage, writers)
        if len(members) < 2:
            continue
        members.sort(key=lambda m: pos[m.id])
        fused = _build(members, graph)
        for m in members:
            replacement[m.id] = fused
        placed[members[-1].id] = fused
    if not replacement:
        return graph
    return replace_groups(graph, replacement, placed)
