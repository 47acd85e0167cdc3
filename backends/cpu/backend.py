"""The CPU target: numba ``@njit`` kernels orchestrated by a generated Python step."""

import hashlib

import numpy as np

from ...graph.opdef import OPS
from ...ops.memory import available_memory_bytes
from ..base import Backend, HostStorage, KernelRunError, Plan
from ..lower import check_memory
from . import f16, kernel_library, kernels, threading  # noqa: F401  (importing kernels registers every CPU kernel)
from .deferred import EMIT_LOCK, DeferredPlan, deferrable
from .emit import step_source
from .epilogue import PASSES as EPILOGUE_PASSES
from .passes import PASSES

PLAN_VERSION = 2


class CpuPlan(Plan):
    """A generated step over preallocated buffers. ``stats()``: ``arena_bytes`` (the memory the step's
    buffers take: one arena when memory planning is on), ``buffer_bytes`` (one allocation each),
    ``jit_compiled``/``jit_loaded`` (numba compiles / cache loads so far of the kernels it calls)."""

    def __init__(self, schedule, src, module, source, buffers):
        self.memory = schedule.memory
        self.source = source
        self._step = module.step
        self._consts = src.consts
        self._buffers = buffers
        self._node_of_line = src.node_of_line
        self._params = None
        self._kernels = [v for k, v in vars(module).items() if k.startswith(("k_", "ew_", "fused_")) and callable(v)]

    def bind(self, handles):
        self._params = [f16.to_storage(h) for h in handles]  # 16-bit floats: uint16 views of the same memory

    def run(self, inputs):
        try:
            # the host kernels' numpy calls (BLAS GEMMs) would print RuntimeWarnings on overflow, which the
            # numba kernels never do: an overflow shows in the numbers (loss scaling, the non-finite loss warning)
            with np.errstate(all="ignore"):
                return self._step(self._params, inputs, self._consts, self._buffers)
        except (ValueError, IndexError) as e:  # a kernel's run-time check (e.g. an index out of range)
            raise KernelRunError(str(e), self._failing_node(e)) from None

    def _failing_node(self, error):
        """The node of the step line that raised (None if the error came from elsewhere)."""
        tb, code = error.__traceback__, self._step.__code__
        while tb is not None:
            if tb.tb_frame.f_code is code:
                return self._node_of_line.get(tb.tb_lineno - code.co_firstlineno)
            tb = tb.tb_next
        return None

    def stats(self):
        compiled = loaded = 0
        for fn in self._kernels:
            stats = getattr(fn, "stats", None)
            if stats is not None:
                compiled += sum(stats.cache_misses.values())
                loaded += sum(stats.cache_hits.values())
        buffer_bytes = sum(b.nbytes for b in self._buffers)
        arena = self.memory.arena_bytes if self.memory is not None else buffer_bytes
        return {"arena_bytes": arena, "buffer_bytes": buffer_bytes, "jit_compiled": compiled, "jit_loaded": loaded}


class CpuBackend(Backend):
    """Options (``set_context``): ``cpu_parallel`` (prange in large elementwise and fused kernels, from a
    separate parallel kernel library), ``cpu_threads`` (threads for those loops and for BLAS),
    ``background_compile`` (a graph's first step runs on the reference executor while its kernels compile:
    deferred.py)."""

    target = "CPU"
    context_keys = ("cpu_parallel", "cpu_threads", "background_compile")
    shared_pass_names = tuple(name for name, _ in PASSES)  # (the ones the Ascend target reuses)
    pass_names = shared_pass_names + tuple(name for name, _ in EPILOGUE_PASSES)

    def __init__(self, context, cache):
        super().__init__(context, cache)
        self.parallel = bool(self.options["cpu_parallel"])
        if self.parallel or self.options["cpu_threads"]:
            threading.configure(self.options["cpu_threads"])
        self._storage = HostStorage()
        self._library = None

    def storage(self):
        return self._storage

    def passes(self):
        """16-bit floats: arithmetic kernels compute in float32 between Casts; broadcasts materialised. Then, on
        the CPU target only (Ascend reuses these passes but multiplies on its cube), MatMul epilogue fusion."""
        return list(PASSES) + (list(EPILOGUE_PASSES) if self.target == "CPU" else [])

    def library(self):
        if self._library is None:
            self._library = kernel_library.load(OPS, self.cache, self.parallel)
        return self._library

    def emit(self, schedule):
        # (not with cpu_parallel: numba's workqueue threading layer aborts the process when two threads launch
        # parallel loops at once, as the warm-up step and another graph's step could)
        if self.target == "CPU" and self.options["background_compile"] and not self.parallel and deferrable(schedule):
            return DeferredPlan(schedule, self._emit_now)
        return self._emit_now(schedule)

    def _emit_now(self, schedule):
        with EMIT_LOCK:  # (the background compile emits from its own thread)
            return self._emit_locked(schedule)

    def _emit_locked(self, schedule):
        lib = self.library()
        src = step_source(schedule, self.parallel)
        fused_mod, fused_source = self._fused_module(src, lib)
        imports = "".join(f"{k} = _lib.{fn}\n" for k, fn in sorted(src.kernels.items()))
        imports += "".join(f"fused_{i} = _fused.fused_{i}\n" for i in range(len(src.fused_sources)))
        body = "\n".join(src.lines)
        digest = hashlib.sha256(f"{PLAN_VERSION}|{lib.__name__}|{fused_mod.__name__}|{body}".encode()).hexdigest()[:16]
        source = (f'"""minispore plan for graph {schedule.graph.name!r} (generated; do not edit). plan {digest}, '
                  f'kernels {lib.__name__}, fused kernels {fused_mod.__name__}"""\nimport sys\n\n'
                  f"_lib = sys.modules[{lib.__name__!r}]\n_fused = sys.modules[{fused_mod.__name__!r}]\n"
                  f"from {lib.__name__} import *  # noqa: F403\n{imports}\n\n"
                  f"def step(P, X, C, B):\n{body}\n")
        module, _ = self.cache.module("plan", digest, source)
        return CpuPlan(schedule, src, module, source + "\n\n# ---- fused kernels ----\n" + fused_source,
                       self._buffers(schedule))

    def _fused_module(self, src, lib):
        """The graph's fused kernels in their own module, named by a hash of their text only: graphs that
        differ in shapes (a new batch size) share it, and so share numba's cached machine code."""
        fused = "\n\n".join(src.fused_sources)
        digest = hashlib.sha256(f"{PLAN_VERSION}|{lib.__name__}|{f16.VERSION}|{fused}".encode()).hexdigest()[:16]
        imports = "".join(f"{b} = _lib.{b}\n" for b in sorted(src.bodies))
        helpers = ", ".join(sorted(h for names in f16.HALF_TYPES.values() for h in names))
        source = (f'"""minispore fused kernels (generated; do not edit). {digest}, kernels {lib.__name__}"""\n'
                  f"import math  # noqa: F401\nimport sys\n\nimport numpy as np  # noqa: F401\n"
                  f"from numba import njit, prange  # noqa: F401\n\n"
                  f"from {f16.INTRINSICS} import {helpers}  # noqa: F401  (16-bit float helpers {f16.VERSION})\n"
                  f"_lib = sys.modules[{lib.__name__!r}]\nPARALLEL_MIN = _lib.PARALLEL_MIN\n{imports}\n\n{fused}\n")
        return self.cache.module("fused", digest, source)[0], source

    def _buffers(self, schedule):
        """Buffers of the schedule: views into one planned arena, or one array each."""
        nodes = schedule.buffers
        try:
            if schedule.memory is None:
                return [self._storage.alloc(n.shape, f16.storage_dtype(n.dtype)) for n in nodes]
            arena = self._storage.alloc((schedule.memory.arena_bytes,), "uint8")
        except MemoryError:
            # Under the host's ceiling (lower.schedule checked it) but more than is free now: the same
            # clear error, naming the largest buffers, instead of numpy's.
            check_memory(schedule, available_memory_bytes(), limit_name="host memory available now")
            raise
        out = []
        for n in nodes:
            start = schedule.memory.offsets[n.id]
            dtype = f16.storage_dtype(n.dtype)  # (16-bit floats: uint16)
            out.append(arena[start:start + n.size * dtype.itemsize].view(dtype).reshape(n.shape))
        return out
