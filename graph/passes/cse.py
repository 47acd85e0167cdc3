"""Common-subexpression elimination: merge pure nodes with the same op, inputs and attributes
(and constants with the same value)."""

import numpy as np

from ..opdef import OPS


def _key_of(value):
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (list, tuple)):
        return tuple(_key_of(v) for v in value)
    if isinstance(value, np.dtype):
        return ("dtype", value.str)
    return value


def cse(graph):
    seen = {}
    replace = {}
    nodes = []
    for n in graph.nodes:
        if replace:
            n.inputs = [replace.get(i.id, i) for i in n.inputs]
        if n.op in ("input", "param"):
            nodes.append(n)
            continue
        if n.op == "const":
            key = ("const", _key_of(n.value)) if n.value.size <= 4096 else None
        elif OPS[n.op].impure:
            key = None
        else:
            key = (n.op, tuple(i.id for i in n.inputs), tuple(sorted((k, _key_of(v)) for k, v in n.attrs.items())))
        if key is not None and key in seen:
            replace[n.id] = seen[key]
            continue
        if key is not None:
            seen[key] = n
        nodes.append(n)
    outputs = [replace.get(o.id, o) for o in graph.outputs]
    effects = [replace.get(e.id, e) for e in graph.effects]
    return graph.copy_with(nodes, outputs, effects)
