"""The graph IR: a list of single-output nodes in topological (creation) order.

Leaf kinds: ``input`` (a graph argument), ``param`` (a Parameter, mutable state shared across
steps) and ``const`` (a numpy value). Every other node applies a registered op to earlier nodes.
Each node remembers where the user created it (``scope``: the cell path; ``source``: file:line and
the line's text) so errors and dumps point at the user's code.
"""

import numpy as np

from .printer import graph_to_text

LEAF_KINDS = ("input", "param", "const")


class Node:
    __slots__ = ("id", "op", "inputs", "attrs", "shape", "dtype", "scope", "source", "value", "param", "index")

    def __init__(self, id, op, inputs, attrs, shape, dtype, scope="", source=None):
        self.id = id
        self.op = op
        self.inputs = list(inputs)
        self.attrs = dict(attrs)
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.dtype(dtype)
        self.scope = scope
        self.source = source  # (filename, lineno, text) or None
        self.value = None  # numpy value of a const node
        self.param = None  # the Parameter object of a param node
        self.index = None  # position of an input node among graph inputs

    @property
    def is_leaf(self):
        return self.op in LEAF_KINDS

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def location(self):
        """'file.py:12  text' or '' when unknown."""
        if not self.source:
            return ""
        filename, lineno, text = self.source
        return f"{filename}:{lineno}  {text}".rstrip()

    def __repr__(self):
        return f"%{self.id} = {self.op}(...) {self.shape} {self.dtype}"


class Graph:
    """A training or inference step as one graph.

    ``outputs`` are the returned nodes; ``effects`` are side-effecting nodes (``Assign``) that
    must run even though nothing consumes them.
    """

    def __init__(self, name="graph"):
        self.name = name
        self.nodes = []
        self.inputs = []
        self.params = []
        self.outputs = []
        self.effects = []
        self._next_id = 0

    def new_id(self):
        self._next_id += 1
        return self._next_id - 1

    def add(self, node):
        self.nodes.append(node)
        return node

    def copy_with(self, nodes, outputs=None, effects=None):
        """A graph sharing this one's leaves with a new node list (passes build graphs this way)."""
        g = Graph(self.name)
        g.nodes = list(nodes)
        live = set(id(n) for n in g.nodes)
        g.inputs = list(self.inputs)
        g.params = [p for p in self.params if id(p) in live]
        g.outputs = list(self.outputs if outputs is None else outputs)
        g.effects = list(self.effects if effects is None else effects)
        g._next_id = self._next_id
        return g

    def users(self):
        """node id -> list of nodes that consume it."""
        out = {n.id: [] for n in self.nodes}
        for n in self.nodes:
            for i in n.inputs:
                out[i.id].append(n)
        return out

    def op_counts(self):
        counts = {}
        for n in self.nodes:
            counts[n.op] = counts.get(n.op, 0) + 1
        return dict(sorted(counts.items()))

    def __str__(self):
        return graph_to_text(self)
