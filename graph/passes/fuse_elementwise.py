"""Elementwise fusion: groups of elementwise nodes of one shape (and the Assigns that store their
results into Parameters, e.g. a whole per-parameter optimizer update) become one
``FusedElementwise`` node, so the backend runs them as one loop with no intermediate buffers.

The rules, each a function below:
  * a group starts at a *root*: the latest node not yet grouped that is a fusible elementwise op,
    or an Assign (with no users) storing one (``_root_shape``);
  * it grows backwards over its members' inputs until nothing more joins (``_grow``);
  * a producer joins when it is a fusible elementwise op of the group's shape, all its inputs are
    that shape or a single element (``_can_join``), and every consumer of it outside the group is an
    Assign storing it that can join too (``_joining_assign``);
  * the fused node runs at its latest member's position, so a join that moves the group later is
    kept only if the root's other users still come after it (``_users_still_after``) and no
    member's input is overwritten on the way (``_safe_to_move``);
  * a grown group is kept if its root reads no broadcast input and it has at least ``min_ops``
    computations (``_worth_fusing``).
Roots are visited from the last node backwards; a node joins at most one group.
"""

from dataclasses import dataclass

from ..ir import Node
from ..opdef import OPS
from .regroup import replace_groups, storage_writers


def _fusible(op):
    return op.scalar is not None and not op.impure


def _broadcasts(node, shape):
    """Whether ``node`` reads an input that is neither ``shape`` nor a single element."""
    return any(i.shape != shape and i.size != 1 for i in node.inputs)


@dataclass
class _Group:
    """A group being grown: ``members`` (id -> node, in joining order) and ``last``, the position of
    its latest member, where the fused node will run."""

    root: Node
    shape: tuple
    members: dict
    last: int

    def elementwise(self):
        return [m for m in self.members.values() if m.op != "Assign"]


class _Fusion:
    """The facts about one graph that the rules read, and the groups formed so far."""

    def __init__(self, graph):
        self.pos = {n.id: i for i, n in enumerate(graph.nodes)}
        self.users = graph.users()
        self.output_ids = {o.id for o in graph.outputs}
        self.storage, self.writers = storage_writers(graph)
        self.grouped = {}  # node id -> index of its group

    def groups(self, nodes, min_ops):
        """[(root, members in graph order, latest member)] for every group formed, roots from last to first."""
        groups = []
        for n in reversed(nodes):
            shape = self._root_shape(n)
            if shape is None:
                continue
            group = self._grow(_Group(n, shape, {n.id: n}, self.pos[n.id]))
            if not _worth_fusing(group, min_ops):
                continue
            for mid in group.members:
                self.grouped[mid] = len(groups)
            ordered = sorted(group.members.values(), key=lambda m: self.pos[m.id])
            groups.append((n, ordered, ordered[-1]))
        return groups

    def _root_shape(self, n):
        """Rule: a group starts at an ungrouped node that is a fusible elementwise op (the group has its
        shape), or an Assign without users whose stored value is an ungrouped fusible elementwise op (the
        group has the value's shape). None when ``n`` cannot start a group."""
        if n.id in self.grouped or n.is_leaf:
            return None
        if n.op != "Assign":
            return n.shape if _fusible(OPS[n.op]) else None
        value = n.inputs[1]
        if value.is_leaf or not _fusible(OPS[value.op]) or value.id in self.grouped or self.users[n.id]:
            return None
        return value.shape

    def _grow(self, group):
        """Rule: sweep the members' inputs, joining each candidate that may join, until a whole sweep
        adds nothing. Candidates are tried in member order (members in joining order), then input order."""
        changed = True
        while changed:
            changed = False
            for m in list(group.members.values()):
                for c in m.inputs:
                    grown = self._try_join(c, group)
                    if grown is not None:
                        group, changed = grown, True
        return group

    def _try_join(self, c, group):
        """The group with ``c`` and its Assigns joined, or None when a rule forbids it."""
        if not self._can_join(c, group):
            return None
        outside = [u for u in self.users[c.id] if u.id not in group.members]
        if not all(self._joining_assign(u, c) for u in outside):
            return None
        last = max([group.last] + [self.pos[u.id] for u in outside])
        members = {**group.members, c.id: c, **{u.id: u for u in outside}}
        if not self._users_still_after(group.root, members, last):
            return None
        if not all(self._safe_to_move(m, last, members) for m in members.values() if m.op != "Assign"):
            return None
        return _Group(group.root, group.shape, members, last)

    def _can_join(self, c, group):
        """Rule: a candidate is a fusible elementwise op of the group's shape, in no group yet, not a graph
        output, and reading only inputs of the group's shape or single elements."""
        if c.id in group.members or c.id in self.grouped or c.is_leaf or c.shape != group.shape:
            return False
        if not _fusible(OPS[c.op]) or c.id in self.output_ids:
            return False
        return not _broadcasts(c, group.shape)

    def _joining_assign(self, u, value):
        """Rule: a consumer of a candidate outside the group must be an ungrouped Assign storing exactly the
        candidate into a same-shaped Parameter, whose own result nothing uses."""
        return (u.op == "Assign" and u.inputs[1] is value and not self.users[u.id] and u.id not in self.output_ids
                and u.inputs[0].shape == value.shape and u.id not in self.grouped)

    def _users_still_after(self, root, members, last):
        """Rule: the fused node runs at position ``last`` (a later Assign joining moves the whole group
        there), so every user of the root's result outside the group must come after ``last``."""
        return not any(self.pos[x.id] <= last for x in self.users[root.id] if x.id not in members)

    def _safe_to_move(self, member, last, members):
        """Rule: moving ``member`` to ``last`` is wrong if a node outside the group overwrites one of its
        inputs in between (the group's own Assigns write each element after reading it: fine)."""
        for i in member.inputs:
            for w in self.writers.get(self.storage[i.id], ()):
                if w.id not in members and self.pos[member.id] < self.pos[w.id] < last:
                    return False
        return True


def _worth_fusing(group, min_ops):
    """Rule: keep a grown group unless a member (the root, as joiners never do) reads a general broadcast
    input, which the plain kernels handle, or it has fewer than ``min_ops`` computations (its Assigns count
    as one)."""
    elementwise = group.elementwise()
    if any(_broadcasts(m, group.shape) for m in elementwise):
        return False
    return len(elementwise) + (len(group.members) > len(elementwise)) >= min_ops


def fuse_elementwise(graph, min_ops=2):
    groups = _Fusion(graph).groups(graph.nodes, min_ops)
    if not groups:
        return graph
    replacement = {}
    new_nodes_at = {}
    for rootnode, members, latest in groups:
        fused = _build(rootnode, members, graph)
        new_nodes_at[latest.id] = fused
        for m in members:
            replacement[m.id] = fused
    return replace_groups(graph, replacement, new_nodes_at)


class _Program:
    """A fused program being written: ``inputs`` (external nodes), ``steps`` (op, refs, scalar attrs,
    dtype), and ``temp`` (member id -> index of the step computing it)."""

    def __init__(self):
        self.inputs, self.input_index, self.temp, self.steps = [], {}, {}, []

    def ref(self, node):
        """("t", step index) for a computed member, else ("i", input index), adding the input."""
        if node.id in self.temp:
            return ("t", self.temp[node.id])
        if node.id not in self.input_index:
            self.input_index[node.id] = len(self.inputs)
            self.inputs.append(node)
        return ("i", self.input_index[node.id])

    def compute(self, m):
        refs = tuple(self.ref(i) for i in m.inputs)
        attrs = tuple(m.attrs[a] for a in OPS[m.op].scalar_attrs)
        self.steps.append((m.op, refs, attrs, m.dtype.name))
        self.temp[m.id] = len(self.steps) - 1

    def stores(self, members, rootnode):
        """(step index, input index of the Parameter) per Assign; the root's store comes last, as the fused
        node's output aliases its Parameter."""
        stores = [(self.temp[m.inputs[1].id], self.ref(m.inputs[0])[1]) for m in members if m.op == "Assign"]
        if rootnode.op == "Assign":
            root_store = (self.temp[rootnode.inputs[1].id], self.input_index[rootnode.inputs[0].id])
            stores.remove(root_store)
            stores.append(root_store)
        return stores


def _build(rootnode, members, graph):
    """The FusedElementwise node computing ``members`` (in graph order) with ``rootnode``'s result."""
    prog = _Program()
    for m in members:
        if m.op != "Assign":
            prog.compute(m)
    stores = prog.stores(members, rootnode)
    result = None if rootnode.op == "Assign" else prog.temp[rootnode.id]
    shape, dtype = rootnode.shape, rootnode.dtype
    attrs = {"program": tuple(prog.steps), "stores": tuple(stores), "result": result, "shape": tuple(shape),
             "dtype": dtype.name, "ops": "+".join(p[0] for p in prog.steps),
             "scopes": tuple(sorted({m.scope for m in members}))}
    return Node(graph.new_id(), "FusedElementwise", prog.inputs, attrs, shape, dtype, rootnode.scope, rootnode.source)
