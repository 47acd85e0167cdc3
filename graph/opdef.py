"""The op table the IR and its passes need: ``OpDef``, ``OPS``, ``Spec`` and the in-place queries.

Every primitive is defined once, in ``ops/``, as an ``OpDef``:
  * ``infer(specs, **attrs) -> (shape, dtype)``: shape/dtype inference; raises on bad input.
  * ``reference(*arrays, **attrs) -> array``: the numpy implementation (test oracle, eager mode,
    the reference backend).
  * ``grad(ctx, inputs, out, dout, **attrs) -> [grad or None per input]`` written with ordinary
    ops on Tensors, so gradients are ordinary graph nodes; or ``nondiff=True``.
  * ``scalar``: for elementwise ops, a plain Python function of scalars that every backend compiles
    inside its own map template (and fusion composes); ``scalar_attrs`` names attrs passed to it.
  * ``kind``: what a backend has to do for the op (``OpKind``); derived from ``scalar``/``view``
    unless the op is one of the fusion passes' kinds.
  * ``impure``: has side effects (Assign, random): never folded, merged or removed.
  * ``writes``: input indices the kernel overwrites in place (a tuple, or a function of the node);
    ``alias``: index of the input whose buffer IS the output (or a function returning it or None).
    An op with an alias gets no ``out`` argument; the verifier forbids reading a written buffer
    later in the graph.

Kernels are not part of an OpDef: each target registers its own (``backends/<target>/kernels``).
This module is the ground floor: it imports nothing of minispore's.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


class OpKind(enum.Enum):
    ELEMENTWISE = "elementwise"    # a scalar body inside each target's map template
    KERNEL = "kernel"              # an explicit kernel per target
    VIEW = "view"                  # the output is a reshaped view of input 0: no kernel runs
    FUSED = "fused"                # FusedElementwise: a program of scalar bodies in one loop
    MULTI_TENSOR = "multi_tensor"  # one fused program over several tensors
    HOST = "host"                  # runs its numpy reference on the host inside the step (Print, all-reduce)


class OpError(ValueError):
    """Bad input to an op at trace time; the message names the op, the shapes and the user's line."""


class OpTypeError(TypeError):
    """A dtype error at trace time (MindSpore raises TypeError for these); same message format."""


class OutOfMemoryError(MemoryError, RuntimeError):
    """A graph, a constant or an eager result needs more memory than the target can ever provide. Raised
    before anything is allocated (numpy would fail without naming the op, or the kernel's OOM killer would
    end the process minutes later); the message names the largest buffers (op, shape, dtype, bytes, the
    user's line), the total and the limit. A MemoryError for numpy users, a RuntimeError ("out of memory")
    for MindSpore's and PyTorch's (``torch.OutOfMemoryError`` is a RuntimeError)."""


@dataclass
class OpDef:
    name: str
    infer: Callable
    reference: Callable
    grad: Callable | None = None
    nondiff: bool = False
    scalar: Callable | None = None
    scalar_attrs: tuple = ()
    impure: bool = False
    writes: tuple | Callable = ()
    alias: int | Callable | None = None
    kind: OpKind | None = None

    def __post_init__(self):
        if self.kind is None:
            self.kind = OpKind.ELEMENTWISE if self.scalar is not None else OpKind.KERNEL

    @property
    def view(self):
        return self.kind is OpKind.VIEW


OPS: dict[str, OpDef] = {}


def register(op: OpDef):
    if op.name in OPS:
        raise ValueError(f"op {op.name} is defined twice")
    if op.grad is None and not op.nondiff:
        raise ValueError(f"op {op.name} needs a gradient rule or nondiff=True")
    OPS[op.name] = op
    return op


def written_inputs(node):
    """Indices of ``node``'s inputs that its kernel overwrites in place (Assign: the Parameter)."""
    w = OPS[node.op].writes
    return tuple(w(node)) if callable(w) else tuple(w)


def output_alias(node):
    """Index of the input whose buffer is ``node``'s output (in-place ops), or None."""
    a = OPS[node.op].alias
    return a(node) if callable(a) else a


class Spec:
    """Shape and dtype of an op input, as seen by ``infer``."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"{list(self.shape)} {self.dtype}"
