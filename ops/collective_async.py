"""Non-blocking all-reduce in two host ops, and the all-gather of row-sparse gradients.

``AllReduceStart(x_1..x_k) -> token`` packs its inputs into one flat float buffer (as ``AllReduce``:
``concat(ravel(x_1), ..., ravel(x_k))``), launches ``MPI_Iallreduce`` on it and returns a token (an int64
scalar naming the pending request). ``AllReduceWait(token) -> out`` blocks until that request completes and
returns ``out = op_r(concat(ravel(x_1), ..., ravel(x_k)))`` over the ranks r, of shape ``shape`` (attr).

Splitting the collective lets the graph scheduler (graph/passes/overlap.py) launch a gradient bucket's
all-reduce as soon as its last gradient exists and wait for it only before the first reader (the optimizer),
so the message travels while the rest of the backward computes. The pending buffer is owned by the request
table here, not by the step's memory-planned arena: the step may reuse the inputs' buffers right after
``Start`` while MPI still reads the packed copy.

``AllGather(x) -> concat_r(x_r)`` (MindSpore's ``ops.AllGather``: rank order along axis 0) gathers the
indices and the values of a row-sparse gradient; each rank's row count must be the one in the graph (static
shapes), which it checks (one small all-gather of the counts) before the ``Allgatherv``.
"""

import itertools

import numpy as np

from ..graph.session import SESSION
from .collective import GROUP_WORLD, REDUCE_OPS, launched_by_mpi
from .primitive_base import Primitive
from .registry import OpDef, OpKind, apply, as_tensor, register

# token -> (request or None, packed buffer): the all-reduces launched and not yet waited on, in this process
_PENDING = {}
_TOKENS = itertools.count(1)


def _world():
    comm = SESSION.communicator
    if comm is None and launched_by_mpi():
        raise RuntimeError("AllReduce: this process is one rank of an MPI job, but minispore.communication.init() "
                           "was not called, so it cannot reach the other ranks: call init() before training")
    return comm if comm is not None and comm.size > 1 else None


def _start_infer(specs, op, group):
    if not specs or len({s.dtype for s in specs}) != 1:
        raise TypeError("AllReduceStart needs one or more inputs of one dtype")
    return (), np.dtype(np.int64)


def _start(*arrays, op, group):
    """Pack the inputs (a copy the request owns), launch the all-reduce, return its token."""
    flat = np.concatenate([np.ravel(a) for a in arrays]) if len(arrays) > 1 else np.array(arrays[0]).reshape(-1)
    flat = np.ascontiguousarray(flat)
    comm = _world()
    request = comm.start_all_reduce(flat, op) if comm is not None else None
    token = next(_TOKENS)
    _PENDING[token] = (request, flat)
    return np.array(token, np.int64)


def _wait_infer(specs, shape, dtype):
    return tuple(shape), np.dtype(dtype)


def _wait(token, shape, dtype):
    """Complete the request of ``token``; its reduced buffer, reshaped to ``shape``."""
    request, flat = _PENDING.pop(int(token))
    if request is not None:
        SESSION.communicator.wait(request)
    return flat.reshape(shape).astype(dtype, copy=False)


def _gather_infer(specs, group, size):
    s = specs[0]
    return (s.shape[0] * size,) + tuple(s.shape[1:]), s.dtype


def _all_gather(x, group, size):
    """concat over the ranks (rank order) of ``x`` along axis 0; ``size`` is the world size at trace time."""
    x = np.ascontiguousarray(x)
    comm = _world()
    if comm is None:
        if size != 1:
            raise RuntimeError(f"AllGather was traced for {size} ranks but runs in a world of one")
        return x.copy()
    return comm.all_gather_v(x)


# impure: each call is one message every rank must match, in the same order (never merged, folded or dropped)
register(OpDef("AllReduceStart", infer=_start_infer, reference=_start, nondiff=True, impure=True, kind=OpKind.HOST))
register(OpDef("AllReduceWait", infer=_wait_infer, reference=_wait, nondiff=True, impure=True, kind=OpKind.HOST))
register(OpDef("AllGather", infer=_gather_infer, reference=_all_gather, nondiff=True, impure=True,
               kind=OpKind.HOST))


def all_reduce_start(tensors, op="sum"):
    """The token of a launched all-reduce of the Tensors ``tensors`` (one dtype), packed flat in order."""
    if op not in REDUCE_OPS:
        raise ValueError(f"For 'AllReduceStart', the 'op' must be one of {list(REDUCE_OPS)}, but got {op!r}")
    return apply("AllReduceStart", *[as_tensor(t) for t in tensors], op=op, group=GROUP_WORLD)


def all_reduce_wait(token, shape, dtype):
    """The result (flat buffer reshaped to ``shape``, ``dtype``) of the all-reduce of ``token``."""
    return apply("AllReduceWait", token, shape=tuple(int(s) for s in shape), dtype=np.dtype(dtype))


def all_gather(x, group=GROUP_WORLD):
    """MindSpore's ``ops.AllGather``: the Tensors of every rank concatenated along axis 0, in rank order."""
    world = SESSION.communicator
    return apply("AllGather", as_tensor(x), group=group, size=1 if world is None else world.size)


class AllGather(Primitive):
    """``ops.AllGather(group=GlobalComm.WORLD_COMM_GROUP)(x)``: concat over the ranks of x along axis 0."""

    def __init__(self, group=GROUP_WORLD):
        super().__init__()
        self.group = group

    def __call__(self, x):
        return all_gather(x, self.group)


__all__ = ["all_gather", "all_reduce_start", "all_reduce_wait"]
__primitives__ = [AllGather]
