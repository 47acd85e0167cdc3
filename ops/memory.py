"""How much memory a buffer may take, and the clear error when a graph, a constant or an eager result asks
for more than the machine could ever provide.

Without these checks numpy raises a MemoryError that names no op (or, with memory overcommit, the
allocation succeeds and the kernel's OOM killer ends the process when the pages are first written,
possibly minutes into a step). The compiled graph's check (one per schedule, shared by every backend)
is ``backends/lower.check_memory``; it and the trace-time/eager checks here format the same message.

Sizes are computed with Python ints: a shape such as (10**10, 10**10) overflows numpy's int64 products.
"""

import functools
import math
import os
import resource

import numpy as np

from ..graph import trace
from ..graph.opdef import OutOfMemoryError

# A test or a user may lower the limit (bytes): MINISPORE_HOST_MEMORY_LIMIT=8e9
_ENV_LIMIT = "MINISPORE_HOST_MEMORY_LIMIT"


def _cgroup_limit():
    """The container's memory limit (cgroup v2, then v1), or None when unlimited or unknown."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:  # v1 says "unlimited" with a huge number
            return int(text)
    return None


def host_memory_bytes():
    """The most bytes the host can give one process: physical memory, lowered by a cgroup limit, an
    address-space rlimit or ``MINISPORE_HOST_MEMORY_LIMIT``. A hard ceiling, not what is free now: a
    graph above it can never run, one below it may still need other processes' memory."""
    limit = _machine_limit()
    env = os.environ.get(_ENV_LIMIT)
    if env:
        try:
            limit = min(limit, int(float(env)))
        except ValueError:
            raise ValueError(f"{_ENV_LIMIT} must be a number of bytes, but got {env!r}") from None
    return limit


@functools.lru_cache(maxsize=1)
def _machine_limit():
    # (cached: the machine and its limits do not change while the process runs; eager ops ask every call)
    limits = []
    try:
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # not every platform has these names
        pass
    cgroup = _cgroup_limit()
    if cgroup is not None:
        limits.append(cgroup)
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    if soft not in (resource.RLIM_INFINITY, -1):
        limits.append(soft)
    return min(limits) if limits else 1 << 62


def available_memory_bytes():
    """The host memory available now (Linux's MemAvailable), at most ``host_memory_bytes()``: what an
    allocation that numpy refused could have had."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return min(int(line.split()[1]) * 1024, host_memory_bytes())
    except (OSError, ValueError, IndexError):
        pass
    return host_memory_bytes()


def nbytes(shape, dtype):
    """Exact bytes of a buffer (Python ints: no int64 overflow)."""
    return math.prod(int(s) for s in shape) * np.dtype(dtype).itemsize


def fmt_bytes(n):
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.2f} {unit} ({n} bytes)"
    return f"{n} bytes"


def describe_buffer(op, shape, dtype, size, location=""):
    """One line of the error: ``'Add' [100000, 100000] float32: 37.25 GiB (...) at file.py:12  text``."""
    where = f"  at {location}" if location else ""
    return f"'{op}' {list(shape)} {np.dtype(dtype)}: {fmt_bytes(size)}{where}"


HOST_LIMIT = "host memory (the most this process can ever get)"


def out_of_memory(what, total, budget, largest, limit_name=HOST_LIMIT):
    """The OutOfMemoryError for ``what`` needing ``total`` bytes against ``budget``; ``largest`` are
    ``describe_buffer`` lines, the biggest first."""
    lines = "".join(f"\n    {line}" for line in largest)
    return OutOfMemoryError(
        f"Out of memory: {what} needs {fmt_bytes(total)}, more than the {fmt_bytes(budget)} of {limit_name}. "
        f"The largest buffers:{lines}\n  Reduce the batch size or the layer sizes, "
        f"or check the shapes above (an unintended broadcast makes a buffer the product of two sizes).")


def check_alloc(op, shape, dtype, budget=None):
    """Raise OutOfMemoryError, naming ``op`` and the user's line, when one buffer of ``shape``/``dtype``
    (an eager op's result, a constant made while tracing) exceeds ``budget`` (default: host memory)."""
    size = nbytes(shape, dtype)
    budget = host_memory_bytes() if budget is None else budget
    if size > budget:
        source = trace.user_source()
        location = f"{source[0]}:{source[1]}  {source[2]}" if source else ""
        raise out_of_memory(f"For '{op}', the result", size, budget,
                            [describe_buffer(op, shape, dtype, size, location)])
    return size


__all__ = []
