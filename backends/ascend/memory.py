"""The device-memory budget of the simulated Ascend 910 (``set_context(max_device_memory="30GB")``; default
the 910's 32 GB of HBM), enforced on the compiled graph before its first step.

A graph's device memory is static (parameters, optimizer state and the step counter: resident for the whole
run) plus dynamic (the activation arena of one step, as the memory plan lays it out). When the two exceed the
budget the error reads like Ascend's memory adapter's, with the request, the budget and both sizes, so what a
user sees on a 910 comes here first.
"""

import re

from ...graph.opdef import OutOfMemoryError
from ...ops.memory import describe_buffer, nbytes

HBM_BYTES = 32 << 30  # an Ascend 910's HBM
_SIZE = re.compile(r"^\d+(\.\d+)?GB$")


def parse_max_device_memory(value):
    """MindSpore's ``max_device_memory``: a string such as "3.5GB" (None: the 910's 32 GB) -> bytes."""
    if value is None:
        return HBM_BYTES
    if not isinstance(value, str) or not _SIZE.match(value):
        raise ValueError(f"For 'set_context', the argument 'max_device_memory' should be in the format such as "
                         f"'3.5GB', but got {value!r}.")
    size = float(value[:-2])
    if size <= 0:
        raise ValueError(f"For 'set_context', the argument 'max_device_memory' should be greater than 0GB, but "
                         f"got {value!r}.")
    return int(size * (1 << 30))


def _mb(n):
    return f"{round(n / (1 << 20))}M"


def check_device_memory(schedule, budget):
    """Raise Ascend's out-of-memory error when ``schedule``'s static + dynamic memory exceeds ``budget``."""
    static = sum(nbytes(n.shape, n.dtype) for n in schedule.graph.params)
    if schedule.memory is not None:
        dynamic = schedule.memory.arena_bytes
    else:
        dynamic = sum(nbytes(n.shape, n.dtype) for n in schedule.buffers)
    if static + dynamic <= budget:
        return static + dynamic
    largest = sorted(schedule.buffers, key=lambda n: nbytes(n.shape, n.dtype), reverse=True)[:3]
    lines = "".join("\n    " + describe_buffer(n.op, n.shape, n.dtype, nbytes(n.shape, n.dtype), n.location())
                    for n in largest)
    raise OutOfMemoryError(
        f"Out of Memory!!! Request memory size: {static + dynamic}B, Memory Statistic:\n"
        f"Device HBM memory size: {_mb(budget)} (max_device_memory)\n"
        f"MindSpore Used memory size: 0M\n"
        f"Total Static Memory size: {_mb(static)} (parameters and optimizer state of {len(schedule.graph.params)} "
        f"Parameters)\n"
        f"Total Dynamic memory size: {_mb(dynamic)}\n"
        f"Dynamic memory size of this graph: {_mb(dynamic)} (the activation arena of one step of "
        f"{schedule.graph.name!r})\n"
        f"The largest buffers of the step:{lines}\n\n"
        f"Please try to reduce 'batch_size' or check whether exists extra large shape, or raise "
        f"set_context(max_device_memory=...) (the simulated Ascend 910 has {_mb(budget)}).")
