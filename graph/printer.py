"""Readable text form of a graph: one line per node with op, inputs, attributes, shape/dtype,
scope and the user's source line."""

import numpy as np


def _fmt_attr(v):
    if isinstance(v, np.ndarray):
        return f"array{tuple(v.shape)}"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def node_to_text(n):
    shape = "x".join(str(s) for s in n.shape) or "scalar"
    head = f"%{n.id} = {n.op}"
    if n.op == "input":
        head += f"[{n.index}]"
    elif n.op == "param":
        head += f"[{n.param.name}]"
    elif n.op == "const":
        v = n.value
        head += f"[{v.item()!r}]" if v.size == 1 else f"[array{tuple(v.shape)}]"
    args = ", ".join(f"%{i.id}" for i in n.inputs)
    shown = n.attrs
    if n.op == "FusedElementwise":  # the program is long: show the member ops, stores and scopes
        shown = {"ops": n.attrs["ops"], "stores": n.attrs["stores"], "scopes": ",".join(n.attrs["scopes"])}
    attrs = ", ".join(f"{k}={_fmt_attr(v)}" for k, v in shown.items())
    text = f"{head}({args})"
    if attrs:
        text += "{" + attrs + "}"
    text += f" : {shape} {n.dtype.name}"
    if n.scope:
        text += f"   # {n.scope}"
    loc = n.location()
    if loc:
        text += f"   @ {loc}"
    return text


def graph_to_text(g):
    lines = [f"graph {g.name} ({len(g.nodes)} nodes)"]
    lines += ["  " + node_to_text(n) for n in g.nodes]
    lines.append("  return " + ", ".join(f"%{o.id}" for o in g.outputs))
    if g.effects:
        lines.append("  effects " + ", ".join(f"%{e.id}" for e in g.effects))
    return "\n".join(lines)
