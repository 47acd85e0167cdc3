"""The first step of a CPU graph on the reference executor while its kernels compile in the background.

numba compiles a kernel at its first call: the ~11 kernels of a LeNet-5 training step take seconds to compile
(empty cache) or a few hundred milliseconds to load (warm cache, numba's import included), while one step
with the ops' numpy references takes ~40 ms. So the first ``run`` of a ``DeferredPlan`` runs the schedule on
the reference executor (backends/reference.py) and returns; then a thread emits the real ``CpuPlan`` (kernel
library, generated step) and runs it once on copies of the parameters and of that step's inputs, which makes
numba compile (or load from its cache) every kernel for the types it will see. The second ``run`` waits for
that thread, and every later step runs the compiled plan.

Numbers: the first step's are the references' (float32 results of numpy; they may differ from the kernels' in
the last bits, as two summation orders do). Which step runs where never depends on timing or on the state of
the disk cache, so a program gives the same numbers on every run.

Not deferred (the plan compiles at the first call, as before): graphs with host ops (Print, collectives:
their effects must happen exactly once), 16-bit floats (the CPU stores them as uint16 and rounds once per
kernel; the references do not), graphs whose reference step or parameter copies would cost more than the
wait they save (``MAX_FLOPS``, ``MAX_PARAM_BYTES``), and anything under ``cpu_parallel`` (numba's workqueue
threading layer aborts the process when two threads run parallel loops at once).
"""

import logging
import threading
import time

import numpy as np

from ...graph.flops import graph_flops
from ...graph.opdef import OPS, OpKind
from ..base import KernelRunError, Plan
from ..half_passes import is_half
from ..reference import ReferencePlan

logger = logging.getLogger("minispore")

# A reference step runs numpy at roughly 1-5 GFLOP/s on one core: above this the first step on the reference
# executor would take longer than compiling a typical graph's kernels (a few seconds), so it is not deferred.
MAX_FLOPS = 2e9
# The warm-up step runs on copies of the parameters (it must not update the user's); above this their copy
# costs more memory than the wait is worth.
MAX_PARAM_BYTES = 256 << 20
NOTICE_SECONDS = 1.0  # a longer wait for the background compile is reported at WARNING
# Held by CpuBackend._emit_now while a plan's modules are generated and imported (kernel library, fused kernels,
# step): a module is in sys.modules before its body has run, so a second thread importing it then would see it
# half made.
EMIT_LOCK = threading.Lock()


def deferrable(schedule):
    """Whether ``schedule``'s first step may run on the reference executor (see the module docstring)."""
    graph = schedule.graph
    if any(OPS[n.op].kind is OpKind.HOST for n in graph.nodes if n.op in OPS):
        return False
    if any(is_half(n.dtype) for n in graph.nodes):
        return False
    if sum(n.size * np.dtype(n.dtype).itemsize for n in graph.params) > MAX_PARAM_BYTES:
        return False
    return graph_flops(graph) <= MAX_FLOPS


class DeferredPlan(Plan):
    """A CpuPlan made and warmed up in the background; ``emit_now(schedule)`` makes the real one. Anything
    that needs the real plan (``source``, ``run_sink``, the second ``run``) waits for the thread; an error
    raised there (a numba compile error, a kernel's run-time check on the first step's inputs) is raised by
    that call."""

    def __init__(self, schedule, emit_now):
        self.memory = schedule.memory
        self._schedule = schedule
        self._emit_now = emit_now
        self._reference = ReferencePlan(schedule)
        self._handles = None
        self._plan = None
        self._thread = None
        self._error = None
        self._started = False
        self._bound = None  # the handles the real plan is bound to

    def bind(self, handles):
        self._handles = list(handles)
        self._reference.bind(self._handles)

    def run(self, inputs):
        if not self._started:
            self._started = True
            out = self._run_reference(inputs)
            self._start(inputs)
            return out
        return self._ready().run(inputs)

    def run_sink(self, batches):
        return self._ready().run_sink(batches)

    @property
    def source(self):
        return self._ready().source

    def stats(self):
        """The real plan's (after the background compile), else the memory plan's sizes and ``deferred``."""
        plan, thread = self._plan, self._thread
        if plan is not None and (thread is None or not thread.is_alive()):
            return plan.stats()
        arena = self.memory.arena_bytes if self.memory is not None else 0
        return {"arena_bytes": arena, "buffer_bytes": arena, "jit_compiled": 0, "jit_loaded": 0, "deferred": 1}

    def _run_reference(self, inputs):
        try:
            with np.errstate(all="ignore"):  # as the compiled step: overflow shows in the numbers, not as warnings
                return self._reference.run(inputs)
        except (ValueError, IndexError) as e:  # a reference's check (e.g. an index out of range)
            raise KernelRunError(str(e), self._reference.failed_node) from None

    def _start(self, inputs):
        # Copies: the warm-up step writes the parameters (an optimizer update) and may be handed views of
        # arrays the user changes before the next step.
        params = [np.array(h, copy=True) for h in self._handles]
        inputs = [np.array(x, copy=True) for x in inputs]
        # Not a daemon: a program that ends during the compile waits for it, so numba's cache is left whole
        # and the next run starts warm.
        self._thread = threading.Thread(target=self._compile, args=(params, inputs), daemon=False,
                                        name=f"minispore-compile-{self._schedule.graph.name}")
        self._thread.start()

    def _compile(self, params, inputs):
        t0 = time.perf_counter()
        try:
            plan = self._emit_now(self._schedule)
            plan.bind(params)
            plan.run(inputs)
            stats = plan.stats()
            logger.info("compiled the kernels of %s in the background (its first step ran on the reference "
                        "executor): %.1f ms (%d kernels compiled, %d loaded from cache)", self._schedule.graph.name,
                        (time.perf_counter() - t0) * 1e3, stats["jit_compiled"], stats["jit_loaded"])
            self._plan = plan
        except BaseException as e:  # (raised again by the call that needs the plan)
            self._error = e

    def _ready(self):
        if self._thread is not None:
            self._wait()
            self._thread = None
            if self._error is not None:
                error, self._error = self._error, None
                raise error
        if self._plan is None:  # no step yet (run_sink, source), or the background compile failed: compile now
            self._plan = self._emit_now(self._schedule)
        if self._bound is not self._handles:
            self._plan.bind(self._handles)
            self._bound = self._handles
        return self._plan

    def _wait(self):
        """Join the compile thread; a wait longer than NOTICE_SECONDS says so at WARNING (stderr when logging is not
        configured), as the runtime does for a long compile at the first call."""
        t0 = time.perf_counter()
        self._thread.join(NOTICE_SECONDS)
        if not self._thread.is_alive():
            return
        name = self._schedule.graph.name
        logger.warning("minispore: waiting for the kernels of %s to compile (its first step ran without them) ...",
                       name)
        self._thread.join()
        if self._error is None:
            stats = self._plan.stats()
            logger.warning("minispore: compiled the kernels of %s (waited %.1f s: %d kernels compiled, %d loaded "
                           "from the cache)", name, time.perf_counter() - t0, stats["jit_compiled"],
                           stats["jit_loaded"])
