"""``ops.AllReduce``: a collective over the data-parallel world, run on the host inside the compiled step.

AllReduce is a host op (``OpKind.HOST``, as ``Print``): every target runs its numpy reference on the host at
its place in graph order, so the gradients of one fused bucket travel in ONE message. The reference calls
the communicator installed on ``SESSION.communicator`` by ``minispore.communication.init()`` (ops/ sits
below the runtime and cannot import it); without one the world is a single process and the reduction of
one value is that value.

A communicator is any object with ``size`` and ``all_reduce(buffer, op) -> buffer`` (``op`` one of
``REDUCE_OPS``, the result written into the contiguous 1-D ``buffer`` and returned).

Several inputs are packed into one flat buffer (inputs in order, each flattened) and the result is that
flat buffer: for inputs x_1..x_k of one dtype, ``out = op_r(concat(ravel(x_1), ..., ravel(x_k)))`` over the
ranks r. One input keeps its shape: ``out = op_r(x)``.
"""

import os

import numpy as np

from ..graph.session import SESSION
from .primitive_base import Primitive
from .registry import OpDef, OpKind, apply, as_tensor, fail, fail_type, register, type_name

REDUCE_OPS = ("sum", "max", "min", "prod")  # MindSpore's ReduceOp values
GROUP_WORLD = "world_group"  # the only group: every rank (GlobalComm.WORLD_COMM_GROUP)
# environment variables an MPI launcher sets in every process it starts (MPICH/Hydra, Open MPI, Intel MPI,
# Slurm's PMI): their presence means the process is one rank of a job
MPI_LAUNCHER_VARS = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS",
                     "HYDRA_CONTROL_FD")


def launched_by_mpi():
    return any(v in os.environ for v in MPI_LAUNCHER_VARS)


class ReduceOp:
    """MindSpore's ``ops.ReduceOp``: the reduction an ``AllReduce`` applies across the ranks."""

    SUM = "sum"
    MAX = "max"
    MIN = "min"
    PROD = "prod"


def _infer(specs, op, group):
    if not specs:
        raise ValueError("AllReduce needs at least one input")
    dtypes = {s.dtype for s in specs}
    if len(dtypes) != 1:
        raise TypeError(f"the inputs of one fused AllReduce must share a dtype, but got "
                        f"{sorted(type_name(d) for d in dtypes)}")
    if len(specs) == 1:
        return specs[0].shape, specs[0].dtype
    return (sum(int(np.prod(s.shape, dtype=np.int64)) for s in specs),), specs[0].dtype


def _all_reduce(*arrays, op, group):
    """op over the ranks of the packed inputs (see the module docstring); a copy when the world is one."""
    flat = np.concatenate([np.ravel(a) for a in arrays]) if len(arrays) > 1 else np.array(arrays[0]).reshape(-1)
    comm = SESSION.communicator
    if comm is None and launched_by_mpi():
        # every rank would train alone on its shard, silently diverging: ask for the missing call instead
        raise RuntimeError("AllReduce: this process is one rank of an MPI job, but minispore.communication.init() "
                           "was not called, so it cannot reach the other ranks: call init() before training")
    if comm is not None and comm.size > 1:
        flat = comm.all_reduce(np.ascontiguousarray(flat), op)
    return flat if len(arrays) > 1 else flat.reshape(np.shape(arrays[0]))


# impure: the value depends on the other ranks, so it is never folded (a constant input), merged with
# another AllReduce of the same input (each call is one message every rank must match) or removed
register(OpDef("AllReduce", infer=_infer, reference=_all_reduce, nondiff=True, impure=True, kind=OpKind.HOST))


def all_reduce(tensors, op=ReduceOp.SUM, group=GROUP_WORLD):
    """``op`` over the ranks of one Tensor (the result keeps its shape) or of a tuple/list of Tensors of one
    dtype packed into one flat buffer (one message; the result is the flat buffer, inputs in order)."""
    if op not in REDUCE_OPS:
        fail("AllReduce", f"the 'op' must be one of {list(REDUCE_OPS)}, but got {op!r}")
    if not isinstance(group, str):
        fail_type("AllReduce", f"the 'group' must be a str, but got {type(group).__name__}")
    if group != GROUP_WORLD:
        fail("AllReduce", f"minispore has one communication group, {GROUP_WORLD!r}, but got {group!r}")
    items = tensors if isinstance(tensors, (tuple, list)) else (tensors,)
    return apply("AllReduce", *[as_tensor(t) for t in items], op=op, group=group)


class AllReduce(Primitive):
    """``ops.AllReduce(op=ReduceOp.SUM, group=GlobalComm.WORLD_COMM_GROUP)(x)``: ``op`` of ``x`` over the ranks."""

    def __init__(self, op=ReduceOp.SUM, group=GROUP_WORLD):
        super().__init__()
        self.op, self.group = op, group

    def __call__(self, x):
        return all_reduce(x, self.op, self.group)


__all__ = ["all_reduce", "ReduceOp"]  # ops.ReduceOp: MindSpore exports the class there
__primitives__ = [AllReduce]
