"""Elementwise fusion: groups of elementwise nodes of one shape (and the Assigns that store their
results into Parameters, e.g. a whole per-parameter optimizer update) become one
``FusedElementwise`` node, so the backend runs them as one loop with no intermediate buffers.

Groups grow backwards from a root (the latest node): an elementwise producer joins when every
consumer of it is already in the group, or is an Assign of it that can join too. External inputs
must be the group's shape or a single element. The fused node takes the root's position, so a
member that reads a Parameter may only move later if no other node overwrites that Parameter
in between.
"""

from ..opdef import OPS
from .regroup import replace_groups, storage_writers


def _fusible(op):
    return op.scalar is not None and not op.impure


def fuse_elementwise(graph, min_ops=2):
    from ..ir import Node

    nodes = graph.nodes
    pos = {n.id: i for i, n in enumerate(nodes)}
    users = graph.users()
    output_ids = {o.id for o in graph.outputs}

    root, writes_at = storage_writers(graph)

    def is_assign_of(u, value):
        return (u.op == "Assign" and u.inputs[1] is value and not users[u.id] and u.id not in output_ids
                and u.inputs[0].shape == value.shape)

    def overwritten_between(member, last, members):
        # Moving ``member`` to ``last`` is wrong if another node overwrites one of its inputs in between
        # (writes by the group's own Assigns happen at the same element, after the reads: fine).
        for i in member.inputs:
            for w in writes_at.get(root[i.id], ()):
                if w.id not in members and pos[member.id] < pos[w.id] < last:
                    return True
        return False

    grouped = {}
    groups = []
    for n in reversed(nodes):
        if n.id in grouped or n.is_leaf:
            continue
        if n.op == "Assign":
            value = n.inputs[1]
            if value.is_leaf or not _fusible(OPS[value.op]) or value.id in grouped or users[n.id]:
                continue
            shape = value.shape
        elif _fusible(OPS[n.op]):
            shape = n.shape
        else:
            continue
        members = {n.id: n}
        last = pos[n.id]
        changed = True
        while changed:
            changed = False
            for m in list(members.values()):
                for c in m.inputs:
                    if c.id in members or c.id in grouped or c.is_leaf or c.shape != shape:
                        continue
                    if not _fusible(OPS[c.op]) or c.id in output_ids:
                        continue
                    if any(i.shape != shape and i.size != 1 for i in c.inputs):
                        continue
                    outside = [u for u in users[c.id] if u.id not in members]
                    if not all(is_assign_of(u, c) and u.id not in grouped for u in outside):
                        continue
                    # The fused node runs at the latest member's position: a later Assign joining moves the
                    # whole group there, which is only right if the result's users still come after it and
                    # no member's input is overwritten on the way.
                    new_last = max([last] + [pos[u.id] for u in outside])
                    trial = {**members, c.id: c, **{u.id: u for u in outside}}
                    if any(pos[x.id] <= new_last for x in users[n.id] if x.id not in trial):
                        continue
                    if any(overwritten_between(m, new_last, trial) for m in trial.values() if m.op != "Assign"):
                        continue
                    members, last = trial, new_last
                    changed = True
        elementwise = [m for m in members.values() if m.op != "Assign"]
        if any(i.shape != shape and i.size != 1 for m in elementwise for i in m.inputs):
            continue  # the root itself broadcasts a general input: leave it to the plain kernels
        if len(elementwise) + (len(members) - len(elementwise) > 0) < min_ops:
            continue
        for mid in members:
            grouped[mid] = len(groups)
        ordered = sorted(members.values(), key=lambda m: pos[m.id])
        groups.append((n, ordered, ordered[-1]))

    if not groups:
        return graph
    replacement = {}
    new_nodes_at = {}
    for rootnode, members, latest in groups:
        fused = _build(rootnode, members, graph, Node, OPS)
        new_nodes_at[latest.id] = fused
        for m in members:
            replacement[m.id] = fused
    return replace_groups(graph, replacement, new_nodes_at)


def _build(rootnode, members, graph, Node, OPS):
    inputs, input_index = [], {}

    def ref(node):
        if node.id in temp:
            return ("t", temp[node.id])
        if node.id not in input_index:
            input_index[node.id] = len(inputs)
            inputs.append(node)
        return ("i", input_index[node.id])

    temp, program, stores = {}, [], []
    for m in members:
        if m.op == "Assign":
            continue
        op = OPS[m.op]
        refs = tuple(ref(i) for i in m.inputs)
        attrs = tuple(m.attrs[a] for a in op.scalar_attrs)
        program.append((m.op, refs, attrs, m.dtype.str))
        temp[m.id] = len(program) - 1
    for m in members:
        if m.op == "Assign":
            stores.append((temp[m.inputs[1].id], ref(m.inputs[0])[1]))
    result = None if rootnode.op == "Assign" else temp[rootnode.id]
    if rootnode.op == "Assign":  # the root's store must be last: the output aliases its Parameter
        root_store = (temp[rootnode.inputs[1].id], input_index[rootnode.inputs[0].id])
        stores.remove(root_store)
        stores.append(root_store)
    shape = rootnode.shape
    dtype = rootnode.dtype
    attrs = {"program": tuple(program), "stores": tuple(stores), "result": result, "shape": tuple(shape),
             "dtype": dtype.str, "ops": "+".join(p[0] for p in program),
             "scopes": tuple(sorted({m.scope for m in members}))}
    fused = Node(graph.new_id(), "FusedElementwise", inputs, attrs, shape, dtype, rootnode.scope, rootnode.source)
    return fused
