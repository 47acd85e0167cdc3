"""Lowering, the target-neutral half: a verified graph becomes a ``Schedule`` of typed launches.

Every backend's emitter turns one ``Launch`` kind into its own code (a line of a generated Python
step on CPU, a kernel launch on GPU); the decisions that do not depend on the target are made here
once: which nodes need a fresh buffer, which share another node's storage (reshape views, in-place
ops writing into a Parameter), where each buffer sits in the memory-planned arena, and how each
elementwise input is read (full, one element, or broadcast through strides).
"""

import enum
from dataclasses import dataclass, field

from ..graph.opdef import OPS, OpKind, output_alias
from ..graph.passes.memory_plan import plan_memory
from ..ops.geometry import broadcast_strides
from ..ops.memory import HOST_LIMIT, describe_buffer, host_memory_bytes, nbytes, out_of_memory


class LaunchKind(enum.Enum):
    INPUT = "input"                # the value is graph input ``node.index``
    PARAM = "param"                # the value is a bound Parameter (``param_index``)
    CONST = "const"                # the value is ``node.value``
    VIEW = "view"                  # a reshape of input 0: no kernel runs
    MAP = "map"                    # an elementwise op: its scalar body in the target's map template
    KERNEL = "kernel"              # an explicit kernel writing a fresh buffer
    IN_PLACE = "in_place"          # an explicit kernel writing into input ``alias`` (Assign, sparse updates)
    FUSED = "fused"                # a FusedElementwise program (fresh buffer or in place)
    MULTI_TENSOR = "multi_tensor"  # one fused program over several tensors, in place
    HOST = "host"                  # a host call inside the step (data parallel's all-reduce)


@dataclass
class Launch:
    """One step of a schedule. ``inputs`` are the node ids read; ``buffer`` the index in
    ``Schedule.buffers`` of the fresh buffer written (or None); ``alias`` the input position whose
    storage the node's value is (views, in-place ops); ``modes`` (MAP) one letter per input: 'f' full
    size, 's' one element, or the single letter 'b' when any input broadcasts (then ``strides`` holds
    each input's broadcast strides over the output shape)."""

    kind: LaunchKind
    node: object
    inputs: tuple = ()
    buffer: int | None = None
    alias: int | None = None
    modes: str = ""
    strides: tuple = ()
    param_index: int | None = None


@dataclass
class Schedule:
    graph: object
    launches: list = field(default_factory=list)
    buffers: list = field(default_factory=list)  # nodes that get a fresh buffer, in launch order
    memory: object = None  # MemoryPlan (offsets of the buffers in one arena), or None when not planned

    def counts(self):
        """{LaunchKind name: launches} (for tests and dumps)."""
        out = {}
        for launch in self.launches:
            out[launch.kind.name] = out.get(launch.kind.name, 0) + 1
        return out


def needs_buffer(node):
    """Whether the step allocates a fresh buffer for ``node`` (not leaves, views or in-place results)."""
    return not node.is_leaf and not OPS[node.op].view and output_alias(node) is None


def alias_of(node):
    """The node whose storage ``node`` shares (views: input 0; in-place ops: the written input)."""
    if node.is_leaf:
        return None
    if OPS[node.op].view:
        return node.inputs[0]
    target = output_alias(node)
    return None if target is None else node.inputs[target]


def _map_modes(node):
    modes = ["f" if i.shape == node.shape else "s" if i.size == 1 else "b" for i in node.inputs]
    if "b" in modes or "f" not in modes:
        return "b", tuple(broadcast_strides(i.shape, node.shape) for i in node.inputs)
    return "".join(modes), ()


_KIND_OF_OP = {OpKind.VIEW: LaunchKind.VIEW, OpKind.FUSED: LaunchKind.FUSED,
               OpKind.MULTI_TENSOR: LaunchKind.MULTI_TENSOR, OpKind.ELEMENTWISE: LaunchKind.MAP,
               OpKind.KERNEL: LaunchKind.KERNEL, OpKind.HOST: LaunchKind.HOST}


def _launch(node, param_index, schedule):
    if node.op == "input":
        return Launch(LaunchKind.INPUT, node)
    if node.op == "param":
        return Launch(LaunchKind.PARAM, node, param_index=param_index[id(node)])
    if node.op == "const":
        return Launch(LaunchKind.CONST, node)
    kind = _KIND_OF_OP[OPS[node.op].kind]
    launch = Launch(kind, node, inputs=tuple(i.id for i in node.inputs))
    if kind is LaunchKind.VIEW:
        launch.alias = 0
        return launch
    launch.alias = output_alias(node)
    if kind is LaunchKind.KERNEL and launch.alias is not None:
        launch.kind = LaunchKind.IN_PLACE
    if launch.alias is None:
        launch.buffer = len(schedule.buffers)
        schedule.buffers.append(node)
    if kind is LaunchKind.MAP:
        launch.modes, launch.strides = _map_modes(node)
    return launch


def schedule(graph, plan_memory_on=True, memory_budget=None):
    """The launches of ``graph`` in graph order, its fresh buffers and (optionally) their memory plan.

    Raises OutOfMemoryError when the buffers need more than ``memory_budget`` bytes (default: the host's
    memory, ``ops.memory.host_memory_bytes``), before any backend allocates them."""
    out = Schedule(graph)
    param_index = {id(n): i for i, n in enumerate(graph.params)}
    for node in graph.nodes:
        out.launches.append(_launch(node, param_index, out))
    budget = host_memory_bytes() if memory_budget is None else memory_budget
    # Each buffer alone first, in exact integers: a buffer over the budget can never run, and one of
    # (10**10, 10**10) elements would overflow the planner's int64 sizes.
    check_memory(out, budget, total=max((nbytes(n.shape, n.dtype) for n in out.buffers), default=0),
                 what=f"one buffer of the compiled graph {graph.name!r}")
    if plan_memory_on:
        out.memory = plan_memory(graph, needs_buffer, alias_of)
    check_memory(out, budget)
    return out


def check_memory(sched, budget, total=None, what=None, limit_name=HOST_LIMIT):
    """Raise OutOfMemoryError when ``sched`` needs more than ``budget`` bytes: its arena when memory is
    planned, else the sum of its buffers (or ``total``). The one check every backend shares: a device
    target calls it again with its own limit (e.g. Ascend's max_device_memory, ``limit_name``) before it
    allocates. The message names the largest buffers (op, shape, dtype, bytes, the user's line)."""
    sizes = [(nbytes(n.shape, n.dtype), k) for k, n in enumerate(sched.buffers)]
    if total is None:
        total = sched.memory.arena_bytes if sched.memory is not None else sum(s for s, _ in sizes)
    if total <= budget:
        return total
    largest = []
    for size, k in sorted(sizes, reverse=True)[:3]:
        n = sched.buffers[k]
        largest.append(describe_buffer(n.op, n.shape, n.dtype, size, n.location()))
    what = what or (f"the compiled graph {sched.graph.name!r} ({len(sizes)} buffers, "
                    + ("memory-planned arena)" if sched.memory is not None else "no memory plan)"))
    raise out_of_memory(what, total, budget, largest, limit_name)
