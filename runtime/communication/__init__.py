"""Data parallel over MPI: the process group (``init``, ``get_rank`` ...) and the auto-parallel context."""

from .parallel_context import (  # noqa: F401
    ParallelMode,
    get_auto_parallel_context,
    reset_auto_parallel_context,
    set_auto_parallel_context,
)
from .world import GlobalComm, get_group_size, get_local_rank, get_rank, init, rank_and_size, release  # noqa: F401
