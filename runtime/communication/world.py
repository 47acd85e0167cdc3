"""The process group of data-parallel training: ``init``, ``release``, ``get_rank``, ``get_group_size``.

minispore's collectives run over MPI (mpi4py with the mpich wheel: ``pip install minispore[distributed]``,
then ``mpiexec -n N python train.py``). mpi4py is imported here only, lazily, when ``init()`` finds the
process started by an MPI launcher; a script run without one is a world of one (rank 0 of 1) and runs
unchanged, with no MPI library loaded.

``init()`` installs the world as ``SESSION.communicator``, which the ``AllReduce`` host op of the compiled
step (ops/collective.py) and the parameter broadcast (nn/distributed.py) call. A fault in one rank ends the
whole job: an uncaught exception prints ``rank R: ...`` and calls ``MPI_Abort``, so the other ranks, blocked
in the next all-reduce, do not wait forever.
"""

import os
import socket
import sys
import time
import traceback

import numpy as np

from ...graph.session import SESSION
from ...ops.collective import GROUP_WORLD, launched_by_mpi
from .ranks import install_rank_logging, remove_rank_logging

_BACKENDS = ("mpi", "hccl", "nccl", "mccl")  # MindSpore's names are accepted: minispore runs them all on MPI


class GlobalComm:
    """MindSpore's ``GlobalComm``: the backend name, the world group's name and whether ``init()`` ran."""

    BACKEND = "mpi"
    WORLD_COMM_GROUP = GROUP_WORLD
    INITED = False


class MpiWorld:
    """COMM_WORLD through mpi4py: collectives on contiguous numpy buffers (zero-copy buffer protocol)."""

    def __init__(self):
        from mpi4py import MPI  # noqa: PLC0415  (lazy: only a job started by mpiexec loads the MPI library)

        self._mpi = MPI
        self.comm = MPI.COMM_WORLD
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self._ops = {"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN, "prod": MPI.PROD}
        self._open = []  # requests started and not yet waited on (each start drives their progress)
        # seconds the step spent inside the non-blocking all-reduce calls (start + wait: the exposed,
        # not-overlapped communication) and the bytes sent: benchmarks/dp_scaling.py reads and resets them
        self.stats = {"start_s": 0.0, "wait_s": 0.0, "bytes": 0, "calls": 0}

    def all_reduce(self, buffer, op="sum"):
        """``buffer`` (contiguous) replaced by ``op`` of every rank's ``buffer``, in place; returns it."""
        self.comm.Allreduce(self._mpi.IN_PLACE, buffer, op=self._ops[op])
        return buffer

    def start_all_reduce(self, buffer, op="sum"):
        """Launch ``op`` over the ranks of ``buffer`` in place (MPI_Iallreduce); returns the request. The
        buffer must stay untouched until ``wait(request)``."""
        t = time.perf_counter()
        request = self.comm.Iallreduce(self._mpi.IN_PLACE, buffer, op=self._ops[op])
        # MPICH progresses a non-blocking collective only inside MPI calls (no progress thread unless
        # MPIR_CVAR_ASYNC_PROGRESS=1): test the earlier open requests so they move on while backward runs
        if self._open:
            self._mpi.Request.Testall(self._open)
        self._open.append(request)
        self.stats["start_s"] += time.perf_counter() - t
        self.stats["bytes"] += buffer.nbytes
        self.stats["calls"] += 1
        return request

    def wait(self, request):
        """Block until ``request`` (from ``start_all_reduce``) completes."""
        t = time.perf_counter()
        request.Wait()
        self._open = [r for r in self._open if r is not request]
        self.stats["wait_s"] += time.perf_counter() - t

    def all_gather_v(self, array):
        """concat over the ranks (rank order, axis 0) of ``array`` (MPI_Allgatherv). Every rank must hold
        as many rows as this one (the compiled graph's static shape): checked first, with both counts named."""
        counts = np.array(self.comm.allgather(array.shape[0]), np.int64)
        if (counts != array.shape[0]).any():
            raise RuntimeError(f"AllGather: the ranks hold different row counts {counts.tolist()} (this is rank "
                               f"{self.rank} with {array.shape[0]}): the compiled step's shapes must match on every "
                               "rank (equal batch sizes per rank)")
        row = int(np.prod(array.shape[1:], dtype=np.int64))
        out = np.empty((int(counts.sum()),) + array.shape[1:], array.dtype)
        self.comm.Allgatherv(array, [out, counts * row])
        return out

    def broadcast(self, buffer, root=0):
        """``buffer`` (contiguous) overwritten by rank ``root``'s, in place; returns it."""
        self.comm.Bcast(buffer, root=root)
        return buffer

    def barrier(self):
        self.comm.Barrier()

    def local_rank(self):
        """The rank among the processes sharing this host's memory."""
        return self.comm.Split_type(self._mpi.COMM_TYPE_SHARED).Get_rank()

    def abort(self, code=1):
        self.comm.Abort(code)


def _abort_on_fault(world):
    """An uncaught exception in any rank prints its traceback prefixed with the rank and aborts the job."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        text = "".join(traceback.format_exception(kind, value, tb))
        sys.stderr.write("".join(f"rank {world.rank}: {line}\n" for line in text.rstrip().splitlines()))
        sys.stderr.write(f"rank {world.rank}: aborting the MPI job ({world.size} ranks)\n")
        sys.stderr.flush()
        if kind is KeyboardInterrupt:
            previous(kind, value, tb)
        world.abort(1)

    sys.excepthook = hook


def _announce_ranks(world):
    """Rank 0 prints which process is which rank, once: a rank killed by a signal runs no Python, and MPICH's
    mpiexec reports it as ``BAD TERMINATION ... PID p RUNNING AT host ... KILLED BY SIGNAL`` (a PID, not a
    rank) and kills the others; this line turns that PID into the rank's name in the same log."""
    peers = world.comm.allgather((socket.gethostname(), os.getpid()))
    world.peers = peers
    if world.rank == 0:
        table = ", ".join(f"rank {r} = PID {pid} on {host}" for r, (host, pid) in enumerate(peers))
        sys.stderr.write(f"minispore: data-parallel job of {world.size} ranks: {table}\n")
        sys.stderr.flush()


def init(backend_name=None):
    """Join the data-parallel world. ``backend_name``: None, 'mpi', or MindSpore's 'hccl'/'nccl'/'mccl' (all
    run on MPI here). Started by ``mpiexec -n N``, every process joins the N-rank world; started alone, the
    world is this process (rank 0 of 1). Calling it again is harmless."""
    if backend_name is not None and not isinstance(backend_name, str):
        raise TypeError(f"For 'init', the argument 'backend_name' must be a string, but got the type : "
                        f"{type(backend_name)}")
    if backend_name is not None and backend_name not in _BACKENDS:
        raise RuntimeError(f"For 'init', the argument 'backend_name' must be one of {list(_BACKENDS)}, but got "
                           f"{backend_name!r}")
    if GlobalComm.INITED:
        return
    if launched_by_mpi():
        try:
            world = MpiWorld()
        except ImportError as err:
            raise RuntimeError("This process was started by an MPI launcher, but mpi4py is not installed: "
                               "pip install 'minispore[distributed]' (mpi4py and the mpich wheel)") from err
        SESSION.communicator = world
        if world.size > 1:
            _abort_on_fault(world)
            install_rank_logging(world.rank)
            _announce_ranks(world)
    GlobalComm.INITED = True


def release():
    """Leave the world: collectives run as a world of one again (MPI itself finalizes at exit)."""
    SESSION.communicator = None
    GlobalComm.INITED = False
    remove_rank_logging()


def _world(where):
    if not GlobalComm.INITED:
        raise RuntimeError(f"For '{where}', the communication service is not initialized: call "
                           "minispore.communication.init() first")
    return SESSION.communicator


def get_rank(group=GROUP_WORLD):
    """This process's rank in the world (0 in a world of one)."""
    _check_group(group, "get_rank")
    world = _world("get_rank")
    return 0 if world is None else world.rank


def get_group_size(group=GROUP_WORLD):
    """The number of ranks in the world (1 without mpiexec)."""
    _check_group(group, "get_group_size")
    world = _world("get_group_size")
    return 1 if world is None else world.size


def get_local_rank(group=GROUP_WORLD):
    """This process's rank on its host (MPI's shared-memory split; the rank itself on one host)."""
    _check_group(group, "get_local_rank")
    world = _world("get_local_rank")
    if world is None:
        return 0
    return world.local_rank()


def _check_group(group, where):
    if not isinstance(group, str):
        raise TypeError(f"For '{where}', the argument 'group' must be type of string, but got 'group' type : "
                        f"{type(group)}.")
    if group != GROUP_WORLD:
        raise ValueError(f"For '{where}', minispore has one communication group, {GROUP_WORLD!r} (the world), "
                         f"but got {group!r}")


def rank_and_size():
    """(rank, size) without requiring ``init()``: (0, 1) before it (the callbacks' rank-0 test)."""
    world = SESSION.communicator
    return (0, 1) if world is None else (world.rank, world.size)

