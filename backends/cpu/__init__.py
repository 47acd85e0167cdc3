"""CPU target: numba ``@njit`` kernels orchestrated by a generated Python step."""

import os

from ...graph.opdef import OPS
from . import kernel_library, plan, threading
from .kernels import random  # noqa: F401  (moves to backends/cpu/kernels/__init__.py at merge)


def default_cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "minispore")


class CpuBackend:
    target = "CPU"

    def __init__(self, cache_dir=None, memory_planning=True, parallel=False, threads=None):
        self.cache_dir = cache_dir or default_cache_dir()
        self.memory_planning = memory_planning
        self.parallel = parallel
        if parallel or threads:
            threading.configure(threads)

    def lower(self, graph):
        lib = kernel_library.load(OPS, self.cache_dir, self.parallel)
        return plan.lower(graph, lib, self.cache_dir, self.memory_planning, self.parallel)
