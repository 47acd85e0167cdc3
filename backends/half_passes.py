"""Target-neutral graph rewrites for 16-bit floats (float16, bfloat16), used by the targets whose kernels
compute in float32 (the CPU, ``backends/cpu/passes.py``; the GPU, ``backends/cuda/backend.py``; the Ascend
target's precision and layout passes reuse ``_Rewriter``). A graph without 16-bit floats is returned unchanged.

  * ``compute_in_float32``: every arithmetic kernel that reads or writes a 16-bit float is rewritten to read
    its 16-bit inputs through ``Cast(-> float32)``, compute in float32 and ``Cast`` its result back
    (MindSpore's precision for float16 cube ops: float16 in, float32 accumulation, float16 out). Kernels
    in ``DATA_MOVEMENT`` are left alone: they copy bit patterns. An in-place arithmetic kernel writing a
    16-bit buffer cannot be rewritten so and is refused at compile time.
  * ``materialise_broadcasts``: an elementwise op on 16-bit floats reads each broadcast input from a
    ``BroadcastTo`` copy of the output's shape (for a target whose generated kernels read inputs only
    full-size or as one element).

Elementwise ops are not rewritten: each target's generated kernels load a 16-bit value as float32,
compute in float32 and round once to 16 bits at the store (``backends/codegen.Numbers``).
"""

import numpy as np

from ..graph.ir import Node
from ..graph.opdef import OPS, OpKind, Spec, output_alias, written_inputs

HALF_FLOATS = ("float16", "bfloat16")


def is_half(dtype):
    """Whether ``dtype`` is a 16-bit float (float16, or ml_dtypes' bfloat16, known by name)."""
    return np.dtype(dtype).name in HALF_FLOATS


def touches_half(node):
    """Whether a graph node reads or writes a 16-bit float."""
    return is_half(node.dtype) or any(is_half(i.dtype) for i in node.inputs)


FLOAT32 = np.dtype(np.float32)

# Kernels that only move elements (their results are bit copies of input elements, never compared or
# computed), so they run on 16-bit floats' uint16 patterns unchanged. Anything that compares values is
# NOT here: comparing uint16 patterns orders negative halves backwards (MaxPool, ReduceMax, Argmax ...),
# and neither is anything that adds (GatherGrad and StridedSliceGrad scatter-add; -0.0 + 0.0 is +0.0).
DATA_MOVEMENT = frozenset({
    "Assign",          # copies the value into the Parameter
    "BroadcastTo",     # strided copy
    "Concat",
    "Gather",
    "OneHot",          # writes the on/off values' bits
    "SparseGatherV2",
    "StridedSlice",    # strided copy
    "TransData",       # Ascend's layout conversions: a permutation, padding lanes written as +0.0
    "Transpose",       # strided copy
})


class _Rewriter:
    """Rebuilds a graph node by node; ``replace`` maps an old node id to the node now holding its value."""

    def __init__(self, graph):
        self.graph = graph
        self.nodes = []
        self.replace = {}
        # (id of source node, dtype, consumer) -> Cast node. A value is converted again for each kernel that
        # reads it, right before it: a shared float32 copy of a float16 activation would stay live from the
        # forward to the backward pass beside the float16 one and grow the arena past float32's.
        self.casts = {}

    def add(self, op, inputs, attrs, shape, dtype, like):
        node = Node(self.graph.new_id(), op, inputs, attrs, shape, dtype, like.scope, like.source)
        self.nodes.append(node)
        return node

    def cast(self, value, dtype, like):
        """``value`` in ``dtype`` for the kernel ``like``: a Cast node, or a (shared) new constant for a constant."""
        shared = (value.id, np.dtype(dtype).name, None)  # constants, and Casts the graph already had
        if shared in self.casts:
            return self.casts[shared]
        key = shared if value.op == "const" else shared[:2] + (like.id,)
        if key not in self.casts:
            if value.op == "const":
                node = Node(self.graph.new_id(), "const", [], {}, value.shape, dtype, value.scope, value.source)
                node.value = np.asarray(value.value).astype(dtype)
                self.nodes.append(node)
            else:
                node = self.add("Cast", [value], {"dtype": np.dtype(dtype)}, value.shape, dtype, like)
            self.casts[key] = node
        return self.casts[key]

    def run(self, rewrite):
        """The graph with every node passed through ``rewrite(self, node) -> node holding its value``."""
        for n in self.graph.nodes:
            n.inputs = [self.replace.get(i.id, i) for i in n.inputs]
            new = rewrite(self, n)
            if new is n:
                self.nodes.append(n)
                if n.op == "Cast":  # (a Cast already in the graph is reused)
                    self.casts.setdefault((n.inputs[0].id, n.dtype.name, None), n)
            else:
                self.replace[n.id] = new
        if not self.replace and len(self.nodes) == len(self.graph.nodes):
            return self.graph
        outputs = [self.replace.get(o.id, o) for o in self.graph.outputs]
        effects = [self.replace.get(e.id, e) for e in self.graph.effects]
        return self.graph.copy_with(self.nodes, outputs, effects)


def _float32_attrs(attrs):
    """attrs with every 16-bit float dtype (an op's output dtype attr, e.g. DropoutMask's) made float32."""
    return {k: FLOAT32 if isinstance(v, np.dtype) and is_half(v) else v for k, v in attrs.items()}


def _refuse_in_place(node, target):
    written = [k for k in written_inputs(node) if is_half(node.inputs[k].dtype)]
    if written or (output_alias(node) is not None and is_half(node.dtype)):
        k = written[0] if written else output_alias(node)
        where = f" ({node.location()})" if node.source else ""
        raise TypeError(f"For '{node.op}', the {target} target cannot update a {node.inputs[k].dtype} tensor in place "
                        f"(input {k} is {node.inputs[k].dtype}); its kernel computes in float32 only. Keep the "
                        f"Parameters it updates in float32{where}")


def _to_float32(rw, node, target):
    if node.is_leaf:
        return node
    op = OPS[node.op]
    if op.kind is not OpKind.KERNEL or node.op in DATA_MOVEMENT or not touches_half(node):
        return node
    _refuse_in_place(node, target)
    inputs = [rw.cast(i, FLOAT32, node) if is_half(i.dtype) else i for i in node.inputs]
    attrs = _float32_attrs(node.attrs)
    shape, dtype = op.infer([Spec(i.shape, i.dtype) for i in inputs], **attrs)
    if is_half(dtype):
        raise TypeError(f"For '{node.op}', the {target} target computes {node.dtype} in float32, but the op still "
                        f"infers {dtype} from float32 inputs")
    new = rw.add(node.op, inputs, attrs, shape, dtype, node)
    if np.dtype(dtype) == node.dtype:
        return new
    return rw.cast(new, node.dtype, node)


def compute_in_float32(graph, target="CPU"):
    """Every arithmetic kernel reading or writing 16-bit floats computes in float32, between Casts
    (``target`` names the target in the refusal of an in-place 16-bit update)."""
    if not any(touches_half(n) for n in graph.nodes if not n.is_leaf):
        return graph
    return _Rewriter(graph).run(lambda rw, node: _to_float32(rw, node, target))


def _full_size_inputs(node):
    """The inputs that a map kernel reads in full (the rest must be one element), as ``lower._map_modes``
    would read them: None when that layout would need broadcast strides."""
    full = [i.shape == node.shape for i in node.inputs]
    if all(f or i.size == 1 for f, i in zip(full, node.inputs)) and any(full):
        return full
    return None


def _materialise(rw, node):
    if node.is_leaf or OPS[node.op].kind is not OpKind.ELEMENTWISE or not touches_half(node):
        return node
    if _full_size_inputs(node) is not None:
        return node
    inputs = list(node.inputs)
    for k, i in enumerate(inputs):
        # every input that is neither the output's shape nor one element, and input 0 when all are one
        # element but the output's shape differs from theirs
        if i.shape != node.shape and (i.size != 1 or (k == 0 and not any(j.shape == node.shape for j in inputs))):
            inputs[k] = rw.add("BroadcastTo", [i], {"shape": node.shape}, node.shape, i.dtype, node)
    node.inputs = inputs
    return node


def materialise_broadcasts(graph):
    """Elementwise ops on 16-bit floats read their broadcast inputs from a BroadcastTo copy."""
    if not any(touches_half(n) for n in graph.nodes if not n.is_leaf):
        return graph
    return _Rewriter(graph).run(_materialise)
