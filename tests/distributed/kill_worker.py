"""A 2-rank data-parallel job in which rank 1 kills itself with SIGKILL mid-training (no Python handler, no
MPI_Abort can run): mpiexec must end the job, naming the dead rank, and leave no process behind. Run by
test_faults.py; each rank prints its PID first so the test can check that none survives."""

import os
import signal

import numpy as np

import minispore as ms
from minispore import nn
from minispore.communication import get_group_size, get_rank, init

init()
rank, size = get_rank(), get_group_size()
print(f"PID rank {rank} {os.getpid()}", flush=True)
ms.set_auto_parallel_context(parallel_mode="data_parallel", gradients_mean=True)
net = nn.Dense(4, 2)
step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.Momentum(net.trainable_params(), 0.1, 0.9))
x, y = ms.Tensor(np.ones((2, 4), np.float32)), ms.Tensor(np.ones((2, 2), np.float32))
for i in range(1000):
    step(x, y)
    if i == 3 and rank == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # rank 0 is then waiting in the next step's all-reduce
print("rank 0 finished 1000 steps: the killed rank did not end the job", flush=True)
