"""Tracing state: the graph being built, the cell scope stack, and the user's source line.

While a trace is active, ops called on Tensors append nodes to its graph instead of computing.
Each node records the innermost frame of *user* code (anything outside minispore's own
subpackages), so an error raised at trace time can quote the line the user wrote.
"""

import linecache
import os
import sys
from contextlib import contextmanager

from .ir import Graph, Node
from .opdef import written_inputs

_PKG_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_INTERNAL_DIRS = tuple(
    os.path.join(_PKG_ROOT, d) + os.sep for d in ("graph", "ops", "nn", "optim", "runtime", "backends")
)
_INTERNAL_FILES = (os.path.join(_PKG_ROOT, "__init__.py"),)


def _is_internal(filename):
    return filename.startswith(_INTERNAL_DIRS) or filename in _INTERNAL_FILES or filename.startswith("<frozen")


def user_source():
    """(filename, lineno, text) of the innermost frame outside minispore, or None."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _is_internal(os.path.abspath(filename)) and "contextlib" not in filename:
            lineno = frame.f_lineno
            text = linecache.getline(filename, lineno).strip()
            return (os.path.basename(filename), lineno, text)
        frame = frame.f_back
    return None


def format_location(source):
    if not source:
        return ""
    return f"\n  at {source[0]}:{source[1]}  {source[2]}"


class Tracer:
    """One active trace: its graph, the Parameter -> node map and the scope stack."""

    def __init__(self, graph):
        self.graph = graph
        self.param_nodes = {}
        self.scopes = ["Default"]
        # While a gradient rule runs, its nodes take the forward node's scope and line.
        self.override = None
        # Parameter id -> the value most recently assigned to it in this trace: later reads see it
        # (MindSpore's semantics), so nothing reads a Parameter's buffer after it was overwritten.
        self.assigned = {}
        # The conditions of the enclosing ``assign_condition`` scopes (bool Tensors with one element,
        # outermost first): an Assign traced inside them writes its value only where all of them hold.
        self.assign_conditions = []
        # (Tensor, its node before, the select it stands for) per conditional store of the open scopes
        self.conditional_stores = []

    @property
    def scope(self):
        return "/".join(self.scopes)

    def new_node(self, op, inputs, attrs, shape, dtype, source=None):
        if self.override is not None:
            scope, source = self.override
        else:
            scope = self.scope
            if source is None:
                source = user_source()
        node = Node(self.graph.new_id(), op, inputs, attrs, shape, dtype, scope, source)
        return self.graph.add(node)

    def conditional_store(self, value, selected):
        """``ops.assign`` under an assign condition stored ``selected`` = select(cond, value, old): for the
        rest of the scope the Tensor ``value`` stands for ``selected`` (see ``assign_condition``)."""
        if value._node is not None and value._node is not selected._node:
            self.conditional_stores.append((value, value._node, selected._node))
            value._node = selected._node

    def param_node(self, param):
        node = self.param_nodes.get(id(param))
        if node is None:
            data = param._data
            node = Node(self.graph.new_id(), "param", [], {}, data.shape, data.dtype, "Parameters", None)
            node.param = param
            self.param_nodes[id(param)] = node
            self.graph.params.append(node)
            self.graph.add(node)
        return node

    def param_value(self, param):
        """The node a read of ``param`` sees: the last value assigned in this trace, else the Parameter."""
        node = self.assigned.get(id(param))
        return node if node is not None else self.param_node(param)

    def const_node(self, value):
        node = self.new_node("const", [], {}, value.shape, value.dtype)
        node.value = value
        return node

    def input_node(self, shape, dtype, index):
        node = Node(self.graph.new_id(), "input", [], {}, shape, dtype, "Inputs", None)
        node.index = index
        self.graph.inputs.append(node)
        return self.graph.add(node)


_STACK = []


def current():
    """The active Tracer, or None outside graph construction."""
    return _STACK[-1] if _STACK else None


@contextmanager
def tracing(name="graph"):
    tracer = Tracer(Graph(name))
    _STACK.append(tracer)
    try:
        yield tracer
    finally:
        _STACK.pop()


@contextmanager
def scope(name):
    tracer = current()
    if tracer is None:
        yield
        return
    tracer.scopes.append(name)
    try:
        yield
    finally:
        tracer.scopes.pop()


@contextmanager
def node_origin(scope_name, source):
    """Make new nodes take this scope and source (used for gradient nodes)."""
    tracer = current()
    saved = tracer.override
    tracer.override = (scope_name, source)
    try:
        yield
    finally:
        tracer.override = saved


@contextmanager
def assign_condition(cond):
    """Make every ``ops.assign`` traced inside this scope conditional on ``cond`` (a bool Tensor with one
    element, e.g. "the gradients are finite"): it writes ``select(cond, new value, old value)``, so where
    ``cond`` is False every Parameter it writes (weights, optimizer state, the step counter) keeps its
    value. It is one graph, not host control flow: the select runs inside the compiled step and a
    changing ``cond`` never recompiles. Scopes nest (their conditions AND).

    Within the scope, a value once assigned stands for the selected value everywhere it is used (before
    or after the assign): where ``cond`` holds the two are equal, and where it does not every write of
    the scope is dropped anyway; only a value leaving the scope can tell. Then the value and its select
    have the same consumers, and the elementwise fusion keeps each parameter's whole update (its
    Parameter and state writes, with their selects) in one kernel. In-place writers other than Assign
    (the row-sparse optimizer kernels) cannot be made conditional: tracing one inside the scope raises a
    TypeError naming it."""
    tracer = current()
    if tracer is None:
        raise RuntimeError("assign_condition is only meaningful while a graph is traced (inside construct)")
    dtype, shape = getattr(cond, "dtype", None), getattr(cond, "shape", None)
    if dtype is None or dtype.np.kind != "b" or cond.size != 1:
        got = f"{dtype} of shape {list(shape)}" if dtype is not None else type(cond).__name__
        raise TypeError(f"assign_condition needs a bool Tensor with one element, but got {got}"
                        + format_location(user_source()))
    first_effect, first_store, first_id = len(tracer.graph.effects), len(tracer.conditional_stores), \
        tracer.graph._next_id
    tracer.assign_conditions.append(cond)
    try:
        yield
    finally:
        tracer.assign_conditions.pop()
        stores = tracer.conditional_stores[first_store:]
        del tracer.conditional_stores[first_store:]
        for tensor, node, _ in reversed(stores):  # after the scope the Tensors are their own values again
            tensor._node = node
    _check_conditional_effects(tracer.graph.effects[first_effect:])
    _route_through_selects(tracer.graph, first_id, [(node, selected) for _, node, selected in stores])


def _check_conditional_effects(effects):
    """Every write traced under an assign condition must be an Assign (the only writer made conditional)."""
    for node in effects:
        if node.op != "Assign" and written_inputs(node):
            raise TypeError(f"'{node.op}' writes Parameters in place and cannot be skipped by an assign "
                            f"condition (e.g. on a loss-scale overflow); use a dense gradient or an optimizer "
                            "whose update is written with ops.assign" + format_location(node.source))


def _route_through_selects(graph, first_id, stores):
    """For each value stored once in the scope: move its select to just after the select's inputs, and make
    the consumers created in the scope after that point read the select instead of the value."""
    counts = {}
    for value, _ in stores:
        counts[value.id] = counts.get(value.id, 0) + 1
    selects = {selected.id for _, selected in stores}
    users = {}
    for n in graph.nodes:
        if n.id >= first_id and n.id not in selects:
            for i in n.inputs:
                users.setdefault(i.id, []).append(n)
    nodes = graph.nodes
    pos = {n.id: k for k, n in enumerate(nodes)}
    for value, selected in stores:
        if counts[value.id] != 1 or value.is_leaf:
            continue
        was, at = pos[selected.id], max(pos[i.id] for i in selected.inputs) + 1
        if at < was:
            nodes.insert(at, nodes.pop(was))
            for k in range(at, was + 1):
                pos[nodes[k].id] = k
        here = pos[selected.id]
        for user in users.get(value.id, ()):
            if pos[user.id] > here:
                user.inputs = [selected if i is value else i for i in user.inputs]
