"""What the fusion passes share: where each buffer's storage lives and who overwrites it, and
rebuilding a graph after groups of nodes were replaced by one node each."""

from ..opdef import OPS, output_alias, written_inputs


def storage_writers(graph):
    """(root, writers): ``root[node id]`` is the id of the node owning the node's storage (through views
    and in-place aliases); ``writers[root id]`` lists the nodes that overwrite that storage, in order."""
    root, writers = {}, {}
    for n in graph.nodes:
        if n.is_leaf:
            root[n.id] = n.id
            continue
        target = output_alias(n)
        for k in written_inputs(n):
            writers.setdefault(root[n.inputs[k].id], []).append(n)
        root[n.id] = root[n.inputs[target].id] if target is not None else (
            root[n.inputs[0].id] if OPS[n.op].view else n.id)
    return root, writers


def replace_groups(graph, replacement, placed):
    """The graph with every node in ``replacement`` (id -> new node) removed, each new node inserted
    where ``placed`` (id of a replaced node -> new node) says, and inputs, outputs and effects remapped."""
    out = []
    for n in graph.nodes:
        if n.id in replacement:
            if n.id in placed:
                new = placed[n.id]
                new.inputs = [replacement.get(i.id, i) for i in new.inputs]
                out.append(new)
            continue
        n.inputs = [replacement.get(i.id, i) for i in n.inputs]
        out.append(n)
    effects, seen = [], set()
    for e in graph.effects:
        r = replacement.get(e.id, e)
        if r.id not in seen:
            seen.add(r.id)
            effects.append(r)
    outputs = [replacement.get(o.id, o) for o in graph.outputs]
    return graph.copy_with(out, outputs, effects)
