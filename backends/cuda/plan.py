"""The GPU target's device half, loaded by ``CudaBackend``: the plan of one compiled graph.

``make_plan`` writes two modules through the compile cache (``runtime.cache.ModuleCache``): the graph's
generated kernels (named by a hash of their text only, so graphs that differ in shapes share them and
numba-cuda's on-disk cache, which keys on the file, serves them) and the step that launches them.
"""

import hashlib
import inspect

import numba
import numpy as np
from numba import cuda

from ..base import KernelRunError, Plan
from . import kernels, trig32  # noqa: F401  (importing kernels registers every GPU kernel)
from .device import SIMULATED, CudaStorage, flat  # noqa: F401  (flat: the generated step reads it from here)
from .emit import step_source
from .scalar import FLOAT32_MATH_IMPORT, scalar_source

# Hash of trig32.py: generated kernels call its device functions, and numba's cache checks only the
# calling file, so the kernels' digest carries it (a changed trig32 gives new kernel modules).
TRIG32 = hashlib.sha256(inspect.getsource(trig32).encode()).hexdigest()[:12]

PLAN_VERSION = 1
__all__ = ["CudaStorage", "make_plan"]


def put(dev, host):
    """Copy a host array into the device array ``dev`` (an input buffer); returns ``dev``."""
    dev.copy_to_device(np.ascontiguousarray(host, dtype=dev.dtype).reshape(dev.shape))
    return dev


class CudaPlan(Plan):
    """A generated step over device buffers. ``stats()``: ``arena_bytes`` (one device arena when memory
    planning is on), ``buffer_bytes``, ``kernels`` (generated kernels of this graph)."""

    def __init__(self, schedule, src, step, source, storage):
        self.memory = schedule.memory
        self.source = source
        self._step = step
        self._checks = src.checks
        self._errors = cuda.to_device(np.zeros(max(1, len(src.checks)), np.int32))
        self._consts = [self._const(c) for c in src.consts]
        self._buffers = self._alloc(schedule, storage)
        self._inputs = [storage.alloc(n.shape, n.dtype) for n in sorted(schedule.graph.inputs, key=lambda n: n.index)]
        self._kernels = len(src.kernels)
        self._params = None

    def _const(self, value):
        if isinstance(value, tuple) and value and value[0] == "device":
            return cuda.to_device(value[1])
        if isinstance(value, tuple) and value and value[0] == "error":
            return self._errors[value[1]:value[1] + 1]
        return value

    def _alloc(self, schedule, storage):
        nodes = schedule.buffers
        if schedule.memory is None:
            return [storage.alloc(n.shape, n.dtype) for n in nodes]
        arena = storage.alloc((max(1, schedule.memory.arena_bytes),), np.uint8)
        out = []
        for n in nodes:
            start = schedule.memory.offsets[n.id]
            out.append(arena[start:start + n.size * n.dtype.itemsize].view(n.dtype).reshape(n.shape))
        return out

    def bind(self, handles):
        self._params = list(handles)

    def run(self, inputs):
        outs = self._step(self._params, inputs, self._consts, self._buffers, self._inputs)
        if self._checks:
            self._raise_reported()
        return outs

    def _raise_reported(self):
        flags = self._errors.copy_to_host()
        bad = np.flatnonzero(flags)
        if bad.size:
            self._errors.copy_to_device(np.zeros_like(flags))
            node, launcher = self._checks[bad[0]]
            code = int(flags[bad[0]])
            raise KernelRunError(launcher.errors.get(code, f"{launcher.__name__} reported error {code}"), node)

    def stats(self):
        buffer_bytes = sum(b.size * b.dtype.itemsize for b in self._buffers)
        arena = self.memory.arena_bytes if self.memory is not None else buffer_bytes
        return {"arena_bytes": arena, "buffer_bytes": buffer_bytes, "kernels": self._kernels}


def _kernels_module(src, cache):
    bodies = sorted({b[len("_s_"):] for b in src.bodies})
    text = "\n\n".join([scalar_source(op) for op in bodies]
                       + [t.replace("KERNEL", name, 1) for t, name in src.kernels.items()])
    digest = hashlib.sha256(f"{PLAN_VERSION}|{numba.__version__}|{SIMULATED}|{TRIG32}|{text}".encode()).hexdigest()[:16]
    source = (f'"""minispore GPU kernels (generated; do not edit). {digest}"""\nimport math  # noqa: F401\n\n'
              f"import numpy as np  # noqa: F401\nfrom numba import cuda\n\n{FLOAT32_MATH_IMPORT}\n\n{text}\n")
    return cache.module("cuda_kernels", digest, source)[0], source


def make_plan(schedule, cache, storage):
    src = step_source(schedule)
    kmod, ksource = _kernels_module(src, cache)
    imports = "".join(f"{name} = _k.{name}\n" for name in sorted(src.kernels.values()))
    imports += "".join(f"{k} = getattr(sys.modules[{fn.__module__!r}], {fn.__name__!r})\n"
                       for k, fn in sorted(src.launchers.items()))
    body = "\n".join(src.lines)
    digest = hashlib.sha256(f"{PLAN_VERSION}|{kmod.__name__}|{imports}|{body}".encode()).hexdigest()[:16]
    source = (f'"""minispore GPU plan for graph {schedule.graph.name!r} (generated; do not edit). plan {digest}, '
              f'kernels {kmod.__name__}"""\nimport sys\n\n_k = sys.modules[{kmod.__name__!r}]\n'
              f"_d = sys.modules[{__name__!r}]\nput, flat = _d.put, _d.flat\n{imports}\n\n"
              f"def step(P, X, C, B, I):\n{body}\n")
    module, _ = cache.module("cuda_plan", digest, source)
    return CudaPlan(schedule, src, module.step, source + "\n\n# ---- kernels ----\n" + ksource, storage)

