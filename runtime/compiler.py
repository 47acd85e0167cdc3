"""The compiler pipeline: trace a function into a Graph per input signature, run the passes,
lower for the device target, cache the executable, and run it.

Everything a user calls outside a trace (a Cell, a gradient function, an optimizer) comes through
``run_compiled``: Tensors in the arguments become graph inputs; other arguments (numbers, None,
strings) are constants of the signature, so a new value recompiles.
"""

import threading
import time

from ..backends import backend_options, create_backend
from ..backends.base import KernelRunError
from ..backends.lower import schedule
from ..graph import trace
from ..graph.passes import run_passes
from ..graph.session import SESSION
from ..graph.tensor import Tensor
from . import context
from .cache import ModuleCache
from .dump import GraphDumper
from .interrupts import run_whole

logger = context.logger


def flatten(obj, leaves):
    """Tensors in nested tuples/lists go to ``leaves``; returns a hashable structure description."""
    if isinstance(obj, Tensor):
        leaves.append(obj)
        return "T"
    if isinstance(obj, (tuple, list)):
        return (type(obj).__name__, tuple(flatten(o, leaves) for o in obj))
    if isinstance(obj, dict):
        return ("dict", tuple((k, flatten(v, leaves)) for k, v in obj.items()))
    try:
        hash(obj)
    except TypeError:
        raise TypeError(f"a graph argument must be a Tensor, a number, a string, None or a tuple of these, "
                        f"but got {type(obj).__name__}") from None
    return ("const", obj)


def unflatten(tdef, leaves):
    if tdef == "T":
        return next(leaves)
    kind, payload = tdef
    if kind == "const":
        return payload
    if kind == "dict":
        return {k: unflatten(v, leaves) for k, v in payload}
    items = [unflatten(t, leaves) for t in payload]
    return tuple(items) if kind == "tuple" else items


class CompiledGraph:
    """One compiled signature of a traced function: its graph, the backend's plan, and the storage its
    Parameters are bound to (once, and again only when a Parameter's storage handle changed)."""

    def __init__(self, graph, plan, storage, out_tdef, timings):
        self.graph = graph
        self.plan = plan
        self.storage = storage
        self.out_tdef = out_tdef
        self.params = [n.param for n in graph.params]
        self.timings = timings
        self._bound = None
        self._first = True

    def _bind(self):
        handles = [p._bind(self.storage) for p in self.params]
        self.plan.bind(handles)
        self._bound = SESSION.residency_version

    def __call__(self, leaves):
        if self._bound != SESSION.residency_version:
            self._bind()
        if self._first:
            return self._first_call(leaves)
        return unflatten(self.out_tdef, iter(Tensor(o) for o in self._run(leaves)))

    def _run(self, leaves, sink=None):
        try:
            if sink is None:
                return run_whole(self.plan.run, [t._data for t in leaves], self.graph.name)
            return run_whole(self.plan.run_sink, [[t._data for t in b] for b in sink], self.graph.name)
        except KernelRunError as e:  # a kernel's run-time check (e.g. an index out of range)
            where = f"\n  at {e.node.location()}" if e.node is not None and e.node.location() else ""
            raise ValueError(f"{e}\n  while running the compiled graph of {self.graph.name}{where}") from None

    def sink(self, batches):
        """Dataset sink: one step per batch (lists of leaves of this graph's signature) in one call into the
        plan; parameters, the step counter and the learning rate stay on the device between them. Returns
        the last step's outputs. Ctrl-C waits for the end of the sink, as on a device."""
        if self._bound != SESSION.residency_version:
            self._bind()
        return unflatten(self.out_tdef, iter(Tensor(o) for o in self._run(None, sink=batches)))

    def _first_call(self, leaves):
        # Numba compiles (or loads from its cache) each kernel on first use: time that phase once.
        before = self.plan.stats()
        t0 = time.perf_counter()
        self._first = False
        outs = self._run(leaves)
        self.timings["first run"] = time.perf_counter() - t0
        after = self.plan.stats()
        self.jit_compiled = after.get("jit_compiled", 0) - before.get("jit_compiled", 0)
        self.jit_loaded = after.get("jit_loaded", 0) - before.get("jit_loaded", 0)
        if after.get("deferred"):
            logger.info("first run of %s: %.1f ms on the reference executor (its kernels compile in the background)",
                        self.graph.name, self.timings["first run"] * 1e3)
        else:
            logger.info("first run of %s: %.1f ms (%d kernels compiled, %d loaded from cache)",
                        self.graph.name, self.timings["first run"] * 1e3, self.jit_compiled, self.jit_loaded)
        return unflatten(self.out_tdef, iter(Tensor(o) for o in outs))


def current_backend():
    """The session's Backend for the context's device target (or the reference executor), made once
    per target and values of the options it reads."""
    ctx = SESSION.context
    target = "reference" if ctx["executor"] == "reference" else ctx["device_target"]
    key = (target, ctx["compile_cache_dir"]) + tuple(
        tuple(sorted(ctx[k].items())) if isinstance(ctx[k], dict) else ctx[k] for k in backend_options(target))
    backend = SESSION.backends.get(key)
    if backend is None:
        backend = SESSION.backends[key] = create_backend(target, ctx, ModuleCache(ctx["compile_cache_dir"]))
    return backend


def _describe_change(old_keys, key):
    if not old_keys:
        return "first call"
    prev = old_keys[-1]
    if prev[1] != key[1]:
        def show(sig):
            return [(list(s), str(d)) for s, d in sig]

        return f"new input signature {show(key[1])} (was {show(prev[1])})"
    if prev[0] != key[0]:
        return "new non-Tensor arguments"
    return "context, parameters or train/eval mode changed"


def compile_function(fn, tdef, leaves, name):
    timings = {}
    t0 = time.perf_counter()
    dumper = GraphDumper.from_context(name)
    with trace.tracing(name) as tracer:
        tracers = [Tensor._from_node(tracer.input_node(t.shape, t._data.dtype, i)) for i, t in enumerate(leaves)]
        out = fn(*unflatten(tdef, iter(tracers)))
        out_leaves = []
        out_tdef = flatten(out, out_leaves)
        tracer.graph.outputs = [t._graph_node() for t in out_leaves]
    graph = tracer.graph
    timings["trace+autodiff"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    backend = current_backend()
    disabled = context.get_context("disabled_passes")
    try:
        graph = run_passes(graph, debug=context.get_context("debug"), on_pass=dumper.on_pass if dumper else None,
                           disabled=disabled, extra=backend.passes())
    except Exception:
        if dumper:
            dumper.on_failure(graph)
        raise
    timings["passes"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    plan = backend.emit(schedule(graph, plan_memory_on="memory_plan" not in disabled))
    timings["codegen"] = time.perf_counter() - t2
    if dumper:
        dumper.on_plan(graph, plan, backend)
    return CompiledGraph(graph, plan, backend.storage(), out_tdef, timings)


# A compile (trace, passes, codegen and the first run, where numba compiles the kernels) that takes longer
# than this many seconds says so on the 'minispore' logger at WARNING, which Python prints on stderr when
# logging is not configured; faster compiles stay silent. None turns the line off.
LONG_COMPILE_SECONDS = 1.0


class _LongCompileNotice:
    """Says ``minispore: compiling <name> (<why>) ...`` once a compile has run LONG_COMPILE_SECONDS (from a
    timer thread, so the line shows while the user waits), and how long it took when it ends."""

    def __init__(self, name, reason):
        self.name, self.reason = name, reason
        self.fired = False
        self.timer = None

    def __enter__(self):
        self.t0 = time.perf_counter()
        if LONG_COMPILE_SECONDS is not None:
            self.timer = threading.Timer(LONG_COMPILE_SECONDS, self._fire)
            self.timer.daemon = True
            self.timer.start()
        return self

    def _fire(self):
        self.fired = True
        logger.warning("minispore: compiling %s (%s) ...", self.name, self.reason)

    def __exit__(self, exc_type, *err):
        if self.timer is not None:
            self.timer.cancel()
            self.timer.join()
        if self.fired and exc_type is None:
            logger.warning("minispore: compiled %s in %.1f s%s", self.name, time.perf_counter() - self.t0,
                           self.detail)
        return None

    detail = ""


def _signature(cache, args, mode_key):
    leaves = []
    tdef = flatten(args, leaves)
    for t in leaves:
        if t._node is not None:
            raise RuntimeError("a graph-mode Tensor was passed to a compiled call outside its graph")
    key = (tdef, tuple((t._data.shape, t._data.dtype) for t in leaves), context.version(), SESSION.param_version,
           mode_key)
    return tdef, leaves, key


def run_sink(cell, batches):
    """``cell(*batch)`` for every batch, as one dataset sink: the first batch compiles the graph if needed (a
    call like any other); the rest run in one call into its plan when their signature is the same (else
    one by one). Returns the last step's outputs."""
    signatures = [_signature(cell._compile_cache, tuple(b), cell.training) for b in batches]
    compiled = cell._compile_cache.entries.get(signatures[0][2])
    if compiled is None or compiled._first:  # not compiled (or never run) yet: the first step on its own
        out = cell(*batches[0])
        batches, signatures = batches[1:], signatures[1:]
        compiled = cell._compile_cache.entries.get(signatures[0][2]) if signatures else None
    else:
        out = None
    if not signatures:
        return out
    if compiled is None or any(s[2] != signatures[0][2] for s in signatures):  # ragged sink: step by step
        for b in batches:
            out = cell(*b)
        return out
    return compiled.sink([s[1] for s in signatures])


def run_compiled(cache, fn, args, name, mode_key=None):
    tdef, leaves, key = _signature(cache, args, mode_key)
    compiled = cache.entries.get(key)
    if compiled is not None:
        return compiled(leaves)
    reason = _describe_change(list(cache.entries), key)
    with _LongCompileNotice(name, reason) as notice:
        t0 = time.perf_counter()
        compiled = compile_function(fn, tdef, leaves, name)
        cache.entries[key] = compiled
        total = time.perf_counter() - t0
        phases = ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in compiled.timings.items())
        memory = compiled.plan.memory
        arena = f"; {memory.summary()}" if memory is not None else ""
        logger.info("compiled %s (%d nodes): %s; %.1f ms (%s)%s", name, len(compiled.graph.nodes), reason,
                    total * 1e3, phases, arena)
        cache.last = compiled
        out = compiled(leaves)  # the first run: numba compiles (or loads from its cache) the kernels here
        jit = getattr(compiled, "jit_compiled", 0), getattr(compiled, "jit_loaded", 0)
        notice.detail = f" (first run {compiled.timings.get('first run', 0.0):.1f} s: {jit[0]} kernels compiled, " \
                        f"{jit[1]} loaded from the cache)"
    return out


SESSION.runner = run_compiled
