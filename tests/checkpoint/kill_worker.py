"""Run by test_checkpoint_kill.py: save a large-ish checkpoint over the same file again and again, every
tensor holding the iteration number, printing the number after each save, until killed."""

import sys

import numpy as np

import minispore as ms
from minispore import Parameter, Tensor

path = sys.argv[1]
params = [Parameter(Tensor(np.zeros((256, 1024), np.float32)), name=f"w{i}") for i in range(8)]  # 8 MB
k = 0
while True:
    k += 1
    for p in params:
        p.set_data(Tensor(np.full(p.shape, k, np.float32)))
    ms.save_checkpoint(params, path, append_dict={"iteration": k})
    print(k, flush=True)
