"""Schedule the non-blocking collectives: start each as early, and wait for it as late, as the graph allows.

Traced, a gradient bucket's ``AllReduceStart`` sits after the whole backward (the reducer runs once every
gradient exists) and its ``AllReduceWait`` right behind it: a blocking all-reduce. This pass reorders the
node list (a topological order every target's step runs in, launch by launch) so that

* each ``AllReduceStart`` moves up to just after the last node it depends on, together with the nodes that
  only feed it (its packing casts), so the bucket's message leaves as soon as its last gradient is produced
  and travels while the rest of the backward computes;
* each ``AllReduceWait`` moves down to just before its first reader (the optimizer update), so the step
  blocks on the message only when it needs the result.

Only the position changes, never a value: the order stays topological, the same on every rank (the same
graph gives the same order, and MPI needs every rank to issue its collectives in one order). Disable it by
name (``set_context(disabled_passes=["overlap_collectives"])``) to get the blocking schedule back.
"""

START, WAIT = "AllReduceStart", "AllReduceWait"


def _feeders(start, users):
    """``start`` and its ancestors whose every user is in the set (nodes that exist only to feed it)."""
    group = {start.id}
    stack = list(start.inputs)
    while stack:
        n = stack.pop()
        if n.is_leaf or n.id in group or any(u.id not in group for u in users[n.id]):
            continue
        group.add(n.id)
        stack.extend(n.inputs)
    return group


def _hoist(order, start, users):
    """``order`` with ``start`` and its feeders moved to just after the last node they read."""
    group = _feeders(start, users)
    moved = [n for n in order if n.id in group]
    rest = [n for n in order if n.id not in group]
    needed = {i.id for n in moved for i in n.inputs} - group
    at = max((k for k, n in enumerate(rest) if n.id in needed), default=-1) + 1
    return rest[:at] + moved + rest[at:]


def _sink(order, wait, users):
    """``order`` with ``wait`` moved to just before its first user (to the end when it has none)."""
    rest = [n for n in order if n is not wait]
    readers = {u.id for u in users[wait.id]}
    at = next((k for k, n in enumerate(rest) if n.id in readers), len(rest))
    return rest[:at] + [wait] + rest[at:]


def overlap_collectives(graph):
    if not any(n.op == START for n in graph.nodes):
        return graph
    users = graph.users()
    order = list(graph.nodes)
    for start in [n for n in graph.nodes if n.op == START]:
        order = _hoist(order, start, users)
    for wait in [n for n in graph.nodes if n.op == WAIT]:
        order = _sink(order, wait, users)
    return graph.copy_with(order)
