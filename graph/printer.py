"""Readable text form of a graph: one line per node with op, inputs, attributes, shape/dtype,
scope and the user's source line.

What a line shows beyond op and inputs is data: ``LEAF_HEADS`` (leaf kind -> its bracketed label)
and ``SHOWN_ATTRS`` (op kind -> the attributes to show instead of all of them)."""

import numpy as np

from .opdef import OPS, OpKind


def _fmt_attr(v):
    if isinstance(v, np.ndarray):
        return f"array{tuple(v.shape)}"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _const_label(n):
    v = n.value
    return f"[{v.item()!r}]" if v.size == 1 else f"[array{tuple(v.shape)}]"


def _fused_attrs(attrs):
    """A fused program is long: show the member ops, stores and scopes."""
    return {"ops": attrs["ops"], "stores": attrs["stores"], "scopes": ",".join(attrs["scopes"])}


LEAF_HEADS = {
    "input": lambda n: f"[{n.index}]",
    "param": lambda n: f"[{n.param.name}]",
    "const": _const_label,
}
SHOWN_ATTRS = {OpKind.FUSED: _fused_attrs}


def _shown_attrs(n):
    op = OPS.get(n.op)
    shown = SHOWN_ATTRS.get(op.kind) if op is not None else None
    return shown(n.attrs) if shown else n.attrs


def node_to_text(n):
    shape = "x".join(str(s) for s in n.shape) or "scalar"
    head = f"%{n.id} = {n.op}"
    if n.op in LEAF_HEADS:
        head += LEAF_HEADS[n.op](n)
    args = ", ".join(f"%{i.id}" for i in n.inputs)
    attrs = ", ".join(f"{k}={_fmt_attr(v)}" for k, v in _shown_attrs(n).items())
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
