"""The seam every device target implements: ``Backend``, ``Plan``, ``Storage`` and ``KernelSpec``.

A backend gets a verified, optimised graph from the runtime, appends its own graph passes
(``passes()``), and turns the target-neutral schedule that ``lower.schedule`` makes of the graph
into an executable ``Plan`` (``emit``). Parameters, optimizer state and the step counter live in the
backend's ``Storage`` from ``Plan.bind`` on; the host reads and writes them through it.

Kernels for ops that are not elementwise are registered per target with ``@kernel(op, target)``
next to the target's code (``backends/<target>/kernels/``); ``kernel_for`` finds them and names what
is missing: ``op 'X' has no kernel for GPU (has: CPU)``.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class KernelSpec:
    """One op's kernel on one target.

    ``fn`` is a plain top-level function ``fn(*inputs, out, *args)`` (no ``out`` for in-place ops)
    whose source the target compiles into its kernel library; ``helpers`` are the functions it calls;
    ``args(node) -> tuple`` gives its run-time arguments (shapes, strides, attrs: geometry from ops/).
    ``host``: ``fn`` is not compiled but called as plain Python on the target's arrays, with its (compiled)
    helpers as its first arguments: for work where a compiler adds nothing (CPU: a GEMM through numpy's
    ``matmul(out=)``, whose BLAS is the faster of the two a CPU process loads; see kernels/linalg.py).
    """

    op: str
    target: str
    fn: Callable
    helpers: tuple = ()
    args: Callable | None = None
    host: bool = False

    def run_args(self, node):
        return tuple(self.args(node)) if self.args is not None else ()


_KERNELS: dict[tuple[str, str], KernelSpec] = {}


class MissingKernelError(NotImplementedError):
    """A graph uses an op that the device target has no kernel for."""


def kernel(op, target, helpers=(), args=None, host=False):
    """Decorator: register the decorated function as ``op``'s kernel on ``target``."""

    def register(fn):
        if (op, target) in _KERNELS:
            raise ValueError(f"op '{op}' has two kernels for {target}: {_KERNELS[op, target].fn.__name__} "
                             f"and {fn.__name__}")
        _KERNELS[op, target] = KernelSpec(op, target, fn, tuple(helpers), args, host)
        return fn

    return register


def kernel_targets(op):
    """The targets that have a kernel for ``op``."""
    return sorted(t for (o, t) in _KERNELS if o == op)


def kernel_for(op, target):
    spec = _KERNELS.get((op, target))
    if spec is None:
        has = ", ".join(kernel_targets(op)) or "none"
        raise MissingKernelError(f"op '{op}' has no kernel for {target} (has: {has})")
    return spec


def kernels_of(target):
    """{op name: KernelSpec} of every kernel registered for ``target`` (sorted by op name)."""
    return {o: s for (o, t), s in sorted(_KERNELS.items()) if t == target}


class KernelRunError(ValueError):
    """A kernel's run-time check failed (e.g. an index out of range); ``node`` is the graph node whose
    launch raised it, so the runtime can name the user's line of that very op."""

    def __init__(self, message, node):
        super().__init__(message)
        self.node = node


class Storage(ABC):
    """Where a target keeps tensors. A handle is whatever the target computes on (a numpy array on the
    host targets, a device array on GPU)."""

    @abstractmethod
    def alloc(self, shape, dtype):
        """A new, uninitialised handle."""

    @abstractmethod
    def to_device(self, array):
        """A handle holding ``array``'s values (on the host targets: the array itself when it is
        C-contiguous, so binding costs no copy)."""

    @abstractmethod
    def to_host(self, handle):
        """The handle's values as a numpy array (a view on the host targets, a copy from a device)."""

    @abstractmethod
    def copy_in(self, handle, array):
        """Overwrite the handle's values with ``array``'s (same shape and dtype)."""


class HostStorage(Storage):
    """Storage in host memory as numpy arrays: zero copies (CPU, Ascend simulated on the CPU, reference)."""

    def alloc(self, shape, dtype):
        return np.empty(shape, dtype)

    def to_device(self, array):
        return array if array.flags.c_contiguous else np.array(array, order="C")  # (keeps 0-d arrays 0-d)

    def to_host(self, handle):
        return handle

    def copy_in(self, handle, array):
        np.copyto(handle, array, casting="unsafe")


class Plan(ABC):
    """An executable compiled graph: ``bind(params)`` once, then ``run(inputs)`` per step.

    ``source`` is the generated code (for dumps), ``memory`` the memory plan (or None).
    """

    source = ""
    memory = None

    @abstractmethod
    def bind(self, handles):
        """Make the graph's parameter handles (in ``graph.params`` order) resident for every later run."""

    @abstractmethod
    def run(self, inputs):
        """Run one step on host input arrays; returns the outputs as host arrays (copies)."""

    def run_sink(self, batches):
        """Dataset sink: one step per entry of ``batches`` (lists of host input arrays) in one call, the
        parameters resident throughout; returns the last step's outputs. A target with a device loop
        overrides it; the host targets run the steps back to back."""
        out = None
        for inputs in batches:
            out = self.run(inputs)
        return out

    def stats(self):
        """{name: number}: at least ``arena_bytes`` and ``buffer_bytes``; targets add their own."""
        return {"arena_bytes": 0, "buffer_bytes": 0}


class Backend(ABC):
    """A device target. ``context_keys`` are the run-time options it reads from the context mapping it
    is made with (the runtime keeps one backend per target and values of those keys)."""

    target = ""
    context_keys = ()
    pass_names = ()  # the names of the graph passes ``passes()`` may return (set_context(disabled_passes=...))
    dataset_sink = False  # whether the target runs a dataset sink (sink_size steps per launch), as GPU/Ascend

    def __init__(self, context, cache):
        self.options = {k: context[k] for k in self.context_keys}
        self.cache = cache  # runtime.cache.ModuleCache: where generated modules are written and imported

    def passes(self):
        """[(name, Graph -> Graph)]: this target's graph passes. They run after the target-neutral
        simplifications and before elementwise fusion (``graph.passes.pipeline``), so the elementwise ops
        they insert (casts, materialised broadcasts) fuse with their neighbours."""
        return []

    def summary(self, graph):
        """Text the target adds to the dump summary of a compiled ``graph`` (``*_summary.txt``): the Ascend
        target's cost estimate. Default: nothing."""
        return ""

    @abstractmethod
    def storage(self):
        """The target's Storage."""

    @abstractmethod
    def emit(self, schedule):
        """A Plan executing ``schedule`` (a ``lower.Schedule``)."""
