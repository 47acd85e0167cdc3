"""A 2-rank job in which rank 1 fails while rank 0 waits in a collective: the job must end (MPI_Abort), the
error printed with the failing rank's name. Run by test_data_parallel.py."""

from mpi4py import MPI

from minispore.communication import get_rank, init

init()
if get_rank() == 1:
    raise ValueError("a fault on purpose")
MPI.COMM_WORLD.Barrier()  # rank 0 would wait here forever without the abort
print("rank 0 passed the barrier: the fault did not end the job", flush=True)
